import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { machineMirror, privateApt } from '../util/apt.ts';
import { execa } from '../util/exec.ts';
import { collectBinaries } from './extract.ts';
import { KNOWN_VERSIONS, type KnownVersion, pickDebianVersion } from './versions.ts';

/**
 * Fetches etcd-server and etcd-client .debs with apt's own tools but private lists and cache,
 * so the system's apt state is untouched (ENVIRONMENT.md).
 */
export async function fetchFromDebian(
  known: KnownVersion,
  aptDir: string,
  staging: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<string> {
  const hint = 'pass --etcd-bin-dir';
  const mirror = await machineMirror(`${hint} with your own etcd binaries instead`);
  const suites = [...new Set(KNOWN_VERSIONS.map((k) => k.debianSuite))];
  const apt = await privateApt({
    dir: aptDir,
    mirror,
    entries: [{ types: 'deb', suites }],
    hint,
    signal,
  });
  log.progress(`apt: updating private package lists for ${suites.join(' ')}`);
  await apt('apt-get', ['update']);
  const madison = await apt('apt-cache', ['madison', 'etcd-server']);
  const debVersion = pickDebianVersion(madison, known.version, known.debianSuite);
  if (!debVersion) {
    throw new HarnessError(
      'ETCD_DIST',
      `Debian ${known.debianSuite} no longer carries etcd-server ${known.version} (it lists: ${madison.replace(/\s+/g, ' ').trim()}); pass --etcd-bin-dir with your own binaries`,
    );
  }
  const debs = join(staging, 'debs');
  await mkdir(debs, { recursive: true });
  log.progress(`apt: downloading etcd-server and etcd-client ${debVersion}`);
  await apt('apt-get', ['download', `etcd-server=${debVersion}`, `etcd-client=${debVersion}`], debs);
  const tree = join(staging, 'tree');
  for (const f of await readdir(debs)) {
    if (!f.endsWith('.deb')) continue;
    await execa('dpkg-deb', ['-x', join(debs, f), tree], { cancelSignal: signal });
  }
  await collectBinaries(tree, join(staging, 'bin'));
  return `debian ${known.debianSuite} ${debVersion}`;
}
