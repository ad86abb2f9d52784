import { describe, expect, it } from 'vitest';
import { HarnessError, Refusal } from '../errors.ts';
import { backupFailureQuote, boundedBackup, hungQuote } from './bound.ts';

const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(new HarnessError('ABORTED', 'killed')), { once: true }),
  );
const toolExit = (exitCode: number | undefined, stderr: string) =>
  new HarnessError('ETCDCTL', 'etcdutl backup failed: …', { details: { exitCode, stderr } });

async function refusal(p: Promise<unknown>): Promise<Refusal> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Refusal);
  return err as Refusal;
}

describe('the backup bound', () => {
  it('says how long it waited', () => {
    expect(hungQuote(30_000)).toBe('hung after 30 s');
    expect(hungQuote(1500)).toBe('hung after 1.5 s');
  });

  it('a command still running at the bound is signalled to die and becomes Refusal hung, phase backup', async () => {
    let killed = false;
    const r = await refusal(
      boundedBackup(
        'etcdctl backup --with-v3 of the running etcd1',
        (signal) => {
          signal.addEventListener('abort', () => {
            killed = true;
          });
          return never(signal);
        },
        { boundMs: 50, signal: new AbortController().signal, graceMs: 1000 },
      ),
    );
    expect(killed).toBe(true);
    expect([r.outcome, r.phase, r.quote, r.step]).toEqual([
      'hung',
      'backup',
      'hung after 0.1 s',
      'etcdctl backup --with-v3 of the running etcd1',
    ]);
  });

  it("the tool's own non-zero exit becomes Refusal failed, quoting etcd's fatal line", async () => {
    const stderr = [
      '2026-11-30T18:31:24Z\tinfo\tetcdutl/backup_command.go:216\tignoring EntryConfChange raft entry',
      '2026-11-30T18:31:25Z\tfatal\tetcdutl/backup_command.go:284\ttimed out waiting to acquire lock on\t{"srcDB": "/d/member/snap/db"}',
      'go.etcd.io/etcd/etcdutl/etcdutl.saveDB',
    ].join('\n');
    const r = await refusal(
      boundedBackup('etcdutl backup', () => Promise.reject(toolExit(1, stderr)), {
        signal: new AbortController().signal,
      }),
    );
    expect([r.outcome, r.phase]).toEqual(['failed', 'backup']);
    expect(r.quote).toBe('timed out waiting to acquire lock on {"srcDB": "/d/member/snap/db"}');
  });

  it('a tool that did not run (no exit code) or anything else stays a harness error', async () => {
    const spawn = toolExit(undefined, '');
    const opts = { signal: new AbortController().signal };
    await expect(boundedBackup('x', () => Promise.reject(spawn), opts)).rejects.toBe(spawn);
    const other = new HarnessError('CLUSTER_UNHEALTHY', 'no member');
    await expect(boundedBackup('x', () => Promise.reject(other), opts)).rejects.toBe(other);
    expect(backupFailureQuote(new Error('plain'))).toBeUndefined();
  });

  it('Ctrl-C is an interrupt, never a hang', async () => {
    const ac = new AbortController();
    const p = boundedBackup('x', never, { boundMs: 10_000, signal: ac.signal });
    ac.abort();
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('ABORTED');
  });

  it('a completed command returns its result', async () => {
    await expect(
      boundedBackup('x', async () => 'ok', { signal: new AbortController().signal }),
    ).resolves.toBe('ok');
  });
});

describe('Refusal', () => {
  it('defaults to the restore phase, so existing callers keep their meaning', () => {
    const r = new Refusal(
      'refused: corrupt snapshot',
      'etcdutl snapshot restore (etcd1)',
      'snapshot missing hash',
    );
    expect(r.phase).toBe('restore');
    expect(r.message).toBe(
      'etcdutl snapshot restore (etcd1): refused: corrupt snapshot (etcd: snapshot missing hash)',
    );
    expect(new Refusal('hung', 'etcdctl backup', 'hung after 30 s', 'backup').message).toBe(
      'etcdctl backup: backup hung (etcd: hung after 30 s)',
    );
  });
});
