/**
 * A client that behaves like client-go's reflector and informer (k8s.io/client-go/tools/cache/
 * reflector.go, 0.36): list, then watch from the list's resourceVersion with bookmarks, re-watch from
 * the last resourceVersion seen when a watch ends, relist when it cannot. Started before the backup
 * and kept through the disaster and the restore, as a controller's would be. client-go 0.35+ turns
 * on WatchListClient by default (a watch-list instead of the first list); the list+watch path here is
 * its fallback, and watch-list has its own check (modern-checks.ts).
 */
import { oneLine } from '../errors.ts';
import { pause } from '../util/poll.ts';
import {
  type KubeJson,
  type ModernApi,
  type ResourceRef,
  resourcePath,
  type WatchEvent,
  type WatchStream,
} from './modern-apiserver.ts';
import { objectId } from './modern-workload.ts';

export interface CacheEntry {
  readonly resourceVersion: string;
  readonly object: KubeJson;
}

export interface InformerEvent {
  readonly at: string;
  readonly what: 'list' | 'relist' | 'watch' | 'watch-ended' | 'bookmark' | 'error';
  readonly detail: string;
}

/**
 * Applies one watch event to the cache; returns the resourceVersion to resume from (reflector.go
 * watchHandler: every event, bookmarks included, moves the last-sync resourceVersion), or undefined
 * for an ERROR event, whose Status the caller judges.
 */
export function applyEvent(
  cache: Map<string, CacheEntry>,
  plural: string,
  ev: WatchEvent,
): string | undefined {
  if (ev.type === 'ERROR') return undefined;
  const rv = ev.object.metadata?.resourceVersion ?? '';
  if (ev.type === 'BOOKMARK') return rv;
  const id = objectId(plural, ev.object);
  if (ev.type === 'DELETED') cache.delete(id);
  else cache.set(id, { resourceVersion: rv, object: ev.object });
  return rv;
}

/** Why a list or watch failed, as reflector.go tells them apart. */
export type Failure = 'expired' | 'too-large' | 'refused' | 'other';

/**
 * isExpiredError (410 Gone / reason Expired) and isTooLargeResourceVersionError (a 504 whose cause is
 * ResourceVersionTooLarge, or the message "Too large resource version") in reflector.go; a connection
 * refused is retried without a relist (utilnet.IsConnectionRefused there).
 */
export function classify(f: { status?: number; reason?: string; message?: string; error?: string }): Failure {
  const text = `${f.message ?? ''} ${f.error ?? ''}`;
  if (f.status === 410 || f.reason === 'Expired' || f.reason === 'Gone') return 'expired';
  if (/too large resource version/i.test(text)) return 'too-large';
  if (f.status === undefined && /ECONNREFUSED|ECONNRESET|socket hang up/.test(text)) return 'refused';
  return 'other';
}

/**
 * The next list's query. reflector.go relistResourceVersion: after an expired or too-large list, ""
 * (a quorum read); before any sync, "0" (the watch cache); else the last-sync resourceVersion, which
 * for a list means "not older than" (stated here as resourceVersionMatch=NotOlderThan).
 */
export function listQuery(lastRv: string, unavailable: boolean): string {
  if (unavailable) return '';
  if (lastRv === '') return '?resourceVersion=0';
  return `?resourceVersion=${encodeURIComponent(lastRv)}&resourceVersionMatch=NotOlderThan`;
}

export interface InformerOptions {
  /** Server-side end of each watch (client-go picks 5–10 min); a re-watch follows. @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** Pause before retrying after a failure (client-go backs off from 800 ms). @default 1000 */
  readonly retryMs?: number;
}

const MAX_LOG = 200;

/** One resource's reflector and store. `start()` runs it in the background until `stop()`. */
export class Informer {
  readonly cache = new Map<string, CacheEntry>();
  readonly log: InformerEvent[] = [];
  lastRv = '';
  /** A watch the server answered 2xx is open now. */
  watching = false;
  /** When the apiserver last answered it (a list, a watch's answer, an event); 0 before any. */
  lastContactMs = 0;
  /** reflector.go isLastSyncResourceVersionUnavailable. */
  private unavailable = false;
  private stopped = false;
  private stream: WatchStream | undefined;
  private loop: Promise<void> | undefined;
  private readonly stopper = new AbortController();

  constructor(
    private readonly api: ModernApi,
    readonly ref: ResourceRef,
    private readonly opts: InformerOptions = {},
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Counts of what the log holds, for evidence. */
  counts(): Record<InformerEvent['what'], number> {
    const c = { list: 0, relist: 0, watch: 0, 'watch-ended': 0, bookmark: 0, error: 0 };
    for (const e of this.log) c[e.what]++;
    return c;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopper.abort();
    this.stream?.close();
    await this.loop?.catch(() => undefined);
  }

  private note(what: InformerEvent['what'], detail: string): void {
    this.log.push({ at: new Date().toISOString(), what, detail });
    if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      try {
        await this.list(first);
        first = false;
        await this.watchUntilRelist();
      } catch (err) {
        if (this.stopped) return;
        const f = classify(failureOf(err));
        // reflector.go list: an expired or too-large resourceVersion makes the next list a quorum read.
        if (f === 'expired' || f === 'too-large') this.unavailable = true;
        this.note('error', `list (${f}): ${oneLine(err)}`);
        await this.rest();
      }
    }
  }

  private async rest(): Promise<void> {
    await pause(this.opts.retryMs ?? 1000, this.stopper.signal).catch(() => undefined);
  }

  private async list(first: boolean): Promise<void> {
    const q = listQuery(this.lastRv, this.unavailable);
    const res = await this.api.request('GET', `${resourcePath(this.ref)}${q}`);
    const json = res.json as { metadata?: { resourceVersion?: string }; items?: KubeJson[] };
    this.lastContactMs = Date.now();
    this.cache.clear();
    for (const o of json.items ?? [])
      this.cache.set(objectId(this.ref.plural, o), {
        resourceVersion: o.metadata.resourceVersion ?? '',
        object: o,
      });
    this.lastRv = json.metadata?.resourceVersion ?? '';
    this.unavailable = false;
    this.note(first ? 'list' : 'relist', `${q || '(quorum)'}: ${this.cache.size} objects at ${this.lastRv}`);
  }

  /** Watches, re-watching from the last resourceVersion after a clean end; returns when a relist is due. */
  private async watchUntilRelist(): Promise<void> {
    while (!this.stopped) {
      const end = await this.watchOnce();
      if (end === 'rewatch') continue;
      if (end === 'retry') {
        await this.rest();
        continue;
      }
      return;
    }
  }

  private async watchOnce(): Promise<'rewatch' | 'retry' | 'relist'> {
    const t = this.opts.watchTimeoutSeconds ?? 300;
    const q = `?resourceVersion=${encodeURIComponent(this.lastRv)}&allowWatchBookmarks=true&timeoutSeconds=${t}`;
    let failed: WatchEvent['object'] | undefined;
    this.note('watch', `from ${this.lastRv}`);
    const stream = this.api.watch(`${resourcePath(this.ref)}${q}`, (ev) => {
      this.lastContactMs = Date.now();
      const rv = applyEvent(this.cache, this.ref.plural, ev);
      if (rv === undefined) {
        failed ??= ev.object;
        stream.close();
        return;
      }
      this.lastRv = rv;
      if (ev.type === 'BOOKMARK') this.note('bookmark', rv);
    });
    this.stream = stream;
    void stream.answered.then((status) => {
      if (status !== undefined && status >= 200 && status < 300 && !this.stopped) {
        this.watching = true;
        this.lastContactMs = Date.now();
      }
    });
    const end = await stream.ended;
    this.watching = false;
    if (this.stopped) return 'relist';
    const why = failed ? { status: failed.code, reason: failed.reason, message: failed.message } : end;
    this.note('watch-ended', JSON.stringify(why));
    return watchEnd(failed !== undefined, why);
  }
}

/**
 * What follows a watch's end, as reflector.go's watch loop decides: a stream the server had answered
 * 2xx (ended cleanly or cut off: utilnet.IsProbableEOF) is watched again from the last
 * resourceVersion; a refused connection or a 429 (apierrors.IsTooManyRequests) is retried after a
 * pause; anything else, an expired resourceVersion included, relists.
 */
export function watchEnd(errorEvent: boolean, why: { status?: number; message?: string; error?: string }) {
  const status = why.status ?? 0;
  if (!errorEvent && status >= 200 && status < 300) return 'rewatch' as const;
  if (status === 429 || classify(why) === 'refused') return 'retry' as const;
  return 'relist' as const;
}

function failureOf(err: unknown): { status?: number; message?: string } {
  const status = (err as { details?: { status?: unknown } }).details?.status;
  return {
    ...(typeof status === 'number' ? { status } : {}),
    message: err instanceof Error ? err.message : String(err),
  };
}
