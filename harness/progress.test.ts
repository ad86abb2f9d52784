import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';
import { createProgress, estimateRemainingMs, statusText, wantsLiveLine } from './progress.ts';

const sink = (isTTY = true) => {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 200, write: (s: string) => chunks.push(s) } };
};

describe('where the live line shows', () => {
  it('only on a terminal, outside CI, without --quiet', () => {
    expect(wantsLiveLine({ isTTY: true }, {})).toBe(true);
    expect(wantsLiveLine({ isTTY: false }, {})).toBe(false);
    expect(wantsLiveLine({}, {})).toBe(false);
    expect(wantsLiveLine({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(wantsLiveLine({ isTTY: true }, { CI: '1' })).toBe(false);
    expect(wantsLiveLine({ isTTY: true }, { CI: 'false' })).toBe(true);
    expect(wantsLiveLine({ isTTY: true }, {}, true)).toBe(false);
  });

  it('in CI the progress lines are written as they were, byte for byte', () => {
    const { chunks, stream } = sink(false);
    const p = createProgress({ cells: ['a@1'], parallel: 1, stream, live: false });
    expect(p.out).toBe(stream);
    const log = createLogger({ out: p.out, startedAt: Date.now() });
    p.started('a@1');
    log.child({ scope: 'a' }).progress('seed …');
    p.finished('a@1', 1000);
    p.close();
    expect(chunks).toEqual(['[   0.0s] a: seed …\n']);
  });
});

describe('the live line', () => {
  it('keeps itself under every progress line: done/total, each running drill and its phase, ETA', () => {
    const { chunks, stream } = sink();
    const p = createProgress({ cells: ['a@1', 'b@1', 'c@1'], parallel: 2, stream, live: true });
    p.started('a@1');
    p.started('b@1');
    p.phase('a@1', 'restore');
    createLogger({ out: p.out }).progress('a line');
    p.finished('b@1', 10_000);
    p.close();
    const text = chunks.join('');
    expect(text).toContain('\r\x1b[K[0/3 done] · a@1 restore · b@1 start · ETA ?');
    // The line clears the live line, then the live line is drawn again under it.
    expect(text).toContain('\r\x1b[K[   0.0s] a line\n\r\x1b[K[0/3 done]');
    expect(text).toContain('[1/3 done] · a@1 restore · ETA');
    expect(text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('status text', () => {
    expect(
      statusText({ done: 2, total: 6, phases: new Map([['s5@3.5.30', 'restore']]), etaMs: 70_000 }),
    ).toBe('[2/6 done] · s5@3.5.30 restore · ETA 1m10s');
  });
});

describe('ETA', () => {
  const base = { running: new Map<string, number>(), parallel: 1 };
  it('from the drills finished so far, spread over the parallel slots', () => {
    expect(estimateRemainingMs({ ...base, finished: [10_000, 20_000], pending: ['c', 'd'] })).toBe(30_000);
    expect(estimateRemainingMs({ ...base, parallel: 2, finished: [10_000], pending: ['c', 'd'] })).toBe(
      10_000,
    );
    // A running drill is credited with the time it has had.
    expect(
      estimateRemainingMs({ ...base, running: new Map([['c', 4000]]), finished: [10_000], pending: ['c'] }),
    ).toBe(6000);
  });
  it('else from --durations, else unknown', () => {
    const recorded = new Map([
      ['c', 8000],
      ['x', 2000],
    ]);
    expect(estimateRemainingMs({ ...base, recorded, finished: [], pending: ['c', 'new'] })).toBe(8000 + 5000);
    expect(estimateRemainingMs({ ...base, finished: [], pending: ['c'] })).toBeUndefined();
    expect(estimateRemainingMs({ ...base, finished: [], pending: [] })).toBe(0);
  });
});
