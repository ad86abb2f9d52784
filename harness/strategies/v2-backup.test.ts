import { describe, expect, it } from 'vitest';
import { STRATEGIES } from './index.ts';
import { backupStepTitle, gate, V2_BACKUP_STRATEGIES, v2BackupName, v3Flags } from './v2-backup.ts';

describe('the v2-backup grid', () => {
  it('has every layout × member × v3 cell once, under a path-like name', () => {
    expect(V2_BACKUP_STRATEGIES.map((s) => s.name)).toEqual([
      'v2-backup-as-data-dir',
      'v2-backup-as-data-dir/live+v3',
      'v2-backup-as-data-dir/stopped',
      'v2-backup-as-data-dir/stopped+v3',
      'v2-backup-without-snapshot',
      'v2-backup-without-snapshot/live+v3',
      'v2-backup-without-snapshot/stopped',
      'v2-backup-with-v3',
      'v2-backup-snapshot-as-db',
      'v2-backup-snapshot-as-db/live+v3',
      'v2-backup-snapshot-as-db/stopped',
      'v2-backup-snapshot-as-db/stopped+v3',
    ]);
    for (const s of V2_BACKUP_STRATEGIES) expect(STRATEGIES.get(s.name)).toBe(s);
  });

  it("today's four names keep today's cells", () => {
    expect(v2BackupName({ layout: 'alongside', member: 'live', withV3: false })).toBe(
      'v2-backup-as-data-dir',
    );
    expect(v2BackupName({ layout: 'none', member: 'live', withV3: false })).toBe(
      'v2-backup-without-snapshot',
    );
    expect(v2BackupName({ layout: 'as-db', member: 'live', withV3: false })).toBe('v2-backup-snapshot-as-db');
    expect(v2BackupName({ layout: 'none', member: 'stopped', withV3: true })).toBe('v2-backup-with-v3');
  });
});

describe('the backup command as a user would type it', () => {
  it('with v3: --with-v3 for etcdctl, no flag at all for etcdutl (its default)', () => {
    expect(v3Flags('etcdctl', true)).toEqual(['--with-v3']);
    expect(v3Flags('etcdutl', true)).toEqual([]);
  });
  it('without v3: plain etcdctl, etcdutl --with-v3=false', () => {
    expect(v3Flags('etcdctl', false)).toEqual([]);
    expect(v3Flags('etcdutl', false)).toEqual(['--with-v3=false']);
  });
  it('the step title names the command and the member state (a Refusal quotes it)', () => {
    expect(backupStepTitle('etcdutl', { layout: 'none', member: 'live', withV3: true }, 'etcd1')).toBe(
      'etcdutl backup (v3 on by default) of the running etcd1',
    );
    expect(backupStepTitle('etcdctl', { layout: 'none', member: 'stopped', withV3: true }, 'etcd1')).toBe(
      'ETCDCTL_API=2 etcdctl backup --with-v3 of etcd1, stopped for it',
    );
  });
});

describe('gating by what the tool offers', () => {
  it('a version without a backup command offers no mode', () => {
    const g = gate({ version: '9.9.9', tool: undefined, hasWithV3: false }, false);
    expect(g).toEqual({ ok: false, reason: 'etcd 9.9.9 has no backup command (etcdctl v2 or etcdutl)' });
  });
  it('etcdctl without --with-v3 offers only the v2 backup', () => {
    const offer = { version: '3.2.0', tool: 'etcdctl', hasWithV3: false } as const;
    expect(gate(offer, false)).toEqual({ ok: true });
    expect(gate(offer, true)).toEqual({ ok: false, reason: 'etcdctl backup of etcd 3.2.0 has no --with-v3' });
  });
  it('etcdutl without --with-v3 cannot be told to leave v3 out', () => {
    const g = gate({ version: '3.9.0', tool: 'etcdutl', hasWithV3: false }, false);
    expect(g.ok).toBe(false);
  });
  it('a tool with --with-v3 offers both', () => {
    for (const tool of ['etcdctl', 'etcdutl'] as const) {
      for (const v3 of [true, false])
        expect(gate({ version: '3.5.30', tool, hasWithV3: true }, v3).ok).toBe(true);
    }
  });
});
