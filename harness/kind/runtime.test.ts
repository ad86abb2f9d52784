import { describe, expect, it } from 'vitest';
import { parseRunningContainers } from './runtime.ts';

const info = (kind: string, labels: Record<string, string> = {}) =>
  JSON.stringify({ ID: 'abc', Labels: { 'io.cri-containerd.kind': kind, ...labels }, Spec: { x: 1 } });
const podLabels = {
  'io.kubernetes.pod.name': 'web-1',
  'io.kubernetes.pod.namespace': 'drill-a',
  'io.kubernetes.pod.uid': 'u1',
  'io.kubernetes.container.name': 'app',
};

describe('parseRunningContainers', () => {
  it("keeps kubelet's containers with their pod, not sandboxes, other lines or unlabelled containers", () => {
    const out = [
      info('container', podLabels),
      info('sandbox', podLabels),
      info('container'),
      '',
      'ctr: container "x" in namespace "k8s.io": not found',
    ].join('\n');
    expect(parseRunningContainers('n1', out)).toEqual([
      { node: 'n1', namespace: 'drill-a', pod: 'web-1', uid: 'u1', container: 'app' },
    ]);
  });
});
