import { describe, expect, it } from 'vitest';
import {
  type Expectation,
  expectationFor,
  expectationSchema,
  judge,
  legacyObserved,
  type Source,
  SourceSchema,
  StrictSourceSchema,
  sourceText,
} from './expectations.ts';
import { PROBE_OUTCOMES } from './probes/types.ts';

const observed = (runs: string[], extra: Partial<Source> = {}): Source =>
  ({
    kind: 'observed',
    runs,
    agreeing: runs.length,
    of: runs.length,
    provider: 'process',
    date: '2026-11-30',
    ...extra,
  }) as Source;
const three = observed(['r1', 'r2', 'r3']);
const legacy = observed([], {
  agreeing: 1,
  of: 1,
  note: 'observed on 3.4.23 (one matrix run)',
} as Partial<Source>);
const schema = expectationSchema(PROBE_OUTCOMES);
const messages = (r: {
  success: boolean;
  error?: { issues: { path: (string | number)[]; message: string }[] };
}) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

describe('sources', () => {
  it('accept each kind, with an optional note', () => {
    for (const s of [
      { kind: 'write-up', ref: 'step 4 (etcd ~3.2)', note: 'v2 7 of 7' },
      { kind: 'etcd-docs', ref: 'https://etcd.io/docs/v3.5/op-guide/recovery/' },
      { kind: 'etcd-test', ref: 'tests/e2e/ctl_v3_snapshot_test.go::TestRestoreCompactionRevBump' },
      { kind: 'default', ref: 'a restore from an intact backup completes' },
      three,
    ]) {
      expect(SourceSchema.safeParse(s).success, JSON.stringify(s)).toBe(true);
    }
  });

  it('refuse free text, an unknown kind, an empty ref and stray fields', () => {
    expect(messages(SourceSchema.safeParse('write-up step 4'))).toMatch(
      /say where the expectation comes from/,
    );
    expect(messages(SourceSchema.safeParse({ kind: 'blog', ref: 'x' }))).toMatch(
      /kind must be one of write-up/,
    );
    expect(messages(SourceSchema.safeParse({ kind: 'write-up', ref: '' }))).toMatch(/ref: say which one/);
    expect(messages(SourceSchema.safeParse({ kind: 'default', ref: 'x', runs: [] }))).toMatch(/runs/);
  });

  it('an observed source needs 3 agreeing runs, each named', () => {
    const two = messages(SourceSchema.safeParse(observed(['r1', 'r2'])));
    expect(two).toMatch(
      /observed in 2 of 2 runs \(2 run id\(s\)\): an observed expectation needs at least 3 agreeing runs, each named in runs; record it from fresh runs/,
    );
    const unnamed = messages(
      SourceSchema.safeParse(observed(['r1', 'r2', 'r3'], { of: 4 } as Partial<Source>)),
    );
    expect(unnamed).toMatch(/runs must name each of the 4 runs/);
    const over = messages(
      SourceSchema.safeParse(observed(['r1', 'r2', 'r3'], { agreeing: 4 } as Partial<Source>)),
    );
    expect(over).toMatch(/agreeing cannot exceed of/);
  });

  it('a legacy observed source (no run ids) parses, but the strict schema names the 3-run rule', () => {
    expect(SourceSchema.safeParse(legacy).success).toBe(true);
    expect(messages(StrictSourceSchema.safeParse(legacy))).toMatch(
      /observed in 1 of 1 runs \(no run ids\): an observed expectation needs at least 3 agreeing runs, each named in runs; record it/,
    );
    expect(StrictSourceSchema.safeParse(three).success).toBe(true);
  });

  it('read as one line', () => {
    expect(sourceText(three)).toBe('observed in 3 of 3 runs (process, 2026-11-30)');
    expect(sourceText({ kind: 'write-up', ref: 'step 4', note: 'v2 7 of 7' })).toBe(
      'write-up: step 4 — v2 7 of 7',
    );
    expect(sourceText({ kind: 'etcd-docs', ref: 'op-guide/recovery' })).toBe('etcd docs: op-guide/recovery');
    expect(sourceText({ kind: 'etcd-test', ref: 'x::TestY' })).toBe('etcd test: x::TestY');
  });
});

describe('expectation schema', () => {
  it('takes a fixed outcome or varies, per version too', () => {
    const spec = {
      outcome: 'recovered',
      source: { kind: 'default', ref: 'x' },
      byVersion: {
        '3.4': { varies: { recovered: 2, 'needs-restart': 1 }, source: three },
        '3.5.30': { outcome: 'needs-restart', source: three },
      },
    };
    expect(messages(schema.safeParse(spec))).toBe('');
    expect(schema.safeParse({ varies: { recovered: 1, 'not-recovered': 2 }, source: three }).success).toBe(
      true,
    );
  });

  it('refuses varies with one outcome, an unknown outcome, counts that do not add up, or a non-observed source', () => {
    expect(messages(schema.safeParse({ varies: { recovered: 3 }, source: three }))).toMatch(
      /varies: at least 2 outcomes/,
    );
    expect(messages(schema.safeParse({ varies: { recovered: 2, stale: 1 }, source: three }))).toMatch(
      /varies\.stale: Invalid enum value/,
    );
    expect(
      messages(schema.safeParse({ varies: { recovered: 2, 'needs-restart': 2 }, source: three })),
    ).toMatch(/counts add up to 4; the source says 3 of 3 runs/);
    expect(
      messages(
        schema.safeParse({
          varies: { recovered: 2, 'needs-restart': 1 },
          source: { kind: 'default', ref: 'x' },
        }),
      ),
    ).toMatch(/source: varies comes from runs/);
  });

  it('refuses both outcome and varies, neither, or no source', () => {
    expect(
      messages(
        schema.safeParse({
          outcome: 'recovered',
          varies: { recovered: 2, 'needs-restart': 1 },
          source: three,
        }),
      ),
    ).toMatch(/give outcome or varies, not both/);
    expect(messages(schema.safeParse({ source: three }))).toMatch(/outcome: Required/);
    expect(messages(schema.safeParse({ outcome: 'recovered' }))).toMatch(
      /source: say where the expectation comes from/,
    );
  });

  it('allows only byVersion (no expectation for other versions), but each entry must be whole', () => {
    expect(
      schema.safeParse({ byVersion: { '3.5.30': { outcome: 'recovered', source: three } } }).success,
    ).toBe(true);
    expect(messages(schema.safeParse({ byVersion: { '3.5.30': { source: three } } }))).toMatch(
      /byVersion\.3\.5\.30\.outcome: Required/,
    );
    expect(
      messages(schema.safeParse({ byVersion: { latest: { outcome: 'recovered', source: three } } })),
    ).toMatch(/a version like 3\.5 or 3\.5\.30/);
  });
});

describe('expectationFor', () => {
  const w = (ref: string): Source => ({ kind: 'write-up', ref });
  const spec = {
    outcome: 'lost',
    source: w('base'),
    byVersion: {
      '3.5': { outcome: 'partial', source: w('minor') },
      '3.5.30': { varies: { restored: 2, lost: 1 }, source: three },
    },
  };
  it('prefers the exact version, then the minor, then the spec’s own', () => {
    expect(expectationFor(spec, '3.5.30')).toEqual({ varies: { restored: 2, lost: 1 }, source: three });
    expect(expectationFor(spec, '3.5.16')).toEqual({ outcome: 'partial', source: w('minor') });
    expect(expectationFor(spec, '3.4.23')).toEqual({ outcome: 'lost', source: w('base') });
  });
  it('on kind (3.5.30@kind): its own entry, else a base from the write-up or docs, never runs observed on processes', () => {
    const kindRun = observed(['k1', 'k2', 'k3'], { provider: 'kind' } as Partial<Source>);
    expect(
      expectationFor(
        {
          ...spec,
          byVersion: { ...spec.byVersion, '3.5.30@kind': { outcome: 'restored', source: kindRun } },
        },
        '3.5.30@kind',
      ),
    ).toEqual({ outcome: 'restored', source: kindRun });
    expect(expectationFor(spec, '3.5.30@kind')).toEqual({ outcome: 'lost', source: w('base') });
    expect(() =>
      expectationFor(
        { outcome: 'lost', source: three, byVersion: { '3.5.30': { outcome: 'lost', source: three } } },
        '3.5.30@kind',
      ),
    ).toThrow(/no expectation recorded for etcd 3\.5\.30@kind/);
    expect(
      schema.safeParse({ byVersion: { '3.5.30@kind': { outcome: 'recovered', source: kindRun } } }).success,
    ).toBe(true);
  });
  it('throws for a version nothing applies to, naming the fix', () => {
    expect(() => expectationFor({ byVersion: { '3.5.30': spec.byVersion['3.5'] } }, '3.4.23')).toThrow(
      /no expectation recorded for etcd 3\.4\.23 \(only for 3\.5\.30\): record one with etcd-drill expectations record/,
    );
  });
});

describe('judge', () => {
  it('a fixed expectation: as expected only on that outcome', () => {
    const exp: Expectation = { outcome: 'needs-restart', source: three };
    expect(judge(exp, 'needs-restart')).toEqual({
      expected: 'needs-restart',
      verdict: 'as-expected',
      source: three,
    });
    expect(judge(exp, 'recovered').verdict).toBe('unexpected');
  });
  it('varies: any of the outcomes that varied is as expected, another is not', () => {
    const exp: Expectation = { varies: { recovered: 2, 'needs-restart': 1 }, source: three };
    expect(judge(exp, 'recovered')).toEqual({
      expected: 'varies: recovered 2, needs-restart 1',
      verdict: 'as-expected',
      source: three,
    });
    expect(judge(exp, 'needs-restart').verdict).toBe('as-expected');
    expect(judge(exp, 'not-recovered').verdict).toBe('unexpected');
    expect(judge(exp, 'toString').verdict).toBe('unexpected');
  });
});

describe('legacyObserved', () => {
  it('lists every observed source that does not meet the 3-run rule, with its path', () => {
    const expect_ = {
      v3: { outcome: 'restored', source: w0(), byVersion: { '3.4': { outcome: 'lost', source: legacy } } },
      components: { informer: { outcome: 'needs-restart', source: legacy } },
      revision: { outcome: 'backwards', source: three },
    };
    expect(legacyObserved([{ id: 's', expect: expect_ }]).map((l) => `${l.scenario} ${l.path}`)).toEqual([
      's v3.byVersion.3.4',
      's components.informer',
    ]);
  });
});

function w0(): Source {
  return { kind: 'write-up', ref: 'step 3' };
}
