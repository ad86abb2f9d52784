import { MODERN_K8S_KEY } from '../k8s/check-names.ts';
import type { CheckResult, ProcedureGrade } from '../result.ts';

type Finding = (c: CheckResult) => string | undefined;

const num = (c: CheckResult, k: string) => Number(c.evidence?.[k] ?? 0);

/** " (v3: etcd1 restored; etcd2, etcd3 lost)": which member serves what, from the check's evidence. */
function whoDiverged(api: string, c: CheckResult): string {
  const members = c.evidence?.members as Record<string, { outcome?: string; keys?: number }> | undefined;
  if (!members) return '';
  const by = new Map<string, string[]>();
  for (const [name, m] of Object.entries(members)) {
    const what = `${m.outcome ?? '?'}${m.keys !== undefined ? `, ${m.keys} keys` : ''}`;
    by.set(what, [...(by.get(what) ?? []), name]);
  }
  return ` (${api}: ${[...by].map(([what, names]) => `${names.join(', ')} ${what}`).join('; ')})`;
}

/** What a data outcome says about safety, in the words a platform team reads. */
function dataFinding(api: 'v2' | 'v3'): Finding {
  const unit = api === 'v3' ? 'keys' : 'entries';
  return (c) => {
    switch (c.observed) {
      case 'restored':
        return undefined;
      case 'lost':
      case 'partial':
        return `data loss (${api}: ${num(c, 'missing') + num(c, 'changed')} of ${num(c, 'expected')} ${unit})`;
      case 'post-backup':
        return `data from after the backup (${api})`;
      case 'mismatch':
        return `data mismatch (${api}: ${num(c, 'missing')} missing, ${num(c, 'extra')} extra, ${num(c, 'changed')} changed)`;
      case 'divergent':
        return `divergent members${whoDiverged(api, c)}`;
      default:
        return `${api} data: ${c.observed}`;
    }
  };
}

const FINDINGS: Record<string, Finding> = {
  backup: (c) => (c.observed === 'completed' ? undefined : `backup failed (${c.observed})`),
  restore: (c) => (c.observed === 'completed' ? undefined : `restore ${c.observed}`),
  'v3-data': dataFinding('v3'),
  'v2-data': dataFinding('v2'),
  membership: (c) =>
    c.observed === 'healthy'
      ? undefined
      : `degraded membership (${num(c, 'healthy')} of ${num(c, 'members')} healthy)`,
  integrity: (c) =>
    ({
      'hash mismatch': 'divergent members (hashkv differs)',
      'revision mismatch': 'divergent members (revisions from different histories)',
      'transient mismatch': 'members hashed differently for a while (transient mismatch)',
      alarm: 'alarm raised',
      incomplete: 'members missing',
    })[c.observed],
};

/** Who a component finding names, by check id prefix. */
const COMPONENT_GROUPS = [
  { prefix: 'component-', who: 'component' },
  { prefix: 'k8s-', who: 'Kubernetes component' },
  { prefix: `k8s-${MODERN_K8S_KEY}`, who: 'Kubernetes 1.36 apiserver' },
] as const;

/** The longest prefix that fits: 1.36's ids start with 1.20's 'k8s-' too. */
function groupOf(id: string): (typeof COMPONENT_GROUPS)[number] | undefined {
  return COMPONENT_GROUPS.filter((g) => id.startsWith(g.prefix)).sort(
    (a, b) => b.prefix.length - a.prefix.length,
  )[0];
}

/** Components: grouped into one reason per outcome, naming the components. */
function componentReasons(checks: readonly CheckResult[]): string[] {
  const out: string[] = [];
  for (const g of COMPONENT_GROUPS) {
    const named = (outcome: string) =>
      checks
        .filter((c) => c.observed === outcome && groupOf(c.id) === g)
        .map((c) => c.id.slice(g.prefix.length));
    const restart = named('needs-restart');
    const never = named('not-recovered');
    if (restart.length) out.push(`needs ${g.who} restart (${restart.join(', ')})`);
    if (never.length) out.push(`${g.who} not recovered (${never.join(', ')})`);
  }
  return out;
}

/**
 * "Is this procedure safe?" from the observed outcomes (not the verdicts): any definite finding
 * makes it unsafe (fail beats unknown, as in Jepsen); else anything unknown makes it unknown.
 */
export function procedureGrade(
  checks: readonly CheckResult[],
  o: {
    harnessError?: string | undefined;
    componentsChecked?: boolean;
    /** The APIs the procedure claims to restore (a runbook's `restores`); the others' data is not held against it. */
    claims?: readonly string[] | undefined;
  } = {},
): ProcedureGrade {
  const harnessError = o.harnessError;
  const claimed = (c: CheckResult) =>
    !o.claims || !/^v[23]-data$/.test(c.id) || o.claims.includes(c.id.slice(0, 2));
  const reasons = [
    ...new Set([
      ...checks.flatMap((c) =>
        c.verdict === 'unknown' || !claimed(c) ? [] : [FINDINGS[c.id]?.(c)].filter((r): r is string => !!r),
      ),
      ...componentReasons(checks),
    ]),
  ];
  if (reasons.length > 0) return { grade: 'unsafe', reasons };
  const unknown = checks.filter((c) => c.verdict === 'unknown' && claimed(c)).map((c) => c.id);
  if (harnessError || unknown.length > 0 || checks.length === 0) {
    return {
      grade: 'unknown',
      reasons: [
        harnessError
          ? `harness error: ${harnessError}`
          : `not established: ${unknown.join(', ') || 'no check ran'}`,
      ],
    };
  }
  // "Components recover without a restart" is part of safe: without the probes nobody looked.
  if (o.componentsChecked === false)
    return { grade: 'unknown', reasons: ['components not checked (--no-probes)'] };
  return { grade: 'safe', reasons: [] };
}

/** One line: "safe", or what it is not. */
export function gradeText(g: ProcedureGrade): string {
  if (g.grade === 'not-applicable') return 'not applicable';
  return g.grade === 'safe'
    ? 'safe'
    : g.grade === 'unknown'
      ? `unknown (${g.reasons.join('; ')})`
      : g.reasons.join('; ');
}
