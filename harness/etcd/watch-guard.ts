/**
 * etcd3 1.1.2 throws "Failed to find watcher for IWatchResponse" from its watch stream's data
 * handler when a response arrives for a watcher it no longer tracks (one cancelled or dropped by
 * a reconnect while etcd members restart): an uncaught error that ends the process, seen once in
 * five drills on kind. Such a response has no reader, so it is dropped instead.
 */
import { WatchManager } from 'etcd3/lib/watch.js';

type Manager = { watchers: { id: string | null }[]; handleResponse(res: { watch_id: string }): void };
const proto = WatchManager.prototype as unknown as Manager;
const original = proto.handleResponse;
proto.handleResponse = function (this: Manager, res) {
  if (!this.watchers.some((w) => w.id === res.watch_id)) return;
  original.call(this, res);
};
