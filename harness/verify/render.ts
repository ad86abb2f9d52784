import type { VerifyResult } from './types.ts';

const VERDICT: Record<VerifyResult['verdict'], string> = {
  restorable: 'RESTORABLE',
  damaged: 'DAMAGED',
  'not-restorable': 'NOT RESTORABLE',
};

const CHOSEN = {
  given: 'as asked',
  recorded: 'the version the db records',
  default: 'the default: the db records no version',
} as const;

function table(head: [string, string], rows: Record<string, number>): string[] {
  const entries = Object.entries(rows);
  if (entries.length === 0) return ['(none)'];
  return [`| ${head[0]} | ${head[1]} |`, '|---|---:|', ...entries.map(([k, n]) => `| \`${k}\` | ${n} |`)];
}

/** "3 d 4 h", "12 min": a backup age a reader takes in at a glance. */
export function ageText(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}

function integrityLines(r: VerifyResult): string[] {
  const i = r.integrity;
  const t = i.sha256Trailer;
  const trailer = !t
    ? undefined
    : !t.present
      ? 'absent (not a `snapshot save` output, or cut short)'
      : t.ok
        ? 'matches'
        : `does NOT match (file says ${t.expected?.slice(0, 16)}…, content hashes to ${t.actual?.slice(0, 16)}…)`;
  const st = i.status;
  const status = !st
    ? undefined
    : st.ok
      ? `hash ${st.figures.hash}, revision ${st.figures.revision}, ${st.figures.totalKey} keys, ${st.figures.totalSize} bytes (${st.tool})`
      : `refused by ${st.tool}: ${st.words}`;
  return [
    '## Integrity',
    ...(trailer ? [`- sha256 trailer: ${trailer}`] : []),
    ...(status ? [`- snapshot status: ${status}`] : []),
    `- structure: ${i.structure}`,
    `- cluster version recorded in the db: ${i.recordedClusterVersion}`,
  ];
}

function contentLines(r: VerifyResult): string[] {
  const c = r.contents;
  if (!c) return [];
  const newest = c.newest.creationTimestamp ?? c.newest.managedFieldsTime;
  const unread = c.encoding.protobuf
    ? `; ${c.encoding.protobuf} protobuf-encoded object(s): not readable`
    : '';
  return [
    '## What it holds',
    `- ${c.keys} keys: ${c.keys - c.notKubernetes} under /registry/, ${c.notKubernetes} elsewhere`,
    `- objects read: ${c.encoding.json} JSON${unread}; ${c.encoding.other} other value(s)`,
    `- newest creationTimestamp: ${c.newest.creationTimestamp ?? 'none readable'}; newest managedFields time: ${c.newest.managedFieldsTime ?? 'none readable'}`,
    `- backup age: ${r.backupAgeSeconds !== undefined && newest ? `at least ${ageText(r.backupAgeSeconds)} (newest readable object time ${newest})` : 'unknown (no readable object time)'}`,
    '',
    '### Keys per resource type',
    ...table(['type', 'keys'], c.byType),
    '',
    '### Keys per namespace',
    ...table(['namespace', 'keys'], c.byNamespace),
  ];
}

function restoreLines(r: VerifyResult): string[] {
  const x = r.restore;
  if (!x) return [];
  const failed = x.steps.find((s) => !s.ok);
  return [
    '## Restore',
    `- ${x.members}-member throwaway cluster, etcd ${x.etcd} (${CHOSEN[x.etcdChosen]}; ${x.etcdOrigin}), provider ${x.provider}`,
    `- how: ${x.how}`,
    ...(x.ok
      ? [
          `- revision ${x.revision ?? 'unknown'}, compact revision ${x.compactRevision === 0 ? 'none' : (x.compactRevision ?? 'unknown')}, ${x.leases ?? 'unknown'} lease(s)`,
        ]
      : [`- failed at: ${failed?.title ?? 'unknown step'}`]),
  ];
}

function v2Lines(r: VerifyResult): string[] {
  if (!r.v2) return [];
  return [
    '## v2 content',
    `- ${r.v2.nodes} nodes: ${r.v2.directories} directories, ${r.v2.values} values`,
    '',
    ...table(['prefix', 'nodes'], r.v2.byPrefix),
  ];
}

function againstLines(r: VerifyResult): string[] {
  const a = r.against;
  if (!a) return [];
  const first = (label: string, keys: readonly string[]) =>
    keys.length ? [`- first ${label}: ${keys.map((k) => `\`${k}\``).join(', ')}`] : [];
  return [
    `## Against ${a.endpoints.join(',')}`,
    `- backup ${a.expected} keys, live ${a.observed}: ${a.same} same, ${a.missing} only in the backup, ${a.extra} only live, ${a.changed} with another value`,
    ...first('only in the backup', a.firstMissing),
    ...first('only live', a.firstExtra),
    ...first('changed', a.firstChanged),
  ];
}

function inputText(r: VerifyResult): string {
  const b = r.input.bytes;
  return r.input.kind === 'v2-backup-dir' ? `v2 backup dir, its db ${b} bytes` : `v3 snapshot, ${b} bytes`;
}

/** The Markdown summary: printed and written as summary.md. */
export function renderVerify(r: VerifyResult): string {
  const sections = [
    [
      `# etcd-drill verify: ${VERDICT[r.verdict]}`,
      '',
      `\`${r.input.path}\` (${inputText(r)})${r.reason ? `: ${r.reason}` : ''}`,
    ],
    integrityLines(r),
    restoreLines(r),
    contentLines(r),
    v2Lines(r),
    againstLines(r),
  ].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
