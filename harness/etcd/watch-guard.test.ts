import { WatchManager } from 'etcd3/lib/watch.js';
import { describe, expect, it } from 'vitest';
import './watch-guard.ts';

type Handle = (this: unknown, res: { watch_id: string }) => void;
const handle = (WatchManager.prototype as unknown as { handleResponse: Handle }).handleResponse;

describe("etcd3's watch manager, guarded", () => {
  it('drops a response for a watcher it no longer tracks instead of throwing from the stream handler', () => {
    expect(() => handle.call({ watchers: [{ id: '1' }] }, { watch_id: '7' })).not.toThrow();
  });
  it("still hands a tracked watcher's response to etcd3", () => {
    const seen: unknown[] = [];
    const manager = {
      watchers: [{ id: '7' }],
      initialBackoff: { next: () => undefined },
      handleUpdateResponse: (_w: unknown, r: unknown) => seen.push(r),
    };
    const res = { watch_id: '7', events: [] };
    handle.call(manager, res);
    expect(seen).toEqual([res]);
  });
});
