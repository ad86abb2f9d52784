import type { VerifyResult } from './types.ts';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Case {
  readonly name: string;
  /** undefined: passed; a string: failed with this message; null: did not run (skipped). */
  readonly failure: string | undefined | null;
  readonly out?: string;
}

function cases(r: VerifyResult): Case[] {
  const damaged = r.verdict === 'damaged' ? (r.reason ?? 'damaged') : undefined;
  const restored = r.restore ? (r.restore.ok ? undefined : (r.reason ?? 'not restorable')) : null;
  const out: Case[] = [
    { name: 'integrity', failure: r.restore ? undefined : damaged },
    { name: 'restore into a throwaway cluster', failure: restored },
  ];
  if (r.against) {
    const a = r.against;
    out.push({
      name: `keyspace against ${a.endpoints.join(',')}`,
      failure: undefined,
      out: `${a.same} same, ${a.missing} only in the backup, ${a.extra} only live, ${a.changed} changed`,
    });
  }
  return out;
}

/**
 * One testsuite for the backup, one testcase per stage. The --against diff is information, never a
 * failure (a live cluster moves on after a backup; the exit code ignores it too).
 */
export function renderJunit(r: VerifyResult): string {
  const cs = cases(r);
  const failures = cs.filter((c) => typeof c.failure === 'string').length;
  const skipped = cs.filter((c) => c.failure === null).length;
  const body = cs.map((c) => {
    const open = `    <testcase classname="etcd-drill.verify" name="${esc(c.name)}">`;
    if (c.failure === undefined)
      return `${open}${c.out ? `<system-out>${esc(c.out)}</system-out>` : ''}</testcase>`;
    if (c.failure === null)
      return `${open}<skipped message="did not run: the file was refused first"/></testcase>`;
    return `${open}<failure message="${esc(c.failure)}"/></testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="etcd-drill verify" tests="${cs.length}" failures="${failures}">`,
    `  <testsuite name="${esc(r.input.path)}" tests="${cs.length}" failures="${failures}" errors="0" skipped="${skipped}" timestamp="${r.startedAt.slice(0, 19)}">`,
    ...body,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
