import { describe, expect, it } from 'vitest';
import { integrityOutcome } from './integrity.ts';

describe('integrity outcome', () => {
  const view = (hashes: { member: string; hash: number }[], alarms: string[] = []) => ({
    revision: 10,
    hashes,
    alarms,
  });
  it('consistent when every member hashes alike and no alarm is raised', () => {
    expect(
      integrityOutcome(
        view([
          { member: 'a', hash: 1 },
          { member: 'b', hash: 1 },
        ]),
      ),
    ).toBe('consistent');
  });
  it('a differing hash is a mismatch', () => {
    expect(
      integrityOutcome(
        view([
          { member: 'a', hash: 1 },
          { member: 'b', hash: 2 },
        ]),
      ),
    ).toBe('hash mismatch');
  });
  it('an alarm wins', () => {
    expect(integrityOutcome(view([{ member: 'a', hash: 1 }], ['NOSPACE on 1']))).toBe('alarm');
  });
});
