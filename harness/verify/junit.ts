import { type Case, junitDocument } from '../../reports/junit-xml.ts';
import type { VerifyResult } from './types.ts';

const pass = { kind: 'pass' } as const;

function integrityCase(r: VerifyResult): Case {
  if (r.verdict !== 'damaged' || r.restore)
    return { name: 'integrity', seconds: 0, outcome: pass, line: r.integrity.structure };
  const message = r.reason ?? 'damaged';
  return {
    name: 'integrity',
    seconds: 0,
    outcome: { kind: 'failure', type: 'damaged', message },
    line: message,
  };
}

function restoreCase(r: VerifyResult): Case {
  const name = 'restore into a throwaway cluster';
  const seconds = (r.restore?.steps ?? []).reduce((s, x) => Math.max(s, x.startMs + x.durationMs), 0) / 1000;
  if (!r.restore) {
    const message = 'did not run: the file was refused first';
    return { name, seconds, outcome: { kind: 'skipped', type: 'not-run', message }, line: message };
  }
  const how = `${r.restore.how} on etcd ${r.restore.etcd} (${r.restore.members} members, ${r.restore.provider})`;
  if (r.restore.ok) return { name, seconds, outcome: pass, line: how };
  const message = r.reason ?? 'not restorable';
  return { name, seconds, outcome: { kind: 'failure', type: r.verdict, message, body: how }, line: message };
}

/** The --against diff is information, never a failure (a live cluster moves on after a backup). */
function againstCase(r: VerifyResult): Case[] {
  const a = r.against;
  if (!a) return [];
  const line = `${a.same} same, ${a.missing} only in the backup, ${a.extra} only live, ${a.changed} changed`;
  return [{ name: `keyspace against ${a.endpoints.join(',')}`, seconds: 0, outcome: pass, line }];
}

/** One testsuite for the backup, one testcase per stage, in the drill's JUnit format. */
export function renderJunit(r: VerifyResult): string {
  return junitDocument([
    {
      name: r.input.path,
      package: 'etcd-drill.verify',
      startedAt: r.startedAt,
      seconds: (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000,
      properties: [
        ['verdict', r.verdict],
        ['kind', r.input.kind],
        ['bytes', String(r.input.bytes)],
        ['recordedClusterVersion', r.integrity.recordedClusterVersion],
      ],
      cases: [integrityCase(r), restoreCase(r), ...againstCase(r)],
      header: [`etcd-drill verify ${r.id}: ${r.input.path}: ${r.verdict}${r.reason ? ` (${r.reason})` : ''}`],
    },
  ]);
}
