import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError } from './errors.ts';
import { KNOWN_VERSIONS } from './etcd/versions.ts';
import {
  type Expectation,
  type ExpectationSpec,
  expectationFor,
  expectedText,
  MIN_OBSERVED_RUNS,
  type ObservedSource,
  observedProblem,
  type Source,
  sourceText,
} from './expectations.ts';
import { expectationKey } from './pairs.ts';
import { CATALOGUES, DEFAULT_EXPECTATIONS, SCENARIO_DIR, ScenarioSchema } from './scenario.ts';

/**
 * `etcd-drill expectations record`: turns several runs' observations into the scenario files'
 * expectations, per exact etcd version. All runs agree: a fixed outcome "observed in N of N runs";
 * they disagree: `varies` with counts. A check that has no expectation yet gets the harness default
 * (DEFAULT_EXPECTATIONS) as its base where there is one, else only byVersion (other versions then have
 * no expectation: their verdict is 'unrecorded'). Legacy observed entries (no run ids) that every known
 * version now overrides are removed; nothing is merged across versions.
 */

const ResultsFileSchema = z.object({
  runId: z.string().min(1),
  results: z.array(
    z.object({
      scenarioId: z.string().min(1),
      provider: z.string().min(1),
      startedAt: z.string().min(10),
      etcd: z.object({ version: z.string().min(1) }),
      restoreEtcd: z.object({ version: z.string().min(1) }).optional(),
      checks: z
        .array(
          z.object({
            id: z.string().min(1),
            observed: z.string(),
            verdict: z.string(),
            expectPath: z.array(z.string().min(1)).min(1).optional(),
          }),
        )
        .default([]),
    }),
  ),
});
type ResultsFile = z.infer<typeof ResultsFileSchema>;

const FIXED_PATHS: Record<string, string[]> = {
  'v3-data': ['v3'],
  'v2-data': ['v2'],
  membership: ['membership'],
  restore: ['restore'],
  backup: ['backup'],
  revision: ['revision'],
  integrity: ['integrity'],
  'peer-url': ['peerUrl'],
  'member-ids': ['memberIds'],
  'member-add': ['memberAdd'],
  'member-update': ['memberUpdate'],
};

/** Where a check's expectation lives in a scenario's `expect`; undefined for a check it has no place for. */
export function expectPathOf(checkId: string): string[] | undefined {
  if (Object.hasOwn(FIXED_PATHS, checkId)) return [...(FIXED_PATHS[checkId] ?? [])];
  const m = /^(component|k8s)-(.+)$/.exec(checkId);
  if (m?.[2]) return [m[1] === 'component' ? 'components' : 'k8s', m[2]];
  return undefined;
}

/** The harness default a check falls back to when its scenario records nothing. */
function harnessDefault(path: readonly string[]): Expectation | undefined {
  const [top] = path;
  // Components have none: what a probe does is observed per version, never assumed for the others.
  if (top === 'restore' || top === 'revision' || top === 'integrity') return DEFAULT_EXPECTATIONS[top];
  return undefined;
}

interface Observation {
  readonly runId: string;
  readonly observed: string;
  readonly provider: string;
  readonly date: string;
}
interface Group {
  readonly scenarioId: string;
  readonly version: string;
  readonly path: string[];
  readonly checkId: string;
  readonly seen: Observation[];
}
interface Tally {
  groups: Map<string, Group>;
  dropped: string[];
  unplaced: string[];
}

export async function readResults(files: readonly string[]): Promise<ResultsFile[]> {
  const runs: ResultsFile[] = [];
  for (const f of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(f, 'utf8'));
    } catch (err) {
      throw new HarnessError(
        'BAD_INPUT',
        `cannot read ${f} (${(err as Error).message}): give a results.json`,
      );
    }
    const parsed = ResultsFileSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new HarnessError(
        'BAD_INPUT',
        `${f} is not an etcd-drill results.json (${i?.path.join('.')}: ${i?.message}): give the results.json a run wrote`,
      );
    }
    if (runs.some((r) => r.runId === parsed.data.runId))
      throw new HarnessError(
        'BAD_INPUT',
        `run ${parsed.data.runId} is given twice (${f}): give each run once`,
      );
    runs.push(parsed.data);
  }
  return runs;
}

/** Groups the graded observations by scenario, exact version and expectation path. */
export function tally(runs: readonly ResultsFile[]): Tally {
  const t: Tally = { groups: new Map(), dropped: [], unplaced: [] };
  for (const run of runs) {
    for (const r of run.results) {
      for (const c of r.checks) {
        // A cross-version drill is recorded under its pair (3.4.23:3.5.16), never under either version.
        const version = expectationKey(r);
        const where = `${r.scenarioId} ${c.id} @${version} in run ${run.runId}`;
        // Unrecorded is what recording is for; unknown observed nothing about etcd.
        if (c.verdict === 'unknown' || c.verdict === 'not-applicable') {
          t.dropped.push(`${where} (${c.verdict})`);
          continue;
        }
        const path = c.expectPath ?? expectPathOf(c.id);
        if (!path) {
          t.unplaced.push(`${where}: no place for check "${c.id}" in a scenario file`);
          continue;
        }
        const key = [r.scenarioId, version, path.join('.')].join('\0');
        const g = t.groups.get(key) ?? {
          ...{ scenarioId: r.scenarioId, version, path, checkId: c.id },
          seen: [],
        };
        g.seen.push({
          runId: run.runId,
          observed: c.observed,
          provider: r.provider,
          date: r.startedAt.slice(0, 10),
        });
        t.groups.set(key, g);
      }
    }
  }
  return t;
}

/** What N runs say: one outcome, or the outcomes they varied between with counts. */
export function decide(seen: readonly Observation[]): Expectation {
  const counts = new Map<string, number>();
  for (const o of seen) counts.set(o.observed, (counts.get(o.observed) ?? 0) + 1);
  const source: ObservedSource = {
    kind: 'observed',
    runs: seen.map((o) => o.runId),
    agreeing: seen.length,
    of: seen.length,
    provider: [...new Set(seen.map((o) => o.provider))].sort().join('+'),
    date:
      seen
        .map((o) => o.date)
        .sort()
        .at(-1) ?? '',
  };
  const [only] = counts.keys();
  if (counts.size === 1 && only !== undefined) return { outcome: only, source };
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { varies: Object.fromEntries(ranked), source };
}

type Json = Record<string, unknown>;
type SpecJson = Json & ExpectationSpec & { byVersion?: Record<string, Json & ExpectationSpec> };

/** The spec at `path` under `expect`, created (with the harness default as base, if any) when missing. */
function specAt(expect: Json, path: readonly string[]): SpecJson {
  let node = expect;
  for (const [i, k] of path.entries()) {
    if (!node[k] || typeof node[k] !== 'object') {
      const d = i === path.length - 1 ? harnessDefault(path) : undefined;
      node[k] = d ? { ...d } : {};
    }
    node = node[k] as Json;
  }
  return node as SpecJson;
}

const isLegacy = (s: Source | undefined) => s?.kind === 'observed' && observedProblem(s) !== undefined;

/** Drops legacy observed entries that an exact entry now overrides on every known version they covered. */
function pruneShadowed(spec: SpecJson, known: readonly string[]): string[] {
  const by = spec.byVersion ?? {};
  const exact = (v: string) => Object.hasOwn(by, v);
  const removed: string[] = [];
  for (const [key, e] of Object.entries(by)) {
    const covered = known.filter((v) => v.startsWith(`${key}.`));
    if (key.split('.').length === 2 && isLegacy(e.source) && covered.every(exact)) {
      delete by[key];
      removed.push(`byVersion ${key}`);
    }
  }
  if (isLegacy(spec.source) && known.every(exact)) {
    for (const k of ['outcome', 'varies', 'source']) delete spec[k];
    removed.push('base');
  }
  return removed;
}

const brief = (e: Expectation | undefined) =>
  e ? `${expectedText(e)} [${sourceText({ ...e.source, note: undefined })}]` : '(none)';

function effective(spec: SpecJson, version: string): Expectation | undefined {
  try {
    return expectationFor(spec, version);
  } catch {
    return undefined;
  }
}

/** Writes one group's decision into a scenario's raw JSON; returns the plan lines. */
function apply(raw: Json, g: Group, exp: Expectation, known: readonly string[]): string[] {
  const expect = (raw.expect ?? {}) as Json;
  raw.expect = expect;
  const spec = specAt(expect, g.path);
  const before = effective(spec, g.version);
  spec.byVersion ??= {};
  spec.byVersion[g.version] = { ...exp };
  const changed = before && expectedText(before) !== expectedText(exp) ? '   ← outcome changed' : '';
  const lines = [`  ${g.path.join('.')} @${g.version}: ${brief(before)} → ${brief(exp)}${changed}`];
  for (const r of pruneShadowed(spec, known)) {
    lines.push(`  ${g.path.join('.')} ${r}: removed (legacy observed, every known version now has its own)`);
  }
  return lines;
}

/** Every scenario file by id, in each catalogue's folder. */
async function scenarioFiles(dir: string): Promise<Map<string, { file: string; raw: Json }>> {
  const out = new Map<string, { file: string; raw: Json }>();
  for (const folder of CATALOGUES.map((c) => (c === 'main' ? dir : join(dir, c)))) {
    if (!existsSync(folder)) continue;
    for (const f of (await readdir(folder)).filter((n) => n.endsWith('.json')).sort()) {
      const raw = JSON.parse(await readFile(join(folder, f), 'utf8')) as Json;
      if (typeof raw.id === 'string') out.set(raw.id, { file: join(folder, f), raw });
    }
  }
  return out;
}

export interface RecordOptions {
  readonly minRuns?: number;
  readonly write?: boolean;
  readonly scenarioDir?: string;
  readonly knownVersions?: readonly string[];
  /** Record only checks whose id starts with one of these (e.g. 'k8s-' from --k8s runs). */
  readonly only?: readonly string[];
}

/** Reads the runs, plans (and with `write` writes) the scenario files' new expectations. */
export async function recordExpectations(
  files: readonly string[],
  opts: RecordOptions = {},
): Promise<{ plan: string; written: string[] }> {
  const minRuns = opts.minRuns ?? MIN_OBSERVED_RUNS;
  if (!Number.isInteger(minRuns) || minRuns < MIN_OBSERVED_RUNS)
    throw new HarnessError(
      'BAD_INPUT',
      `--min-runs must be a whole number >= ${MIN_OBSERVED_RUNS}: the scenario schema needs ${MIN_OBSERVED_RUNS} agreeing runs`,
    );
  const known = opts.knownVersions ?? KNOWN_VERSIONS.map((k) => k.version);
  const t = tally(await readResults(files));
  const scenarios = await scenarioFiles(opts.scenarioDir ?? SCENARIO_DIR);
  const plans = new Map<string, string[]>();
  const tooFew: string[] = [];
  const wanted = (id: string) => !opts.only?.length || opts.only.some((p) => id.startsWith(p));
  for (const g of [...t.groups.values()].filter((x) => wanted(x.checkId)).sort(byPlace)) {
    const s = scenarios.get(g.scenarioId);
    if (!s) {
      t.unplaced.push(`${g.scenarioId} ${g.checkId} @${g.version}: no scenario file has this id`);
    } else if (g.seen.length < minRuns) {
      tooFew.push(`  ${g.scenarioId} ${g.path.join('.')} @${g.version}: ${g.seen.length} run(s)`);
    } else {
      plans.set(g.scenarioId, [
        ...(plans.get(g.scenarioId) ?? []),
        ...apply(s.raw, g, decide(g.seen), known),
      ]);
    }
  }
  checkSchema(plans, scenarios);
  const written: string[] = [];
  if (opts.write) {
    for (const id of plans.keys()) {
      const s = scenarios.get(id);
      if (!s) continue;
      await writeFile(s.file, `${JSON.stringify(s.raw, null, 2)}\n`);
      written.push(s.file);
    }
  }
  return { plan: planText(plans, scenarios, { tooFew, minRuns, t, write: !!opts.write }), written };
}

const byPlace = (a: Group, b: Group) =>
  a.scenarioId.localeCompare(b.scenarioId) ||
  a.path.join('.').localeCompare(b.path.join('.')) ||
  a.version.localeCompare(b.version, undefined, { numeric: true });

/** Nothing is written unless every changed scenario still parses (an outcome the check does not know, say). */
function checkSchema(plans: Map<string, string[]>, scenarios: Map<string, { file: string; raw: Json }>) {
  const problems: string[] = [];
  for (const id of plans.keys()) {
    const s = scenarios.get(id);
    const parsed = ScenarioSchema.safeParse(s?.raw);
    if (!parsed.success) {
      problems.push(
        `${s?.file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
  }
  if (problems.length)
    throw new HarnessError(
      'BAD_INPUT',
      `the recorded expectations would not parse, nothing written: ${problems.join(' | ')}`,
    );
}

function planText(
  plans: Map<string, string[]>,
  scenarios: Map<string, { file: string }>,
  x: { tooFew: string[]; minRuns: number; t: Tally; write: boolean },
): string {
  const out: string[] = [];
  for (const [id, lines] of plans) out.push(`${id} (${scenarios.get(id)?.file}):`, ...lines);
  if (plans.size === 0) out.push('nothing to record');
  if (x.tooFew.length) out.push(`not enough runs (need ${x.minRuns}), left alone:`, ...x.tooFew);
  if (x.t.dropped.length)
    out.push(
      `dropped ${x.t.dropped.length} observation(s) not graded (unknown):`,
      ...x.t.dropped.map((d) => `  ${d}`),
    );
  if (x.t.unplaced.length) out.push('not recorded:', ...x.t.unplaced.map((u) => `  ${u}`));
  out.push(
    x.write ? `wrote ${plans.size} scenario file(s)` : 'plan only: add --write to change the scenario files',
  );
  return `${out.join('\n')}\n`;
}
