import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { RESTART_KUBELET } from './admission.ts';

let dir = '';
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Runs the script with stand-ins for systemctl, sleep and journalctl (refusing on the first `refusing` looks). */
async function run(refusing: number) {
  dir = await mkdtemp(join(tmpdir(), 'admission-'));
  const tool = async (name: string, body: string) => {
    await writeFile(join(dir, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(dir, name), 0o755);
  };
  await tool('systemctl', `echo "$*" >> ${dir}/restarts`);
  await tool('sleep', 'true');
  await tool(
    'journalctl',
    `n=$(cat ${dir}/looks 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/looks
if [ "$n" -lt ${refusing} ]; then echo 'W1202 predicate.go:113] Failed to admit pod etcd-node_kube-system(1): ephemeral-storage'; fi`,
  );
  const r = await execa('sh', ['-c', RESTART_KUBELET], {
    reject: false,
    env: { PATH: `${dir}:${process.env.PATH}` },
  });
  const restarts = (await readFile(join(dir, 'restarts'), 'utf8')).trim().split('\n');
  return { exitCode: r.exitCode, stderr: r.stderr, restarts };
}

describe('RESTART_KUBELET', () => {
  it('restarts kubelet once when it refuses no static pod', async () => {
    expect(await run(0)).toMatchObject({ exitCode: 0, restarts: ['restart kubelet'] });
  });
  it('restarts it again after a refusal, until none', async () => {
    const r = await run(2);
    expect(r.restarts).toHaveLength(3);
    expect(r.exitCode).toBe(0);
  });
  it('fails after three restarts that all refused, naming the refusal', async () => {
    const r = await run(3);
    expect(r.exitCode).toBe(1);
    expect(r.restarts).toHaveLength(3);
    expect(r.stderr).toMatch(/kubelet refused a static pod after 3 restarts: .*Failed to admit pod etcd-/);
  });
});
