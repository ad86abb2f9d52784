import { describe, expect, it } from 'vitest';
import type { GradeInput } from '../engine/check.ts';
import type { MemberData, Observations } from '../result.ts';
import { memberData } from '../test-support/results.ts';
import { v3DataCheck } from './data.ts';
import { memberIdsCheck, membershipCheck } from './membership.ts';
import { memberAddCheck, memberUpdateCheck, peerUrlCheck } from './rebuild.ts';
import { revisionCheck } from './revision.ts';

const data = (outcome: MemberData['outcome'], sha256: string): MemberData =>
  memberData({ outcome, keys: { count: 270, sha256 }, lostAfterBackup: 3 });
const view = (clusterId: string, ids: string[]) => ({
  clusterId,
  members: ids.map((id, i) => ({ name: `etcd${i + 1}`, id, peerUrls: [] })),
});
const restored = (members: { v3: MemberData }[], clusterId = 'c1', ids = ['1', '2', '3']) => ({
  members: members.map((m, i) => ({ name: `etcd${i + 1}`, v2: data('restored', 'v2'), v3: m.v3 })),
  membership: view(clusterId, ids),
  health: {
    up: true,
    leaders: 1,
    members: ids.map((_, i) => ({ name: `etcd${i + 1}`, running: true, healthy: true })),
  },
  revision: 40,
  byType: {},
});
const input = (o: Observations, rebuild: GradeInput['rebuild'] = 'member-add'): GradeInput => ({
  observations: { backup: { outcome: 'completed' }, restore: { outcome: 'completed' }, ...o },
  extensions: [],
  rebuild,
});

describe('checks derive outcomes from observations alone', () => {
  it('members serving different v3 data are divergent, whatever the first one says', () => {
    const o = input({
      restored: restored([
        { v3: data('restored', 'a') },
        { v3: data('lost', 'b') },
        { v3: data('lost', 'b') },
      ]),
    });
    expect(v3DataCheck.observe(o).observed).toBe('divergent');
    const same = input({ restored: restored([1, 2, 3].map(() => ({ v3: data('restored', 'a') }))) });
    expect(v3DataCheck.observe(same)).toMatchObject({
      observed: 'restored',
      evidence: { lostAfterBackup: 3 },
    });
  });
  it('membership is healthy only with every member listed and healthy under one leader', () => {
    const r = restored([1, 2, 3].map(() => ({ v3: data('restored', 'a') })));
    expect(membershipCheck.observe(input({ restored: r })).observed).toBe('healthy');
    const sick = {
      ...r,
      health: { ...r.health, members: r.health.members.map((m, i) => ({ ...m, healthy: i !== 2 })) },
    };
    expect(membershipCheck.observe(input({ restored: sick }))).toMatchObject({
      observed: 'degraded',
      evidence: { healthy: 2 },
    });
  });
  it('member and cluster IDs: kept, or which of them changed', () => {
    const backupPoint = {
      v2: { count: 7, sha256: 'x' },
      v3: { count: 270, sha256: 'y' },
      revision: 12,
      membership: view('c1', ['1', '2', '3']),
      byType: {},
    };
    const r = (cid: string, ids: string[]) =>
      restored(
        [1, 2, 3].map(() => ({ v3: data('restored', 'a') })),
        cid,
        ids,
      );
    const ids = (cid: string, m: string[]) =>
      memberIdsCheck.observe(input({ backupPoint, restored: r(cid, m) })).observed;
    expect(ids('c1', ['1', '2', '3'])).toBe('kept');
    expect(ids('c2', ['1', '2', '3'])).toBe('cluster id changed');
    expect(ids('c1', ['1', '9', '3'])).toBe('member ids changed');
    expect(ids('c2', ['7', '8', '9'])).toBe('both changed');
  });
  it('peer URL after the first start, member update, member add refusals', () => {
    const strategy = (peerUrlsAfterFirstStart: string[], fixed = false) => ({
      peerUrlsAfterFirstStart,
      advertisedPeerUrl: 'http://127.0.0.1:2380',
      ...(fixed ? { peerUrlFixed: { from: peerUrlsAfterFirstStart, to: 'http://127.0.0.1:2380' } } : {}),
      memberAdds: {
        etcd2: { attempts: 1, waitMs: 40, refusals: [] },
        etcd3: {
          attempts: 5,
          waitMs: 4100,
          refusals: ['unhealthy cluster', 'unhealthy cluster', 'unhealthy cluster', 'unhealthy cluster'],
        },
      },
    });
    expect(peerUrlCheck.observe(input({ strategy: strategy(['http://127.0.0.1:2380']) })).observed).toBe(
      'advertised',
    );
    expect(
      peerUrlCheck.observe(input({ strategy: strategy(['http://localhost:2380'], true) })).observed,
    ).toBe('localhost');
    expect(
      memberUpdateCheck.observe(input({ strategy: strategy(['http://localhost:2380'], true) })).observed,
    ).toBe('needed');
    expect(memberUpdateCheck.observe(input({ strategy: strategy(['http://127.0.0.1:2380']) })).observed).toBe(
      'not needed',
    );
    expect(memberAddCheck.observe(input({ strategy: strategy([]) }))).toMatchObject({
      observed: 'refused then joined',
      evidence: { refusals: 4, totalWaitMs: 4140 },
    });
  });
  it('the member add checks do not apply to a restore that starts every member together', () => {
    const i = input({}, 'all-members');
    expect([peerUrlCheck, memberUpdateCheck, memberAddCheck].map((c) => c.applies(i))).toEqual([
      false,
      false,
      false,
    ]);
    expect(() => peerUrlCheck.observe(input({}))).toThrow(/not observed: strategy/);
  });
  it('revision: backwards when the restored cluster starts below what clients had seen', () => {
    const r = restored([{ v3: data('restored', 'a') }]);
    const at = (max: number, first: number) =>
      revisionCheck.observe(
        input({ restored: r, revisions: { maxSeenBeforeDisaster: max, firstSeenAfterDisaster: first } }),
      ).observed;
    expect(at(30, 12)).toBe('backwards');
    expect(at(30, 1_000_000_012)).toBe('forward');
  });
});

describe('a member that does not answer is not etcd saying it is unhealthy', () => {
  it('membership is unknown (the check throws) when a running member gave no answer at all', () => {
    const r = restored([1, 2, 3].map(() => ({ v3: data('restored', 'a') })));
    const silent = {
      ...r,
      health: {
        ...r.health,
        members: r.health.members.map((m, i) =>
          i === 1 ? { ...m, healthy: false, answered: false, reason: 'timeout after 3000 ms' } : m,
        ),
      },
    };
    expect(() => membershipCheck.observe(input({ restored: silent }))).toThrow(
      /no answer from etcd2 \(timeout after 3000 ms\)/,
    );
  });
});
