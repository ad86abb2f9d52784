import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ageText, renderVerify } from './render.ts';
import type { VerifyResult } from './types.ts';

// verify.json files of real runs (a snapshot, its truncated and flipped copies, a v2 backup dir).
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/${name}.verify.json`, import.meta.url), 'utf8'),
  ) as VerifyResult;

describe('renderVerify', () => {
  it('a restorable snapshot: figures, counts, the --against diff', () => {
    const r = fixture('restorable-against');
    const md = renderVerify(r);
    expect(md).toMatch(/^# etcd-drill verify: RESTORABLE/);
    expect(md).toContain(`revision ${r.restore?.revision}, compact revision ${r.restore?.compactRevision}`);
    for (const [type, n] of Object.entries(r.contents?.byType ?? {}))
      expect(md).toContain(`| \`${type}\` | ${n} |`);
    expect(md).toContain(`first only live: \`${r.against?.firstExtra[0]}\``);
  });

  it("a damaged file: the verdict and etcd's words, no contents", () => {
    for (const name of ['damaged-truncated', 'damaged-flipped']) {
      const r = fixture(name);
      const md = renderVerify(r);
      expect(md).toMatch(/^# etcd-drill verify: DAMAGED/);
      expect(md).toContain(r.reason ?? 'no reason');
      expect(md).not.toContain('## What it holds');
    }
  });

  it('a v2 backup dir: its v2 content', () => {
    const r = fixture('restorable-v2');
    expect(renderVerify(r)).toContain(`- ${r.v2?.nodes} nodes: ${r.v2?.directories} directories`);
  });

  it('unknown age stays unknown', () => {
    const r = fixture('restorable-v2');
    const none = { ...r, contents: r.contents && { ...r.contents, newest: {} } };
    const { backupAgeSeconds: _, ...noAge } = none;
    expect(renderVerify(noAge)).toContain('backup age: unknown');
  });
});

describe('ageText', () => {
  it.each([
    [59, '59 s'],
    [600, '10 min'],
    [3 * 3600, '3 h'],
    [3 * 86_400 + 4 * 3600, '3 d 4 h'],
  ])('%d s → %s', (s, text) => expect(ageText(s)).toBe(text));
});
