import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HarnessError } from '../errors.ts';
import { execa } from '../util/exec.ts';
import { collectBinaries } from './extract.ts';

/**
 * Official release tarballs, for machines with internet. Nothing in the test suite uses this:
 * CI machines reach only Debian's archive and the npm registry.
 */
export async function fetchFromGithub(
  version: string,
  staging: string,
  signal?: AbortSignal,
): Promise<string> {
  const name = `etcd-v${version}-linux-amd64`;
  const url = `https://github.com/etcd-io/etcd/releases/download/v${version}/${name}.tar.gz`;
  let res: Response;
  try {
    res = await fetch(url, signal ? { signal } : {});
  } catch (err) {
    throw new HarnessError(
      'ETCD_DIST',
      `cannot reach ${url}; without internet use the Debian source (the default) or --etcd-bin-dir`,
      { cause: err },
    );
  }
  if (!res.ok || !res.body) {
    throw new HarnessError(
      'ETCD_DIST',
      `${url} answered ${res.status}: is v${version} a released etcd version?`,
    );
  }
  const tarball = join(staging, `${name}.tar.gz`);
  await pipeline(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
    createWriteStream(tarball),
  );
  const tree = join(staging, 'tree');
  await mkdir(tree, { recursive: true });
  await execa('tar', ['-xzf', tarball, '-C', tree], { cancelSignal: signal });
  await collectBinaries(tree, join(staging, 'bin'));
  return `github ${url}`;
}
