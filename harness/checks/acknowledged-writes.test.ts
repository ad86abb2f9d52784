import { describe, expect, it } from 'vitest';
import { digest, type Keyset } from '../etcd/api.ts';
import type { AckedWrite, LoadLog } from '../observe/load.ts';
import { isAfterDisasterLoadKey } from '../observe/load.ts';
import { judgeLoad } from '../observe/load-judge.ts';
import { ackedWritesOutcome } from './acknowledged-writes.ts';

const w = (n: number, revision: number, ackedAt: number): AckedWrite => ({
  key: `/etcd-drill/load/backup/l0/w0/${n}`,
  value: `v${n}`,
  revision,
  ackedAt,
});
const logOf = (acked: AckedWrite[]): LoadLog => ({
  spec: { writers: 1, opsPerSec: 10, prefix: '/etcd-drill/load/backup/l0/' },
  startedAt: 1000,
  stoppedAt: 9000,
  attempted: acked.length + 2,
  acked,
  errors: 2,
  errorKinds: { 'etcdserver: request timed out': 2 },
});
const holding = (ws: AckedWrite[]): Keyset => new Map(ws.map((x) => [x.key, digest(x.value)]));

// Revisions 10..14 acknowledged at t = 2 s .. 6 s; the snapshot holds revision 12.
const acked = [w(0, 10, 2000), w(1, 11, 3000), w(2, 12, 4000), w(3, 13, 5000), w(4, 14, 6000)];

describe('acknowledged writes against the snapshot revision', () => {
  it('a snapshot restore holds the writes at or below its revision: the rest is the RPO, in writes and seconds', () => {
    const v = judgeLoad(logOf(acked), 'during backup', holding(acked.slice(0, 3)), 12);
    expect(v).toMatchObject({
      expected: 3,
      missing: 0,
      beyondBackup: 2,
      beyondBackupSeen: 0,
      acknowledged: 5,
    });
    expect(v.rpo).toEqual({ writes: 2, seconds: 2, from: "the load's write at revision 12" });
    expect(v.errors).toBe(2);
    expect(ackedWritesOutcome([v])).toBe('as acknowledged');
  });

  it('an acknowledged write at or below the revision that the restore lacks (or changed) is a finding', () => {
    const r = holding(acked.slice(0, 3));
    r.delete(acked[0]?.key as string);
    r.set(acked[1]?.key as string, digest('another value'));
    const v = judgeLoad(logOf(acked), 'during backup', r, 12);
    expect(v.missing).toBe(2);
    expect(v.firstMissing).toEqual([`${acked[0]?.key}@10`, `${acked[1]?.key}@11`]);
    expect(ackedWritesOutcome([v])).toBe('lost acknowledged writes');
  });

  it('a write above the revision seen after the restore says the data did not come from the snapshot alone', () => {
    const v = judgeLoad(logOf(acked), 'during backup', holding(acked.slice(0, 4)), 12);
    expect(v).toMatchObject({ beyondBackupSeen: 1, rpo: { writes: 1, seconds: 2 } });
    expect(ackedWritesOutcome([v])).toBe('writes after the backup seen');
  });

  it('a load that started after the snapshot counts its span from its own start', () => {
    const v = judgeLoad(logOf(acked), 'during backup', new Map(), 5);
    expect(v.rpo).toEqual({ writes: 5, seconds: 5, from: 'the load start (no write of it in the backup)' });
  });

  it('after the disaster every acknowledged write must stay', () => {
    const lostOne = judgeLoad(logOf(acked), 'during restore', holding(acked.slice(1)), undefined);
    expect(lostOne).toMatchObject({ expected: 5, missing: 1, beyondBackup: 0, rpo: { writes: 0 } });
    expect(lostOne.snapshotRevision).toBeUndefined();
    expect(ackedWritesOutcome([lostOne])).toBe('lost acknowledged writes');
  });

  it('a load nothing acknowledged proves nothing: it says so', () => {
    expect(ackedWritesOutcome([judgeLoad(logOf([]), 'during backup', new Map(), 12)])).toBe(
      'no write acknowledged',
    );
  });
});

describe('load keys', () => {
  it('only a load after the disaster is left out of the backup comparison', () => {
    expect(isAfterDisasterLoadKey('/etcd-drill/load/restore/l0/w1/000001')).toBe(true);
    expect(isAfterDisasterLoadKey('/etcd-drill/load/assess/l1/w0/000001')).toBe(true);
    expect(isAfterDisasterLoadKey('/etcd-drill/load/backup/l0/w1/000001')).toBe(false);
    expect(isAfterDisasterLoadKey('/etcd-drill/load/disaster/l0/w1/000001')).toBe(false);
    expect(isAfterDisasterLoadKey('/registry/restore/x')).toBe(false);
  });
});
