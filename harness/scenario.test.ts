import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from './errors.ts';
import { loadScenarios, parseScenario, SCENARIO_DIR, selectScenarios } from './scenario.ts';
import { STRATEGIES } from './strategies/index.ts';

const known = [...STRATEGIES.keys()];
const s1Text = readFileSync(join(SCENARIO_DIR, 's1-v3-snapshot-restore.json'), 'utf8');

function badInput(fn: () => unknown): HarnessError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('BAD_INPUT');
    return err as HarnessError;
  }
  throw new Error('expected a BAD_INPUT error');
}

describe('scenario files', () => {
  it('every shipped scenario parses and names a registered strategy', async () => {
    const all = await loadScenarios(known);
    expect(all.map((s) => s.id)).toContain('s1-v3-snapshot-restore');
  });

  it('S1 expects v3 restored, v2 lost, membership healthy, each with a source', () => {
    const s = parseScenario(s1Text, 's1.json', known);
    expect(s.expect.v3?.outcome).toBe('restored');
    expect(s.expect.v2?.outcome).toBe('lost');
    expect(s.expect.membership?.outcome).toBe('healthy');
    for (const k of ['v3', 'v2', 'membership'] as const) expect(s.expect[k]?.source?.kind).toBe('write-up');
  });

  it('malformed JSON names the file', () => {
    expect(badInput(() => parseScenario('{ "id": ', 'broken.json', known)).message).toMatch(
      /broken\.json is not valid JSON/,
    );
  });

  it('a missing field and a bad outcome are both named with their path', () => {
    const raw = JSON.parse(s1Text);
    delete raw.strategy;
    raw.expect.v3.outcome = 'mostly';
    const msg = badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message;
    expect(msg).toMatch(/x\.json is malformed/);
    expect(msg).toMatch(/strategy: Required/);
    expect(msg).toMatch(/expect\.v3\.outcome/);
  });

  it('an expectation without a source is refused', () => {
    const raw = JSON.parse(s1Text);
    raw.expect.v2.source = 'the write-up';
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /expect\.v2\.source: say where the expectation comes from/,
    );
    delete raw.expect.v2.source;
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /expect\.v2\.source: say where the expectation comes from/,
    );
  });

  it('an unknown strategy lists the known ones', () => {
    const raw = { ...JSON.parse(s1Text), strategy: 'magic' };
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /unknown strategy "magic": known are v3-snapshot-force-new-cluster/,
    );
  });

  it('unknown fields are refused rather than ignored (typos would silently change a drill)', () => {
    const raw = { ...JSON.parse(s1Text), expectt: {} };
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(/expectt/);
  });

  it('faults and component expectations are checked like the rest', () => {
    const raw = JSON.parse(s1Text);
    raw.faults = [{ kind: 'corrupt-snapshot', how: 'shred' }];
    raw.expect.components = {
      informer: { outcome: 'stale', source: { kind: 'default', ref: 'x' } },
      watcher: { outcome: 'recovered', source: { kind: 'default', ref: 'x' } },
    };
    const msg = badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message;
    expect(msg).toMatch(/faults\.0\.how/);
    expect(msg).toMatch(/expect\.components\.informer\.outcome/);
    expect(msg).toMatch(/watcher/);
  });

  it('expect.k8s takes 1.20 check names and 1.36 ones as 1.36-<name>, nothing else', () => {
    const raw = JSON.parse(s1Text);
    const want = { outcome: 'needs-restart', source: { kind: 'default', ref: 'x' } };
    raw.expect.k8s = { 'watch-cache': want, '1.36-watch-list': want };
    const s = parseScenario(JSON.stringify(raw), 'x.json', known);
    expect(s.expect.k8s?.['1.36-watch-list']?.outcome).toBe('needs-restart');
    raw.expect.k8s = { '1.36-watch-cache': want, '1.20-watch-cache': want };
    const msg = badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message;
    expect(msg).toMatch(/1\.36-watch-cache/);
    expect(msg).toMatch(/1\.20-watch-cache/);
  });

  it('data expectations may be left out only when the restore is expected to be refused', () => {
    const raw = JSON.parse(s1Text);
    delete raw.expect.v3;
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /expect\.v3: required \(only a scenario whose restore is expected to be refused/,
    );
    raw.expect.restore = { outcome: 'refused: corrupt snapshot', source: { kind: 'default', ref: 'x' } };
    expect(parseScenario(JSON.stringify(raw), 'x.json', known).expect.v3).toBeUndefined();
  });

  it('selecting an unknown id lists the known ones', async () => {
    const all = await loadScenarios(known);
    expect(badInput(() => selectScenarios(all, ['nope'])).message).toMatch(
      /unknown scenario "nope": known are s1-v3-snapshot-restore/,
    );
    const main = all.filter((s) => s.catalogue === 'main');
    expect(selectScenarios(all, undefined)).toEqual(main);
    expect(selectScenarios(all, undefined, 'chaos')).toEqual(all.filter((s) => s.catalogue === 'chaos'));
    expect(selectScenarios(all, undefined, 'all')).toEqual(all);
    // By id, a chaos scenario runs without naming its catalogue.
    const chaos = all.filter((s) => s.catalogue === 'chaos').slice(0, 1);
    expect(chaos).toHaveLength(1);
    expect(
      selectScenarios(
        all,
        chaos.map((s) => s.id),
      ),
    ).toEqual(chaos);
    expect(main.length).toBeGreaterThan(0);
  });
});

describe('backup expectations', () => {
  it('a backup expected to fail or hang on every version may leave the restored data out; one that completes somewhere may not', () => {
    const raw = JSON.parse(s1Text);
    for (const k of ['v3', 'v2', 'membership']) delete raw.expect[k];
    raw.expect.backup = {
      outcome: 'hung',
      source: { kind: 'write-up', ref: 'x' },
      byVersion: { '3.5': { outcome: 'failed', source: { kind: 'write-up', ref: 'x' } } },
    };
    expect(parseScenario(JSON.stringify(raw), 'x.json', known).expect.backup?.outcome).toBe('hung');
    raw.expect.backup.byVersion['3.3'] = { outcome: 'completed', source: { kind: 'write-up', ref: 'x' } };
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /expect\.v3: required \(.*whose backup to fail or hang on every version/,
    );
    raw.expect.backup = { outcome: 'stalled', source: { kind: 'write-up', ref: 'x' } };
    expect(badInput(() => parseScenario(JSON.stringify(raw), 'x.json', known)).message).toMatch(
      /expect\.backup\.outcome/,
    );
  });
});
