import { describe, expect, it } from 'vitest';
import { HarnessError, Refusal, startRefusal } from './errors.ts';

const failed = (details: Record<string, unknown>) =>
  new HarnessError('PROVIDER_START', 'etcd1 exited during start (code 2)', { details });

describe('startRefusal: a member that gives up on its data during a restore is etcd answering', () => {
  it('exited by itself with last words: a restore Refusal quoting them', () => {
    const r = startRefusal(
      failed({ exitedByItself: true, lastWords: 'd45f state.commit 29 is out of range [0, 22]' }),
      'first member healthy (etcd1 with --force-new-cluster)',
    );
    expect(r).toBeInstanceOf(Refusal);
    expect([r?.outcome, r?.phase, r?.quote]).toEqual([
      'failed: etcd exits on start',
      'restore',
      'd45f state.commit 29 is out of range [0, 22]',
    ]);
  });
  it('a busy port, a start that timed out, or an exit with no last words stays a harness error', () => {
    expect(startRefusal(failed({ exitedByItself: false, lastWords: 'x' }), 's')).toBeUndefined();
    expect(startRefusal(failed({ exitedByItself: true }), 's')).toBeUndefined();
    expect(startRefusal(new HarnessError('TIMEOUT', 'waited 30 s'), 's')).toBeUndefined();
    expect(startRefusal(new Error('boom'), 's')).toBeUndefined();
  });
});
