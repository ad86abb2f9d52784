import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../errors.ts';
import { flagSupport, gateEtcdArgs, helpFlags, v2ApiFrom } from './help.ts';

// Captured from the cached binaries (`<tool> [command] --help`, stdout and stderr together).
const help = (version: string, file: string) =>
  readFileSync(join(import.meta.dirname, 'fixtures', 'help', version, `${file}.txt`), 'utf8');
const VERSIONS = ['3.3.25', '3.4.23', '3.5.30'] as const;

describe('helpFlags on the real help texts', () => {
  it.each(VERSIONS)('etcd %s defines the flags every member start passes, and --enable-v2', (v) => {
    const flags = helpFlags(help(v, 'etcd'));
    for (const f of [
      '--name',
      '--data-dir',
      '--listen-client-urls',
      '--initial-cluster-state',
      '--force-new-cluster',
    ])
      expect(flags).toContain(f);
    expect(flags).toContain('--enable-v2');
    expect(flags).toContain('--experimental-initial-corrupt-check');
    expect(v2ApiFrom(v, flags)).toEqual({ ok: true });
  });

  it('--v2-deprecation is defined by 3.5.30 only', () => {
    expect(VERSIONS.filter((v) => helpFlags(help(v, 'etcd')).has('--v2-deprecation'))).toEqual(['3.5.30']);
  });

  it('a flag named only in usage prose is not taken as defined', () => {
    // 3.3.25's usage says "etcd --config-file" and "etcd -h | --help": prose, not a definition line.
    const flags = helpFlags(help('3.3.25', 'etcd'));
    expect(help('3.3.25', 'etcd')).toContain('etcd --config-file');
    expect(flags).not.toContain('--config-file');
    expect(helpFlags('  etcd gateway\n    see --not-a-flag for more')).toEqual(new Set());
  });

  it.each(VERSIONS)('etcdctl %s (v3) defines the global flags the harness passes', (v) => {
    const flags = helpFlags(help(v, 'etcdctl'));
    for (const f of ['--endpoints', '--command-timeout', '--cacert', '--cert', '--key'])
      expect(flags).toContain(f);
  });

  it('backup and restore flags: etcdctl v2 backup before 3.5, etcdutl from 3.5', () => {
    for (const v of ['3.3.25', '3.4.23']) {
      expect(helpFlags(help(v, 'etcdctl2-backup'))).toContain('--backup-dir');
      expect(helpFlags(help(v, 'etcdctl2-backup'))).toContain('--with-v3');
      expect(helpFlags(help(v, 'etcdctl-snapshot-restore'))).not.toContain('--bump-revision');
    }
    expect(helpFlags(help('3.5.30', 'etcdutl-backup'))).toContain('--with-v3');
    const restore = helpFlags(help('3.5.30', 'etcdutl-snapshot-restore'));
    for (const f of ['--bump-revision', '--mark-compacted', '--skip-hash-check', '--initial-cluster-token'])
      expect(restore).toContain(f);
  });
});

/** 3.5.30's text with the v2 flags' definitions taken out: the shape of an etcd without v2 (not a claim about 3.6). */
const withoutV2 = help('3.5.30', 'etcd')
  .split('\n')
  .filter((l) => !/^\s*--(enable-v2|v2-deprecation)\b/.test(l))
  .join('\n');

describe('v2ApiFrom', () => {
  it('says not applicable, with the version and the evidence, when --enable-v2 is not defined', () => {
    const r = v2ApiFrom('3.6.0', helpFlags(withoutV2));
    expect(r).toEqual({
      ok: false,
      reason: 'etcd 3.6.0 has no v2 API (its etcd --help defines no --enable-v2)',
    });
  });
});

describe('gateEtcdArgs', () => {
  const real = helpFlags(help('3.5.30', 'etcd'));
  const noV2 = helpFlags(withoutV2);
  const base = ['--name', 'etcd1', '--data-dir', '/d'];

  it('keeps --enable-v2 where etcd defines it', () => {
    expect(gateEtcdArgs('3.5.30', real, [...base, '--enable-v2=false'])).toEqual([
      ...base,
      '--enable-v2=false',
    ]);
    expect(gateEtcdArgs('3.5.30', real, [...base, '--enable-v2=true'])).toEqual([
      ...base,
      '--enable-v2=true',
    ]);
  });

  it('drops --enable-v2=false where etcd does not define it (optional: there is no v2 to turn off)', () => {
    expect(gateEtcdArgs('3.6.0', noV2, [...base, '--enable-v2=false'])).toEqual(base);
  });

  it('refuses --enable-v2=true and any other undefined flag, naming the flag and the version', () => {
    const err = (() => {
      try {
        gateEtcdArgs('3.6.0', noV2, [...base, '--enable-v2=true', '--v2-deprecation', 'gone']);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('BAD_INPUT');
    expect((err as Error).message).toMatch(
      /^etcd 3\.6\.0 does not define --enable-v2, --v2-deprecation \(no v2 API/,
    );
  });

  it('flagSupport names the flag a fault needs', () => {
    expect(flagSupport('3.5.30', real, '--experimental-initial-corrupt-check')).toEqual({ ok: true });
    expect(flagSupport('9.9.9', noV2, '--no-such')).toEqual({
      ok: false,
      reason: 'etcd 9.9.9 does not define --no-such (its etcd --help lists no such flag)',
    });
  });
});
