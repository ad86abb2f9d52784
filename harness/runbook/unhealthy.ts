import type { Member } from '../cluster/types.ts';
import { errorLine } from '../etcd/log-lines.ts';

/**
 * etcd's own words that it will not run as configured: a fatal line (zap JSON; capnslog's `C |` on
 * 3.3/3.4), or a peer of another cluster (the members were restored into different clusters).
 */
const REFUSING = [/"level":"fatal"/, /\sC \| /, /cluster ID mismatch/];
/** A port held by another process: the machine's problem, not the configuration's. */
const NOT_ETCDS = /address already in use/;

/** The log of a member's latest start, as the harness wrote it (each start is headed by this line). */
const START_MARK = '=== etcd-drill: starting';

/** What etcd said since this member's latest start to refuse its configuration, if it said so. */
export function refusalIn(log: string): string | undefined {
  const latest = log.slice(Math.max(0, log.lastIndexOf(START_MARK)));
  if (NOT_ETCDS.test(latest)) return undefined;
  const line = latest.split('\n').find((l) => REFUSING.some((r) => r.test(l)));
  return line === undefined ? undefined : errorLine(line);
}

/**
 * Why members a runbook started never turned healthy, in etcd's own words, or undefined when no
 * member's log says: then the wait that timed out was only the harness's, and proves nothing.
 */
export async function etcdRefusal(members: readonly Member[]): Promise<string | undefined> {
  for (const m of members) {
    const words = refusalIn(await m.logTail(400));
    if (words) return `${m.name}: ${words}`;
  }
  return undefined;
}
