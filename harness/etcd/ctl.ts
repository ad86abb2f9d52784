import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { execa } from '../util/exec.ts';

export interface CtlResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface CtlOptions {
  /** ETCDCTL_API; ignored by etcdutl. @default 3 */
  readonly api?: 2 | 3;
  readonly signal?: AbortSignal;
  /** @default 60_000 */
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

/** The environment for etcd tools: the caller's, minus any ETCD_/ETCDCTL_ settings that would override our flags. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  return { ...env, ...extra };
}

/** First lines of a tool's error output, verbatim, for messages and reports. */
export function firstLines(text: string, n = 3): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, n)
    .join(' | ');
}

/** "etcdctl member add", not "etcdctl --endpoints http://…": how messages name a tool call. */
export function describeCommand(tool: string, args: readonly string[]): string {
  const words = args.filter((a, i) => !a.startsWith('-') && !args[i - 1]?.startsWith('--')).slice(0, 2);
  return [tool, ...words].join(' ');
}

/** A failed etcdctl/etcdutl call, quoting the tool's own first lines. */
export function toolFailure(
  command: string,
  why: string,
  argv: readonly string[],
  exitCode: number | undefined,
  stderr: string,
): HarnessError {
  return new HarnessError('ETCDCTL', `${command} failed: ${why}`, {
    details: { argv: [...argv], exitCode, stderr: stderr.slice(0, 2000) },
  });
}

/** Runs etcdctl or etcdutl on this host; a non-zero exit becomes an ETCDCTL error quoting stderr. */
export async function runTool(
  binary: string,
  args: readonly string[],
  opts: CtlOptions = {},
): Promise<CtlResult> {
  const tool = binary.split('/').at(-1) ?? binary;
  const command = describeCommand(tool, args);
  opts.log?.debug('running tool', { tool, args });
  const res = await execa(binary, args, {
    env: cleanEnv({ ETCDCTL_API: String(opts.api ?? 3) }),
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  if (res.isCanceled) throw new HarnessError('ABORTED', `${command} was interrupted`);
  if (res.failed) {
    const why = res.timedOut
      ? `timed out after ${opts.timeoutMs ?? 60_000} ms`
      : firstLines(String(res.stderr || res.stdout || res.message));
    throw toolFailure(command, why, [tool, ...args], res.exitCode, String(res.stderr));
  }
  return { stdout: String(res.stdout), stderr: String(res.stderr) };
}
