import { describe, expect, it } from 'vitest';
import { microTime, nodeFresh, nodeObject } from './heartbeat.ts';

describe('node heartbeat', () => {
  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-11-24T05:51:03.508Z'))).toBe('2026-11-24T05:51:03.508000Z');
  });
  it('registers a Ready node with capacity and the label the harness finds it by', () => {
    const n = nodeObject('drill-node-1', new Date('2026-11-24T00:00:00Z'));
    expect(n.metadata.labels?.['kubernetes.io/hostname']).toBe('drill-node-1');
    expect(n.metadata.labels?.['etcd-drill.io/node']).toBe('true');
    expect(n.status.allocatable.pods).toBe('110');
    expect(nodeFresh(n, Date.parse('2026-11-24T00:00:10Z'), 20_000)).toBe(true);
    expect(nodeFresh(n, Date.parse('2026-11-24T00:00:30Z'), 20_000)).toBe(false);
  });
  it('treats Ready=Unknown (set by the node lifecycle controller) as stale', () => {
    const n = nodeObject('n', new Date());
    n.status.conditions[0].status = 'Unknown';
    expect(nodeFresh(n, Date.now(), 20_000)).toBe(false);
  });
});
