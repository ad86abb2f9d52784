import { describe, expect, it } from 'vitest';
import type { KObject } from './api.ts';
import { leaseFresh, notRunning, type RuntimeContainer, stillRunning } from './kubelet-checks.ts';

const pod = (name: string, uid: string, node: string, phase = 'Running', ready = 'True'): KObject => ({
  metadata: { name, namespace: 'drill-a', uid },
  spec: { nodeName: node },
  status: { phase, conditions: [{ type: 'Ready', status: ready }] },
});
const on = (node: string, uid: string, podName = 'p'): RuntimeContainer => ({
  node,
  namespace: 'drill-a',
  pod: podName,
  uid,
  container: 'app',
});

describe('notRunning', () => {
  it('is empty when every pod is Running, Ready and has a running container on its own node', () => {
    expect(notRunning([pod('web-1', 'u1', 'n1')], [on('n1', 'u1')])).toEqual([]);
  });
  it('names each reason: the API phase, readiness, and no container on the node the API names', () => {
    expect(
      notRunning(
        [pod('web-1', 'u1', 'n1', 'Pending', 'False'), pod('web-2', 'u2', 'n2')],
        [on('n1', 'u2')], // u2 runs, but on another node than its pod's
      ),
    ).toEqual([
      {
        pod: 'drill-a/web-1',
        node: 'n1',
        why: 'phase Pending in the API, not Ready in the API, no running container on n1',
      },
      { pod: 'drill-a/web-2', node: 'n2', why: 'no running container on n2' },
    ]);
  });
});

describe('stillRunning', () => {
  const removed = [{ namespace: 'drill-late', name: 'late-1', uid: 'L1' }];
  it('lists a removed pod once per node it still runs on, by uid (a same-named new pod is not it)', () => {
    expect(stillRunning(removed, [on('n1', 'L1'), on('n1', 'L1'), on('n2', 'X', 'late-1')])).toEqual([
      { pod: 'drill-late/late-1', node: 'n1' },
    ]);
    expect(stillRunning(removed, [on('n2', 'X')])).toEqual([]);
  });
});

describe('leaseFresh', () => {
  const lease = (renewTime: string): KObject => ({ metadata: { name: 'n1' }, spec: { renewTime } });
  const now = Date.parse('2026-12-02T12:00:30Z');
  it('needs a renewal within 40 s and not before `since`', () => {
    expect(leaseFresh(lease('2026-12-02T12:00:20Z'), now, 0)).toBe(true);
    expect(leaseFresh(lease('2026-12-02T11:59:40Z'), now, 0)).toBe(false);
    expect(leaseFresh(lease('2026-12-02T12:00:20Z'), now, Date.parse('2026-12-02T12:00:25Z'))).toBe(false);
    expect(leaseFresh(undefined, now, 0)).toBe(false);
  });
});
