import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../reports/regrade.ts';
import { gradeChecks } from '../engine/check.ts';
import type { V2Readiness } from '../result.ts';
import type { Scenario } from '../scenario.ts';
import {
  checkSeesOutcome,
  levelCallOutcome,
  levelRestartOutcome,
  levelSnapshotOutcome,
  levelStartOutcome,
  storeCheckOutcome,
  v2ReadinessChecks,
} from './v2-readiness.ts';

// Real 3.5.30 runs (process provider, 2026-12-01): the v2 data as restored, and in a v2 snapshot file.
const fixture = (name: string) => fileURLToPath(new URL(`../../reports/fixtures/${name}`, import.meta.url));
async function readiness(name: string): Promise<V2Readiness> {
  const run = await readRun(fixture(name));
  const o = run.results[0]?.observations.v2Readiness;
  if (!o) throw new Error(`${name} holds no v2Readiness observation`);
  return o;
}
const asRestored = await readiness('v2-readiness-s7.results.json');
const snapshotted = await readiness('v2-readiness-s7-v2-snapshot.results.json');
const level = (o: V2Readiness, name: string) => {
  const l = o.levels.find((x) => x.level === name);
  if (!l) throw new Error(`no ${name}`);
  return structuredClone(l);
};

describe('etcdutl check v2store', () => {
  it('says what every member said; members that disagree are said to differ', () => {
    expect(storeCheckOutcome(asRestored.checkBefore)).toBe('no custom content found');
    expect(storeCheckOutcome(snapshotted.checkBefore)).toBe('custom content found');
    const mixed = [...snapshotted.checkBefore.slice(0, 1), ...asRestored.checkBefore.slice(1)];
    expect(storeCheckOutcome(mixed)).toBe('members differ');
  });

  it('a tool that failed otherwise, or no check at all, is unknown (throws), never a pass', () => {
    const broken = asRestored.checkBefore.map((c, i) => (i === 1 ? { ...c, result: 'error' as const } : c));
    expect(() => storeCheckOutcome(broken)).toThrow(/failed/);
    expect(() => storeCheckOutcome([])).toThrow(/did not run/);
  });

  it('a pass while the v2 API lists keys is a miss', () => {
    expect(checkSeesOutcome(asRestored)).toBe('misses the v2 data');
    expect(checkSeesOutcome(snapshotted)).toBe('sees the v2 data');
    expect(checkSeesOutcome({ ...asRestored, v2Keys: 0 })).toBe('no v2 data to see');
    expect(checkSeesOutcome({ ...snapshotted, v2Keys: 0 })).toBe('reports data the v2 API does not list');
  });
});

describe('each --v2-deprecation level', () => {
  it('start: with --enable-v2, only without it, or not at all', () => {
    expect(levelStartOutcome(level(asRestored, 'not-yet'))).toBe('starts with --enable-v2');
    expect(levelStartOutcome(level(asRestored, 'write-only'))).toBe(
      'refuses with --enable-v2, starts without',
    );
    expect(levelStartOutcome(level(snapshotted, 'write-only'))).toBe('refuses');
  });

  it('v2 read and write: what etcd answered, "not started" when it did not start', () => {
    expect(levelCallOutcome(level(asRestored, 'not-yet'), 'read')).toBe('returns the data');
    expect(levelCallOutcome(level(asRestored, 'not-yet'), 'write')).toBe('accepted');
    expect(levelCallOutcome(level(asRestored, 'gone'), 'write')).toBe('not served');
    expect(levelCallOutcome(level(snapshotted, 'gone'), 'read')).toBe('not started');
    const odd = { ...level(asRestored, 'not-yet'), v2Read: { outcome: 'error', words: 'HTTP 500' } };
    expect(() => levelCallOutcome(odd, 'read')).toThrow(/HTTP 500/);
  });

  it('a v3 snapshot restore: kept when the restored dir holds custom content, dropped when not', () => {
    const l = level(asRestored, 'not-yet');
    expect(levelSnapshotOutcome(l)).toBe('v2 data dropped');
    const found = snapshotted.checkBefore[0];
    if (!found) throw new Error('no check');
    expect(levelSnapshotOutcome({ ...l, snapshotRestore: found })).toBe('v2 data kept');
  });

  it('a restart: kept, partly kept or dropped, against the keys listed before', () => {
    const l = level(asRestored, 'write-only-drop-data');
    expect(levelRestartOutcome(l, asRestored.v2Keys)).toBe('v2 data kept');
    expect(levelRestartOutcome({ ...l, keysAfterRestart: 0 }, asRestored.v2Keys)).toBe('v2 data dropped');
    expect(levelRestartOutcome({ ...l, keysAfterRestart: 2 }, asRestored.v2Keys)).toBe('v2 data partly kept');
    expect(levelRestartOutcome({ ...l, keysAfterRestart: 0 }, 0)).toBe('no v2 data');
  });

  it("a step lost to a harness error is unknown for that level's lines", () => {
    const l = { ...level(asRestored, 'write-only'), errors: { start: 'timed out' } };
    expect(() => levelStartOutcome(l)).toThrow(/timed out/);
    expect(() => levelCallOutcome(l, 'read')).toThrow(/timed out/);
    expect(() => levelRestartOutcome({ ...l, errors: { restart: 'no answer' } }, 7)).toThrow(/no answer/);
  });
});

describe('graded', () => {
  const scenario = { expect: {} } as unknown as Scenario;
  it('every line from the real run has an outcome; none is unknown', () => {
    const checks = gradeChecks(
      v2ReadinessChecks,
      { observations: { v2Readiness: asRestored }, extensions: [], rebuild: undefined },
      scenario,
      '3.5.30',
    );
    expect(checks).toHaveLength(25);
    expect(checks.filter((c) => c.observed === 'unknown')).toEqual([]);
  });

  it('a drill that lost the whole observation says unknown on every line, with the error', () => {
    const errors = { v2Readiness: { name: 'HarnessError', message: 'etcd1 did not listen' } };
    const checks = gradeChecks(
      v2ReadinessChecks,
      { observations: { errors }, extensions: [], rebuild: undefined },
      scenario,
      '3.5.30',
    );
    expect(checks.map((c) => c.verdict)).toEqual(checks.map(() => 'unknown'));
    expect(checks[0]?.error?.message).toMatch(/etcd1 did not listen/);
  });

  it('a drill that stopped part-way: lines it reached speak, the rest are unknown', () => {
    const cut = { ...asRestored, levels: asRestored.levels.slice(0, 2) };
    const errors = { v2Readiness: { name: 'HarnessError', message: 'etcd3 did not listen' } };
    const observations = { v2Readiness: cut, errors };
    const checks = gradeChecks(
      v2ReadinessChecks,
      { observations, extensions: [], rebuild: undefined },
      scenario,
      '3.5.30',
    );
    const by = Object.fromEntries(checks.map((c) => [c.id, c.observed]));
    expect(by['v2-not-yet-start']).toBe('starts with --enable-v2');
    expect(by['v2-gone-start']).toBe('unknown');
    expect(checks.find((c) => c.id === 'v2-gone-start')?.error?.message).toMatch(/etcd3 did not listen/);
  });
});
