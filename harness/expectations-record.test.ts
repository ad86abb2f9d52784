import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKS } from './checks/index.ts';
import { HarnessError } from './errors.ts';
import { legacyObserved } from './expectations.ts';
import { expectPathOf, recordExpectations } from './expectations-record.ts';
import { parseScenario } from './scenario.ts';

const legacy = { kind: 'observed', runs: [], agreeing: 1, of: 1, provider: 'process', date: '2026-11-24' };
const scenario = {
  id: 't1',
  title: 'T1',
  description: 'a hand-made scenario',
  fixtures: { v2: 'flannel', v3: 'k8s' },
  strategy: 'v3-snapshot-all-members',
  expect: {
    v3: { outcome: 'restored', source: { kind: 'write-up', ref: 'step 3' } },
    v2: {
      outcome: 'lost',
      source: { kind: 'etcd-docs', ref: 'op-guide/recovery' },
      byVersion: { '3.5': { outcome: 'lost', source: legacy } },
    },
    membership: { outcome: 'healthy', source: { kind: 'write-up', ref: 'finding 2' } },
    components: { informer: { outcome: 'needs-restart', source: legacy } },
  },
};

type Check = { id: string; observed: string; verdict?: string };
const result = (version: string, checks: Check[]) => ({
  scenarioId: 't1',
  provider: 'process',
  startedAt: '2026-11-30T10:00:00.000Z',
  etcd: { version, origin: 'test' },
  verdict: 'as-expected',
  checks: checks.map((c) => ({ title: c.id, expected: '?', source: '?', verdict: 'as-expected', ...c })),
});

let dir: string;
let scenarios: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'record-test-'));
  scenarios = join(dir, 'scenarios');
  await mkdir(scenarios);
  await writeFile(join(scenarios, 't1.json'), `${JSON.stringify(scenario, null, 2)}\n`);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function runFile(runId: string, results: unknown[]): Promise<string> {
  const f = join(dir, `${runId}.json`);
  await writeFile(f, JSON.stringify({ schemaVersion: 2, runId, results }));
  return f;
}

/** Three runs on 3.5.16 and 3.5.30; informer varies on 3.5.30; one run also has 3.4.23. */
async function threeRuns(): Promise<string[]> {
  const informer30 = ['needs-restart', 'recovered', 'needs-restart'];
  return Promise.all(
    [0, 1, 2].map((i) =>
      runFile(`run-${i}`, [
        result('3.5.16', [
          { id: 'v2-data', observed: 'lost' },
          { id: 'component-informer', observed: 'needs-restart' },
          // Nothing recorded yet: exactly what recording is for.
          { id: 'component-lease-lock', observed: 'recovered', verdict: 'unrecorded' },
          // An unknown in one run leaves 2 of 3 for integrity: not enough.
          { id: 'integrity', observed: 'consistent', verdict: i === 0 ? 'unknown' : 'as-expected' },
        ]),
        result('3.5.30', [
          { id: 'v2-data', observed: 'lost' },
          {
            id: 'component-informer',
            observed: informer30[i] ?? '',
            verdict: i === 1 ? 'unexpected' : 'as-expected',
          },
          { id: 'frobnicate', observed: 'yes' },
        ]),
        ...(i === 0 ? [result('3.4.23', [{ id: 'v2-data', observed: 'lost' }])] : []),
      ]),
    ),
  );
}

describe('expectPathOf', () => {
  it('records every component and Kubernetes check where the check itself reads it', () => {
    const kube = CHECKS.filter((c) => /^(component|k8s)-/.test(c.id));
    expect(kube.map((c) => c.id)).toContain('k8s-1.36-informer');
    for (const c of kube) expect(expectPathOf(c.id), c.id).toEqual(c.expectPath);
  });

  it('maps every check id the harness grades to its place in expect', () => {
    expect(expectPathOf('v3-data')).toEqual(['v3']);
    expect(expectPathOf('v2-data')).toEqual(['v2']);
    for (const id of ['membership', 'restore', 'backup', 'revision', 'integrity'])
      expect(expectPathOf(id)).toEqual([id]);
    expect(expectPathOf('component-lease-lock')).toEqual(['components', 'lease-lock']);
    expect(expectPathOf('k8s-watch-cache')).toEqual(['k8s', 'watch-cache']);
    expect(expectPathOf('k8s-1.36-watch-list')).toEqual(['k8s', '1.36-watch-list']);
    expect(expectPathOf('peer-url')).toEqual(['peerUrl']);
    expect(expectPathOf('member-ids')).toEqual(['memberIds']);
    expect(expectPathOf('member-add')).toEqual(['memberAdd']);
    expect(expectPathOf('member-update')).toEqual(['memberUpdate']);
    expect(expectPathOf('frobnicate')).toBeUndefined();
    expect(expectPathOf('constructor')).toBeUndefined();
  });
});

describe('expectations record', () => {
  it('plans fixed and varies per exact version, leaves too few runs alone, counts the unknowns; writes nothing', async () => {
    const before = await readFile(join(scenarios, 't1.json'), 'utf8');
    const { plan, written } = await recordExpectations(await threeRuns(), {
      scenarioDir: scenarios,
      knownVersions: ['3.4.23', '3.5.16', '3.5.30'],
    });
    expect(written).toEqual([]);
    expect(await readFile(join(scenarios, 't1.json'), 'utf8')).toBe(before);
    const lines = plan.split('\n');
    const obs = 'observed in 3 of 3 runs (process, 2026-11-30)';
    expect(lines).toContain(
      `  components.informer @3.5.16: needs-restart [observed in 1 of 1 runs (process, 2026-11-24)] → needs-restart [${obs}]`,
    );
    expect(lines).toContain(
      `  components.informer @3.5.30: needs-restart [observed in 1 of 1 runs (process, 2026-11-24)] → varies: needs-restart 2, recovered 1 [${obs}]   ← outcome changed`,
    );
    expect(lines.find((l) => l.startsWith('  components.lease-lock @3.5.16:'))).toMatch(
      new RegExp(`→ recovered \\[${obs.replace(/[()]/g, '\\$&')}\\]$`),
    );
    expect(lines).toContain(
      `  v2 @3.5.30: lost [observed in 1 of 1 runs (process, 2026-11-24)] → lost [${obs}]`,
    );
    expect(lines).toContain(
      '  v2 byVersion 3.5: removed (legacy observed, every known version now has its own)',
    );
    expect(lines).toContain('  t1 v2 @3.4.23: 1 run(s)');
    expect(lines).toContain('  t1 integrity @3.5.16: 2 run(s)');
    expect(plan).toMatch(
      /dropped 1 observation\(s\) not graded \(unknown\):\n {2}t1 integrity @3\.5\.16 in run run-0 \(unknown\)/,
    );
    expect(plan).toMatch(/t1 frobnicate @3\.5\.30 in run run-0: no place for check "frobnicate"/);
    expect(plan).toMatch(/plan only: add --write/);
  });

  it('--only records just the checks named (by id prefix), leaving every other expectation alone', async () => {
    const { plan } = await recordExpectations(await threeRuns(), {
      scenarioDir: scenarios,
      knownVersions: ['3.4.23', '3.5.16', '3.5.30'],
      only: ['component-'],
    });
    expect(plan).toMatch(/components\.informer @3\.5\.30: .* → varies: needs-restart 2, recovered 1/);
    expect(plan).not.toMatch(/ v2 @3\.5\.30:/);
  });
  it('with --write rewrites the file: 2-space JSON, keys in place, new versions appended, and it parses', async () => {
    const { written } = await recordExpectations(await threeRuns(), {
      scenarioDir: scenarios,
      knownVersions: ['3.4.23', '3.5.16', '3.5.30'],
      write: true,
    });
    expect(written).toEqual([join(scenarios, 't1.json')]);
    const text = await readFile(join(scenarios, 't1.json'), 'utf8');
    const raw = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(raw, null, 2)}\n`);
    expect(Object.keys(raw)).toEqual(Object.keys(scenario));
    const source = {
      kind: 'observed',
      runs: ['run-0', 'run-1', 'run-2'],
      agreeing: 3,
      of: 3,
      provider: 'process',
      date: '2026-11-30',
    };
    expect(raw.expect.v2).toEqual({
      outcome: 'lost',
      source: { kind: 'etcd-docs', ref: 'op-guide/recovery' },
      byVersion: { '3.5.16': { outcome: 'lost', source }, '3.5.30': { outcome: 'lost', source } },
    });
    // The legacy base is overridden on 3.5 only, so it stays (and the gate still names it).
    expect(raw.expect.components.informer).toEqual({
      outcome: 'needs-restart',
      source: legacy,
      byVersion: {
        '3.5.16': { outcome: 'needs-restart', source },
        '3.5.30': { varies: { 'needs-restart': 2, recovered: 1 }, source },
      },
    });
    expect(raw.expect.integrity).toBeUndefined();
    const parsed = parseScenario(text, 't1.json', ['v3-snapshot-all-members']);
    expect(legacyObserved([parsed]).map((l) => l.path)).toEqual(['components.informer']);
  });

  it('a check with no expectation gets the harness default as its base; one without a default (a component, peer-url) gets only byVersion', async () => {
    const runs = await Promise.all(
      [0, 1, 2].map((i) =>
        runFile(`r${i}`, [
          result('3.5.30', [
            { id: 'component-election', observed: 'recovered' },
            { id: 'peer-url', observed: 'localhost' },
          ]),
        ]),
      ),
    );
    await recordExpectations(runs, { scenarioDir: scenarios, write: true });
    const raw = JSON.parse(await readFile(join(scenarios, 't1.json'), 'utf8'));
    // No invented "recovered" for the versions nobody ran: they stay unrecorded.
    expect(raw.expect.components.election).toEqual({
      byVersion: { '3.5.30': { outcome: 'recovered', source: expect.objectContaining({ of: 3 }) } },
    });
    expect(raw.expect.peerUrl).toEqual({
      byVersion: { '3.5.30': { outcome: 'localhost', source: expect.objectContaining({ of: 3 }) } },
    });
  });

  it('refuses to write an outcome the check does not know, naming the file; nothing is written', async () => {
    const runs = await Promise.all(
      [0, 1, 2].map((i) => runFile(`r${i}`, [result('3.5.30', [{ id: 'v3-data', observed: 'sideways' }])])),
    );
    const before = await readFile(join(scenarios, 't1.json'), 'utf8');
    await expect(recordExpectations(runs, { scenarioDir: scenarios, write: true })).rejects.toThrow(
      /would not parse, nothing written: .*t1\.json: expect\.v3\.byVersion\.3\.5\.30\.outcome: Invalid enum value/,
    );
    expect(await readFile(join(scenarios, 't1.json'), 'utf8')).toBe(before);
  });

  it('bad input: a run given twice, a file that is not a results.json, --min-runs below 3', async () => {
    const f = await runFile('r0', []);
    const bad = async (p: Promise<unknown>, m: RegExp) => {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HarnessError);
      expect((err as HarnessError).code).toBe('BAD_INPUT');
      expect((err as Error).message).toMatch(m);
    };
    await bad(recordExpectations([f, f], { scenarioDir: scenarios }), /run r0 is given twice/);
    await writeFile(join(dir, 'x.json'), '{"runs": 1}');
    await bad(
      recordExpectations([join(dir, 'x.json')], { scenarioDir: scenarios }),
      /not an etcd-drill results\.json \(runId/,
    );
    await bad(
      recordExpectations([join(dir, 'none.json')], { scenarioDir: scenarios }),
      /cannot read .*none\.json/,
    );
    await bad(
      recordExpectations([f], { scenarioDir: scenarios, minRuns: 2 }),
      /--min-runs must be a whole number >= 3/,
    );
  });
});
