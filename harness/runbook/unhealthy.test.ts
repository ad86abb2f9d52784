import { describe, expect, it } from 'vitest';
import { refusalIn } from './unhealthy.ts';

const start = (n: number) =>
  `=== etcd-drill: starting etcd1 at 2026-12-01T04:55:1${n}.000Z: etcd with the environment of /x/etcd1.env:`;
// etcd 3.5.30's own lines (zap JSON), as a member's log holds them.
const FATAL_FLAG =
  '{"level":"fatal","ts":"2026-12-01T05:05:33.842659Z","caller":"etcdmain/etcd.go:204","msg":"discovery failed","error":"couldn\'t find local name \\"etcd1\\" in the initial cluster configuration"}';
const IN_USE =
  '{"level":"fatal","ts":"2026-12-01T05:05:33.842659Z","caller":"etcdmain/etcd.go:204","msg":"discovery failed","error":"listen tcp 127.0.0.1:23456: bind: address already in use"}';
const MISMATCH =
  '{"level":"error","ts":"2026-12-01T05:05:40.1Z","caller":"rafthttp/http.go:500","msg":"request cluster ID mismatch","local-member-id":"a4edb3f2135112c1","local-member-cluster-id":"1c","local-member-server-version":"3.5.30","remote-peer-cluster-id":"2d"}';
const PREVOTE =
  '{"level":"info","ts":"2026-12-01T05:05:24.610369Z","logger":"raft","caller":"etcdserver/zap_raft.go:77","msg":"a4edb3f2135112c1 [logterm: 1, index: 3] sent MsgPreVote request to 63580196d44b775 at term 1"}';

describe("a member's refusal, in etcd's words, since its latest start", () => {
  it('a fatal line or a cluster ID mismatch is etcd refusing the configuration', () => {
    expect(refusalIn([start(1), PREVOTE, FATAL_FLAG].join('\n'))).toMatch(
      /^discovery failed .*couldn't find local name/,
    );
    expect(refusalIn([start(1), PREVOTE, MISMATCH].join('\n'))).toMatch(/^request cluster ID mismatch /);
    // capnslog (3.3, 3.4 by default): C is critical, what etcd logs before it exits.
    expect(
      refusalIn(`${start(1)}\n2026-12-01 05:05:33.842659 C | etcdmain: member count is unequal`),
    ).toMatch(/C \| etcdmain: member count is unequal/);
  });

  it('waiting for peers says nothing; a port held by another process is not etcd refusing; an earlier start does not count', () => {
    expect(refusalIn([start(1), PREVOTE, PREVOTE].join('\n'))).toBeUndefined();
    expect(refusalIn([start(1), IN_USE].join('\n'))).toBeUndefined();
    expect(refusalIn([start(1), FATAL_FLAG, start(2), PREVOTE].join('\n'))).toBeUndefined();
  });
});
