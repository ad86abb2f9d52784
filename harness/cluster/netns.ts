/**
 * Per-member Linux network namespaces for the process provider: a bridge the harness owns, one netns
 * and veth pair per member, each member on its own 10.x address. Needed by faults that cut or slow
 * peer traffic (on loopback every member shares one network stack, so nothing can be cut between them).
 * Every object carries the run id and owner pid (netns name, link alias, iptables comment), so the
 * sweep finds what a crashed run left.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Support } from '../strategies/types.ts';
import { execa } from '../util/exec.ts';
import { isAbandoned } from '../workdir.ts';

const PREFIX = 'etcd-drill.';
const LABEL = /etcd-drill\.run=(\S+?)\/owner=(\d+)/;

export function netLabel(runId: string, owner = process.pid): string {
  return `etcd-drill.run=${runId}/owner=${owner}`;
}

/** Runs a command as root networking needs it; output trimmed; throws with its stderr. */
export async function run(cmd: string, args: readonly string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0 || r.failed) {
    throw new HarnessError(
      'PROVIDER_START',
      `${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || r.shortMessage || 'failed').trim()}`,
    );
  }
  return r.stdout.trim();
}

export interface MemberNetns {
  readonly bridge: string;
  readonly hostAddress: string;
  /** Member name → its address (the member listens on it; the harness dials it). */
  readonly addresses: Readonly<Record<string, string>>;
  /** The command prefix that runs a program inside the member's namespace. */
  exec(member: string): string[];
  /** Removes every namespace, link and rule this made; idempotent, never throws. */
  remove(): Promise<void>;
}

/** Fails in one line, naming the fix, when this machine cannot make namespaces. */
export async function checkNetnsPossible(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new HarnessError(
      'BAD_INPUT',
      'per-member network namespaces (partition and slow-peer faults) need root: run as root or use --provider container',
    );
  await run('ip', ['netns', 'list']).catch((err: unknown) => {
    throw new HarnessError(
      'BAD_INPUT',
      `per-member network namespaces need iproute2 (\`ip netns\`): ${String(err)}; install iproute2 or use --provider container`,
    );
  });
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/**
 * Whether peer-link faults can run here, asked before a drill starts: they change network
 * namespaces (ours, or a container's through nsenter), which takes root and these tools.
 */
export function peerNetworkSupport(provider: string): Support {
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'peer-link faults change network namespaces: run as root' };
  const tools = provider === 'container' ? ['nsenter', 'iptables'] : ['ip', 'iptables'];
  const missing = tools.filter((t) => !onPath(t));
  return missing.length
    ? {
        ok: false,
        reason: `peer-link faults need ${missing.join(' and ')} on this host (iproute2, iptables, util-linux)`,
      }
    : { ok: true };
}

async function usedPrefixes(): Promise<Set<string>> {
  const used = new Set<string>();
  const out = await run('ip', ['-4', '-o', 'addr', 'show']);
  for (const m of out.matchAll(/inet (\d+\.\d+\.\d+)\./g)) used.add(m[1] as string);
  const routes = await run('ip', ['-4', 'route', 'show']);
  for (const m of routes.matchAll(/^(\d+\.\d+\.\d+)\.\d+\//gm)) used.add(m[1] as string);
  return used;
}

/** A 10.x.y.0/24 no local address or route uses, derived from the name so parallel runs differ. */
async function pickSubnet(hash: string): Promise<string> {
  const used = await usedPrefixes();
  const seed = Number.parseInt(hash.slice(0, 6), 16);
  for (let i = 0; i < 256; i++) {
    const n = (seed + i * 7919) % (50 * 256);
    const prefix = `10.${200 + Math.floor(n / 256)}.${n % 256}`;
    if (!used.has(prefix)) return prefix;
  }
  throw new HarnessError('PROVIDER_START', 'no free 10.200-249.x.0/24 subnet for the member namespaces');
}

/** Whether bridged frames pass the host's iptables FORWARD chain (br_netfilter; Docker sets it). */
function bridgeFiltered(): boolean {
  try {
    return readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/**
 * Drills running at once (--parallel) would otherwise both find a subnet unused and both take it:
 * picking one and putting it on the bridge happen one cluster at a time.
 */
let subnetQueue: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const next = subnetQueue.then(fn, fn);
  subnetQueue = next.catch(() => {});
  return next;
}

function forwardRule(bridge: string, label: string): string[] {
  return ['-i', bridge, '-o', bridge, '-m', 'comment', '--comment', label, '-j', 'ACCEPT'];
}

export async function createMemberNetns(
  ctx: Pick<RunContext, 'runId'>,
  clusterName: string,
  members: readonly string[],
): Promise<MemberNetns> {
  await checkNetnsPossible();
  const hash = createHash('sha1').update(`${ctx.runId}/${clusterName}/${process.pid}`).digest('hex');
  const label = netLabel(ctx.runId);
  // Linux caps interface names at 15 characters: the alias carries the run id instead.
  const bridge = `edb${hash.slice(0, 8)}`;
  const nsOf = (m: string) => `${PREFIX}${ctx.runId}.${process.pid}.${hash.slice(0, 8)}.${m}`;
  const hostVeth = (i: number) => `edv${hash.slice(0, 8)}${i}`;
  let ruleAdded = false;
  const remove = async () => {
    for (const m of members) await run('ip', ['netns', 'del', nsOf(m)]).catch(() => {});
    // The host ends of the veths go with their namespaces; delete them anyway should one be stuck.
    for (let i = 0; i < members.length; i++) await run('ip', ['link', 'del', hostVeth(i)]).catch(() => {});
    await run('ip', ['link', 'del', bridge]).catch(() => {});
    if (ruleAdded)
      await run('iptables', ['-w', '-D', 'FORWARD', ...forwardRule(bridge, label)]).catch(() => {});
  };
  try {
    const prefix = await oneAtATime(async () => {
      const picked = await pickSubnet(hash);
      await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
      await run('ip', ['link', 'set', bridge, 'alias', label]);
      await run('ip', ['addr', 'add', `${picked}.1/24`, 'dev', bridge]);
      return picked;
    });
    const hostAddress = `${prefix}.1`;
    await run('ip', ['link', 'set', bridge, 'up']);
    if (bridgeFiltered()) {
      // Docker's FORWARD policy is DROP and br_netfilter sends bridged frames through it.
      await run('iptables', ['-w', '-I', 'FORWARD', '1', ...forwardRule(bridge, label)]);
      ruleAdded = true;
    }
    const addresses: Record<string, string> = {};
    for (const [i, m] of members.entries()) {
      const ns = nsOf(m);
      const address = `${prefix}.${11 + i}`;
      await run('ip', ['netns', 'add', ns]);
      await run('ip', [
        'link',
        'add',
        hostVeth(i),
        'type',
        'veth',
        'peer',
        'name',
        `edp${hash.slice(0, 8)}${i}`,
      ]);
      await run('ip', ['link', 'set', hostVeth(i), 'alias', label]);
      await run('ip', ['link', 'set', `edp${hash.slice(0, 8)}${i}`, 'netns', ns]);
      await run('ip', ['-n', ns, 'link', 'set', `edp${hash.slice(0, 8)}${i}`, 'name', 'eth0']);
      await run('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['link', 'set', hostVeth(i), 'master', bridge, 'up']);
      addresses[m] = address;
    }
    return { bridge, hostAddress, addresses, exec: (m) => ['ip', 'netns', 'exec', nsOf(m)], remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

export interface NetLeftovers {
  readonly netns: string[];
  readonly links: string[];
  readonly rules: string[];
}

/** Namespaces, links and FORWARD rules labelled by etcd-drill (of one run, or of any). */
export async function netLeftovers(runId?: string): Promise<NetLeftovers> {
  const mine = (run: string | undefined) => run !== undefined && (!runId || run === runId);
  const netns = (await run('ip', ['netns', 'list']).catch(() => ''))
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(PREFIX) && mine(n.slice(PREFIX.length).split('.')[0]));
  const links = (await run('ip', ['-o', 'link', 'show']).catch(() => ''))
    .split('\n')
    .filter((l) => mine(l.match(LABEL)?.[1]))
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '');
  const rules = (await run('iptables', ['-w', '-S', 'FORWARD']).catch(() => ''))
    .split('\n')
    .filter((l) => mine(l.match(LABEL)?.[1]));
  return { netns, links, rules };
}

/**
 * Removes namespaces, links and FORWARD rules of runs whose owner is gone (kept runs only with
 * includeKept). Run after the process sweep: a namespace lives on while a process is inside it.
 */
export async function sweepNetns(
  log: Logger,
  opts: { includeKept?: boolean; only?: string } = {},
): Promise<number> {
  if (process.getuid?.() !== 0) return 0;
  const left = await netLeftovers(opts.only);
  const abandoned = (run: string, owner: string) =>
    isAbandoned(run, Number(owner), opts.includeKept ?? false);
  let n = 0;
  for (const ns of left.netns) {
    const [run_, owner] = ns.slice(PREFIX.length).split('.');
    if (
      run_ &&
      owner &&
      abandoned(run_, owner) &&
      (await run('ip', ['netns', 'del', ns]).then(
        () => true,
        () => false,
      ))
    )
      n++;
  }
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const l of links.split('\n')) {
    const m = l.match(LABEL);
    const name = (l.split(': ')[1] ?? '').split('@')[0];
    if (m?.[1] && m[2] && name && left.links.includes(name) && abandoned(m[1], m[2])) {
      if (
        await run('ip', ['link', 'del', name]).then(
          () => true,
          () => false,
        )
      )
        n++;
    }
  }
  for (const rule of left.rules) {
    const m = rule.match(LABEL);
    const bridge = rule.match(/-i (\S+)/)?.[1];
    if (m?.[1] && m[2] && bridge && abandoned(m[1], m[2])) {
      const spec = forwardRule(bridge, netLabel(m[1], Number(m[2])));
      if (
        await run('iptables', ['-w', '-D', 'FORWARD', ...spec]).then(
          () => true,
          () => false,
        )
      )
        n++;
    }
  }
  if (n > 0) log.progress(`swept network leftovers of earlier runs: ${n} namespace(s), link(s) or rule(s)`);
  return n;
}
