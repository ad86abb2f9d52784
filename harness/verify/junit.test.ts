import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateJunit } from '../test-support/junit-xsd.ts';
import { renderJunit } from './junit.ts';
import type { VerifyResult } from './types.ts';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/${name}.verify.json`, import.meta.url), 'utf8'),
  ) as VerifyResult;

async function expectValid(xml: string) {
  const { valid, errors } = await validateJunit(xml);
  expect(errors).toEqual([]);
  expect(valid).toBe(true);
}

describe('renderJunit', () => {
  it('a damaged file: integrity fails with the reason, the restore is skipped; the file validates', async () => {
    const r = fixture('damaged-flipped');
    const xml = renderJunit(r);
    await expectValid(xml);
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('skipped="1"');
    expect(xml).toMatch(
      /name="integrity"[^>]*>\s*<failure type="damaged" message="its sha256 trailer does not match/,
    );
  });

  it('a restorable file: no failure; the --against diff as information, escaped; the file validates', async () => {
    const r = fixture('restorable-against');
    const a = r.against;
    if (!a || a.extra === 0) throw new Error('the fixture has an --against diff');
    const xml = renderJunit({ ...r, input: { ...r.input, path: '/a&b<c>.db' } });
    await expectValid(xml);
    expect(xml).toContain('failures="0"');
    expect(xml).toContain('name="/a&amp;b&lt;c&gt;.db"');
    expect(xml).toContain(`${a.same} same, ${a.missing} only in the backup, ${a.extra} only live`);
  });
});
