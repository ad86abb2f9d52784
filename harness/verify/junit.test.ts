import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderJunit } from './junit.ts';
import type { VerifyResult } from './types.ts';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/${name}.verify.json`, import.meta.url), 'utf8'),
  ) as VerifyResult;

describe('renderJunit', () => {
  it('a damaged file: integrity fails with the reason, the restore is skipped', () => {
    const r = fixture('damaged-flipped');
    const xml = renderJunit(r);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('skipped="1"');
    expect(xml).toMatch(/name="integrity"><failure message="its sha256 trailer does not match/);
  });

  it('a restorable file: no failure; the --against diff as information, escaped', () => {
    const r = fixture('restorable-against');
    const a = r.against;
    if (!a || a.extra === 0) throw new Error('the fixture has an --against diff');
    const xml = renderJunit({ ...r, input: { ...r.input, path: '/a&b<c>.db' } });
    expect(xml).toContain('failures="0"');
    expect(xml).toContain('name="/a&amp;b&lt;c&gt;.db"');
    expect(xml).toContain(
      `<system-out>${a.same} same, ${a.missing} only in the backup, ${a.extra} only live`,
    );
  });
});
