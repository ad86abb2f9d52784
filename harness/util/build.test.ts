import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { runLongBuild } from './build.ts';

describe('runLongBuild', () => {
  it("names the caller's step, its exit code and the output's tail, not the wrapper's name", async () => {
    const err = await runLongBuild({
      argv: ['nice', '-n', '19', 'sh', '-c', 'echo compiling; echo "undefined: foo" >&2; exit 3'],
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      what: 'apiextensions-apiserver',
      step: 'go build k8s.io/apiextensions-apiserver',
      log: silentLogger,
      timeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ETCD_DIST',
      details: { step: 'go build k8s.io/apiextensions-apiserver' },
    });
    const msg = String((err as Error).message);
    expect(msg).toContain(
      'building apiextensions-apiserver failed: go build k8s.io/apiextensions-apiserver exited 3',
    );
    expect(msg).toContain('undefined: foo');
    expect(msg).not.toMatch(/nice exit/);
  });

  it('a step that succeeds is no error', async () => {
    await runLongBuild({
      argv: ['sh', '-c', 'echo ok'],
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      what: 'x',
      step: 'sh',
      log: silentLogger,
      timeoutMs: 30_000,
    });
  });
});
