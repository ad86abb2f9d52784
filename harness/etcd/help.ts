import { stat } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';
import type { Support } from '../strategies/types.ts';
import { execa } from '../util/exec.ts';
import type { EtcdDist } from './dist.ts';

/**
 * Version gating by asking the binary: the flags a tool's --help defines. A table of versions would
 * be wrong for the first release it does not list (3.6 dropped --enable-v2, and etcd refuses flags
 * it does not know).
 */

/** One help text per binary file (path and mtime: a rebuilt binary is asked again), command and API. */
const cache = new Map<string, Promise<string>>();

/** `<binary> [command…] --help`, stdout and stderr together (etcd prints its usage on stderr). */
export async function toolHelp(
  binary: string,
  command: readonly string[] = [],
  api: 2 | 3 = 3,
): Promise<string> {
  const mtime = await stat(binary).then(
    (s) => s.mtimeMs,
    () => -1,
  );
  const key = [binary, mtime, api, ...command].join('\0');
  let text = cache.get(key);
  if (!text) {
    text = runHelp(binary, command, api);
    cache.set(key, text);
    text.catch(() => cache.delete(key)); // a failure is not remembered: the next ask says it again
  }
  return text;
}

async function runHelp(binary: string, command: readonly string[], api: 2 | 3): Promise<string> {
  const res = await execa(binary, [...command, '--help'], {
    reject: false,
    timeout: 20_000,
    env: { ETCDCTL_API: String(api) },
  });
  // A tool that cannot run (missing, not executable, crashed) says nothing about what it offers.
  if (res.exitCode === undefined || res.signal) {
    throw new HarnessError(
      'ETCD_DIST',
      `${binary} ${command.join(' ')} --help did not run (${res.signal ?? res.shortMessage}): check the etcd binaries (etcd-drill fetch)`,
    );
  }
  return `${res.stdout}\n${res.stderr}`;
}

/**
 * The flags a help text defines: lines that start with one (etcd's `  --name 'default'`, cobra's
 * `  -w, --write-out="simple"`). A flag only named in a description is not offered.
 */
export function helpFlags(text: string): Set<string> {
  const flags = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:-[A-Za-z0-9],\s*)?--([A-Za-z0-9][A-Za-z0-9.-]*)/.exec(line);
    if (m?.[1]) flags.add(`--${m[1]}`);
  }
  return flags;
}

/** `--name=value` and `--name` alike: the flag's name with its dashes. */
export function flagName(arg: string): string | undefined {
  return arg.startsWith('--') ? arg.split('=')[0] : undefined;
}

/** The flags `etcd --help` of this dist defines. */
export async function etcdFlags(dist: EtcdDist): Promise<ReadonlySet<string>> {
  return helpFlags(await toolHelp(dist.etcd));
}

/** Whether this etcd serves a v2 API: its help defines --enable-v2 (3.3 to 3.5 do; 3.6 removed v2). */
export async function v2Api(dist: EtcdDist): Promise<Support> {
  return v2ApiFrom(dist.version, await etcdFlags(dist));
}

export function v2ApiFrom(version: string, flags: ReadonlySet<string>): Support {
  if (flags.has('--enable-v2')) return { ok: true };
  return { ok: false, reason: `etcd ${version} has no v2 API (its etcd --help defines no --enable-v2)` };
}

/**
 * etcd's argv as this binary takes it. `--enable-v2=false` is optional (without the flag there is no
 * v2 API to turn off) and is dropped when undefined; every other flag is required and one this etcd
 * does not define is an error naming it, before etcd would refuse it with a usage dump.
 */
export function gateEtcdArgs(version: string, flags: ReadonlySet<string>, args: readonly string[]): string[] {
  const out = args.filter((a) => !(a === '--enable-v2=false' && !flags.has('--enable-v2')));
  const missing = out.map(flagName).filter((f): f is string => !!f && !flags.has(f));
  if (missing.length > 0) throw missingFlags(`etcd ${version}`, [...new Set(missing)]);
  return out;
}

/** A fault or strategy that starts etcd with `flag`: not applicable where this etcd does not define it. */
export function flagSupport(version: string, flags: ReadonlySet<string>, flag: string): Support {
  if (flags.has(flag)) return { ok: true };
  return {
    ok: false,
    reason: `etcd ${version} does not define ${flag} (its etcd --help lists no such flag)`,
  };
}

export function missingFlags(tool: string, missing: readonly string[]): HarnessError {
  const v2 = missing.includes('--enable-v2')
    ? ' (no v2 API: drop the v2 parts or use etcd 3.5 or older)'
    : '';
  return new HarnessError(
    'BAD_INPUT',
    `${tool} does not define ${missing.join(', ')}${v2}: its --help lists no such flag; use a version that has it`,
    { details: { missing: [...missing] } },
  );
}

/** Whether a tool's subcommand help defines a flag (strategies gate their modes on this). */
export async function toolDefines(
  binary: string | undefined,
  command: readonly string[],
  flag: string,
  api: 2 | 3 = 3,
): Promise<boolean> {
  if (!binary) return false;
  return helpFlags(await toolHelp(binary, command, api)).has(flag);
}

/** gateEtcdArgs against this dist's etcd --help. */
export async function gateEtcd(dist: EtcdDist, args: readonly string[]): Promise<string[]> {
  return gateEtcdArgs(dist.version, await etcdFlags(dist), args);
}
