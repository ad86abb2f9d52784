import { describe, expect, it } from 'vitest';
import { errorLine } from '../etcd/log-lines.ts';
import { hexId, parseMemberAddOutput } from './common.ts';

describe('member add output', () => {
  it('reads ETCD_INITIAL_CLUSTER as etcdctl 3.x prints it', () => {
    const out = [
      'Member 8e9e05c52164694d added to cluster cdf818194e3a8c32',
      '',
      'ETCD_NAME="etcd2"',
      'ETCD_INITIAL_CLUSTER="etcd1=http://127.0.0.1:40001,etcd2=http://127.0.0.1:40003"',
      'ETCD_INITIAL_ADVERTISE_PEER_URLS="http://127.0.0.1:40003"',
      'ETCD_INITIAL_CLUSTER_STATE="existing"',
    ].join('\n');
    expect(parseMemberAddOutput(out)).toBe('etcd1=http://127.0.0.1:40001,etcd2=http://127.0.0.1:40003');
  });
  it('output without it is a strategy error quoting what was printed', () => {
    expect(() => parseMemberAddOutput('Error: etcdserver: unhealthy cluster')).toThrow(
      /printed no ETCD_INITIAL_CLUSTER: Error: etcdserver: unhealthy cluster/,
    );
  });
  it('member IDs from the JSON gateway (decimal) become the hex etcdctl takes, without rounding', () => {
    expect(hexId('10276657743932975437')).toBe('8e9e05c52164694d');
  });
});

describe("etcd's error line", () => {
  it('a zap fatal line in JSON (3.4+ logs) gives its message and fields, not the info lines before it', () => {
    const stderr = [
      '{"level":"info","ts":1,"caller":"x.go:1","msg":"ignoring v3 raft entry"}',
      '{"level":"fatal","ts":2,"caller":"x.go:2","msg":"timed out waiting to acquire lock on","srcDB":"/d/db","stacktrace":"…"}',
    ].join('\n');
    expect(errorLine(stderr)).toBe('timed out waiting to acquire lock on {"srcDB":"/d/db"}');
  });
  it('"Error:" still wins, and without any error line the first line is quoted', () => {
    expect(errorLine('2026 info x\nError: snapshot missing hash\n')).toBe('snapshot missing hash');
    expect(errorLine('something odd\nmore')).toBe('something odd');
  });
});
