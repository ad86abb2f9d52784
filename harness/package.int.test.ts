import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRun } from '../reports/regrade.ts';
import { REPORTERS } from '../reports/write.ts';
import { defaultCacheDir } from './etcd/dist.ts';
import { fromRoot, toolVersion } from './paths.ts';
import { loadScenarios } from './scenario.ts';
import { STRATEGIES } from './strategies/index.ts';

// `npm pack`, then install the tarball into an empty folder with no network, then use it as a user would.
// Offline: the install takes this repo's package-lock.json (prod entries, with their registry URLs
// spelled out: this machine's npm omits them) as the app's lock, so every tarball comes from the
// npm cache the repo's own `npm ci` filled; a dependency missing from that cache fails the install.

type LockEntry = { version: string; name?: string; resolved?: string; dev?: boolean; [k: string]: unknown };

const tmp = await mkdtemp(join(tmpdir(), 'drill-pkg-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));
const app = join(tmp, 'app');
const bin = join(app, 'node_modules', '.bin', 'etcd-drill');

async function appLock(tarball: string): Promise<object> {
  const registry = (await execa('npm', ['config', 'get', 'registry'])).stdout.trim().replace(/\/?$/, '/');
  const lock = JSON.parse(readFileSync(fromRoot('package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const root = lock.packages[''] as LockEntry;
  const spec = `file:${tarball}`;
  const packages: Record<string, object> = {
    '': { dependencies: { 'etcd-drill': spec } },
    'node_modules/etcd-drill': { ...root, resolved: spec, devDependencies: undefined },
  };
  for (const [path, e] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || e.dev) continue;
    const name = e.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const file = `${name.split('/').pop()}-${e.version}.tgz`;
    packages[path] = { ...e, resolved: e.resolved ?? `${registry}${name}/-/${file}` };
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

beforeAll(async () => {
  // prepack builds dist/ from the sources as they are now.
  const packed = await execa('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: fromRoot() });
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  const tarball = join(tmp, filename);
  await mkdir(app);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ private: true, dependencies: { 'etcd-drill': `file:${tarball}` } }),
  );
  await writeFile(join(app, 'package-lock.json'), JSON.stringify(await appLock(tarball)));
  // --ignore-scripts: no native build reaches for the network (the repo's own npm ci runs none either).
  await execa('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app });
});

describe('the packed package, installed into an empty folder', () => {
  it('ships compiled JavaScript and no tsx: `etcd-drill list` names every scenario', async () => {
    expect(existsSync(join(app, 'node_modules', 'etcd-drill', 'dist', 'harness', 'cli.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    const res = await execa(bin, ['list'], { cwd: app, reject: false });
    expect(res.exitCode, res.stderr).toBe(0);
    const scenarios = await loadScenarios([...STRATEGIES.keys()]);
    for (const s of scenarios) expect(res.stdout).toContain(s.id);
  });

  it('runs a drill on the cached etcd and writes every report (the reporters find their assets)', async () => {
    const out = join(tmp, 'out');
    const reporters = [...REPORTERS.values()];
    const res = await execa(
      bin,
      [
        ...['run', '-s', 's5-v3-snapshot-all-members', '--provider', 'process', '--no-probes', '--out', out],
        ...reporters.flatMap((r) => ['--reporter', r.name]),
      ],
      { cwd: app, reject: false, all: true, env: { ETCD_DRILL_CACHE: defaultCacheDir() } },
    );
    expect(res.exitCode, res.all).toBe(0);
    const dir = join(out, (await readdir(out))[0] ?? '');
    for (const r of reporters) expect(existsSync(join(dir, r.file)), r.file).toBe(true);
    const run = await readRun(join(dir, 'results.json'));
    expect(run.tool).toEqual({ name: 'etcd-drill', version: toolVersion() });
    expect(run.results.map((r) => r.scenarioId)).toEqual(['s5-v3-snapshot-all-members']);
  });
});
