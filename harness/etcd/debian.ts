import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { collectBinaries } from './extract.ts';
import { KNOWN_VERSIONS, type KnownVersion, parseAptSourceUris, pickDebianVersion } from './versions.ts';

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
  const mirror = await machineMirror();
  for (const d of ['sources.d', 'lists/partial', 'cache/archives/partial']) {
    await mkdir(join(aptDir, d), { recursive: true });
  }
  const suites = [...new Set(KNOWN_VERSIONS.map((k) => k.debianSuite))].join(' ');
  await writeFile(
    join(aptDir, 'sources.d', 'debian.sources'),
    `Types: deb\nURIs: ${mirror}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  );
  const o = [
    '-o',
    'Dir::Etc::SourceList=/dev/null',
    '-o',
    `Dir::Etc::SourceParts=${join(aptDir, 'sources.d')}`,
    '-o',
    `Dir::State::Lists=${join(aptDir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(aptDir, 'cache')}`,
    '-o',
    'Dir::State::status=/dev/null',
    '-o',
    'Debug::NoLocking=true',
  ];
  const apt = async (cmd: string, args: string[], cwd?: string) => {
    const res = await execa(cmd, [...o, ...args], {
      cwd,
      reject: false,
      cancelSignal: signal,
      timeout: 300_000,
    });
    if (res.failed) {
      throw new HarnessError(
        'ETCD_DIST',
        `${cmd} ${args.join(' ')} failed (is Debian's archive reachable? otherwise pass --etcd-bin-dir): ${String(
          res.stderr || res.message || res.exitCode,
        )
          .split('\n')
          .slice(-3)
          .join(' ')}`,
      );
    }
    return res.stdout;
  };
  log.progress(`apt: updating private package lists for ${suites}`);
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

async function machineMirror(): Promise<string> {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push(await readFile('/etc/apt/sources.list', 'utf8'));
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of await readdir('/etc/apt/sources.list.d')) {
      if (f.endsWith('.sources') || f.endsWith('.list')) {
        files.push(await readFile(join('/etc/apt/sources.list.d', f), 'utf8'));
      }
    }
  }
  const [uri] = parseAptSourceUris(files);
  if (!uri) {
    throw new HarnessError(
      'ETCD_DIST',
      'no Debian mirror found in /etc/apt/sources.list(.d): this fetch needs a Debian machine; pass --etcd-bin-dir with your own etcd binaries instead',
    );
  }
  return uri;
}
