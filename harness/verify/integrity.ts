import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';
import { firstLines, runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { errorLine } from '../etcd/log-lines.ts';
import type { SnapshotStatus } from '../strategies/common.ts';

/** The sha256 etcd appends to `snapshot save` output, checked as etcd's restore checks it. */
export interface TrailerCheck {
  /** etcd's own test: the size is 32 bytes past a multiple of 512 (bolt pages are multiples of 512). */
  readonly present: boolean;
  readonly ok: boolean;
  readonly expected?: string;
  readonly actual?: string;
}

const SHA_LEN = 32;

export function hasTrailer(size: number): boolean {
  return size % 512 === SHA_LEN;
}

/** The versions a bbolt file's `cluster` bucket holds under clusterVersion (old pages may keep older ones). */
export function clusterVersionsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/clusterVersion(\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? ''))];
}

const NEEDLE = Buffer.from('clusterVersion');
/** The needle plus the longest version etcd writes ("999.999.999"): a match closer to a chunk's end waits for the next. */
const REACH = NEEDLE.length + 12;

/** The cluster versions recorded in a bbolt file (etcd's snapshot status does not print them; 3.5 keeps them in the db's cluster bucket). */
export async function recordedVersions(file: string): Promise<string[]> {
  const found = new Set<string>();
  const look = (b: Buffer, upTo: number) => {
    for (let i = b.indexOf(NEEDLE); i !== -1 && i < upTo; i = b.indexOf(NEEDLE, i + 1))
      for (const v of clusterVersionsIn(b.toString('latin1', i, i + REACH))) found.add(v);
  };
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    // The last REACH bytes are looked at with the next chunk, so a version is never read cut.
    const b = tail.length ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer);
    look(b, b.length - REACH);
    tail = Buffer.from(b.subarray(Math.max(0, b.length - REACH)));
  }
  look(tail, tail.length);
  return [...found];
}

/** The sha256 of everything before the trailer against the trailer, as etcd's restore checks it. */
export async function checkTrailer(file: string): Promise<{ bytes: number; trailer: TrailerCheck }> {
  const { size } = await stat(file);
  const present = hasTrailer(size);
  if (!present) return { bytes: size, trailer: { present, ok: false } };
  const body = size - SHA_LEN;
  const h = createHash('sha256');
  if (body > 0)
    for await (const chunk of createReadStream(file, { end: body - 1, highWaterMark: 1 << 20 }))
      h.update(chunk as Buffer);
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SHA_LEN);
    await fh.read(buf, 0, SHA_LEN, body);
    const expected = buf.toString('hex');
    const actual = h.digest('hex');
    return { bytes: size, trailer: { present, ok: expected === actual, expected, actual } };
  } finally {
    await fh.close();
  }
}

/** A tool's own words: a Go crash (bbolt faulting on a cut file) by its first lines, else its error line. */
export function toolWords(stderr: string): string {
  if (/^(fatal error|panic):/m.test(stderr)) return firstLines(stderr, 3);
  return errorLine(stderr);
}

export type StatusAnswer =
  | { readonly ok: true; readonly tool: string; readonly status: SnapshotStatus }
  | { readonly ok: false; readonly tool: string; readonly words: string };

/**
 * `snapshot status -w json` (etcdutl from 3.5, etcdctl before), run on the file where it lies:
 * bbolt opens it read-only and walks every page (its Tx.Check), so a broken file fails here.
 */
export async function snapshotStatusOf(
  dist: EtcdDist,
  file: string,
  signal?: AbortSignal,
): Promise<StatusAnswer> {
  const tool = dist.etcdutl ? 'etcdutl' : 'etcdctl';
  const binary = dist.etcdutl ?? dist.etcdctl;
  try {
    const out = await runTool(binary, ['snapshot', 'status', file, '-w', 'json'], {
      timeoutMs: 30 * 60_000,
      ...(signal ? { signal } : {}),
    });
    return { ok: true, tool, status: JSON.parse(out.stdout) as SnapshotStatus };
  } catch (err) {
    // It ran and refused the file: etcd's answer. Not running at all is the harness's problem.
    const d = err instanceof HarnessError ? err.details : undefined;
    if (err instanceof HarnessError && err.code === 'ETCDCTL' && typeof d?.exitCode === 'number')
      return { ok: false, tool, words: toolWords(String(d.stderr ?? '')) };
    throw err;
  }
}
