import { describe, expect, it } from 'vitest';
import { parseKindVersionOutput } from './dist.ts';

describe('kind: output parsing', () => {
  it('reads `kind version` of Debian builds and refuses anything else', () => {
    expect(parseKindVersionOutput('kind v0.27.0 go1.24.4 linux/amd64\n')).toBe('0.27.0');
    expect(parseKindVersionOutput('kind v0.33.0 go1.25.1 linux/amd64')).toBe('0.33.0');
    expect(parseKindVersionOutput('')).toBeUndefined();
    expect(parseKindVersionOutput('bash: kind: command not found')).toBeUndefined();
  });
});
