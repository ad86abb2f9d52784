import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { parseAptSourceUris } from '../etcd/versions.ts';
import { execa } from './exec.ts';

export interface SourcesEntry {
  /** 'deb', 'deb-src' or 'deb deb-src'. */
  readonly types: string;
  readonly suites: readonly string[];
}

/** Runs apt-get / apt-cache against a private sources list, lists and cache (returns stdout). */
export type PrivateApt = (cmd: 'apt-get' | 'apt-cache', args: string[], cwd?: string) => Promise<string>;

/**
 * Apt's own tools with private lists, cache and an empty dpkg status, so the system's apt state is
 * untouched (ENVIRONMENT.md). `hint` says what the user can do instead when the archive fails.
 */
export async function privateApt(opts: {
  readonly dir: string;
  readonly mirror: string;
  readonly entries: readonly SourcesEntry[];
  readonly hint: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}): Promise<PrivateApt> {
  const { dir } = opts;
  for (const d of ['sources.d', 'lists/partial', 'cache/archives/partial']) {
    await mkdir(join(dir, d), { recursive: true });
  }
  await writeFile(
    join(dir, 'sources.d', 'debian.sources'),
    opts.entries
      .map(
        (e) =>
          `Types: ${e.types}\nURIs: ${opts.mirror}\nSuites: ${e.suites.join(' ')}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      )
      .join('\n'),
  );
  const o = [
    '-o',
    'Dir::Etc::SourceList=/dev/null',
    '-o',
    `Dir::Etc::SourceParts=${join(dir, 'sources.d')}`,
    '-o',
    `Dir::State::Lists=${join(dir, 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'cache')}`,
    '-o',
    'Dir::State::status=/dev/null',
    '-o',
    'Debug::NoLocking=true',
  ];
  return async (cmd, args, cwd) => {
    const res = await execa(cmd, [...o, ...args], {
      cwd,
      reject: false,
      cancelSignal: opts.signal,
      timeout: opts.timeoutMs ?? 300_000,
    });
    if (res.failed) {
      throw new HarnessError(
        'ETCD_DIST',
        `${cmd} ${args.join(' ')} failed (is Debian's archive reachable? otherwise ${opts.hint}): ${String(
          res.stderr || res.message || res.exitCode,
        )
          .split('\n')
          .slice(-3)
          .join(' ')}`,
      );
    }
    return res.stdout;
  };
}

/** The machine's own Debian mirror, read from its apt configuration rather than written into the code. */
export async function machineMirror(hint: string): Promise<string> {
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
      `no Debian mirror found in /etc/apt/sources.list(.d): this fetch needs a Debian machine; ${hint}`,
    );
  }
  return uri;
}
