import { typeOfKey } from '../checks/registry.ts';
import { scanMeta } from './meta-scan.ts';

/** What a restored keyspace holds, as far as its keys and readable values tell. */
export interface Contents {
  readonly keys: number;
  /** Keys under /registry/ per resource type (the first path segment after it). */
  readonly byType: Record<string, number>;
  /** Keys under /registry/ per namespace; cluster-scoped objects under "(cluster)". */
  readonly byNamespace: Record<string, number>;
  readonly notKubernetes: number;
  /** How the values are encoded: JSON objects are read, protobuf ones (k8s\0 prefix) are not. */
  readonly encoding: { readonly json: number; readonly protobuf: number; readonly other: number };
  /** The newest times read out of JSON objects; absent when none was readable. */
  readonly newest: { readonly creationTimestamp?: string; readonly managedFieldsTime?: string };
}

export const CLUSTER_SCOPED = '(cluster)';
const PROTOBUF_MAGIC = Buffer.from('k8s\0', 'latin1');

type Meta = { namespace?: unknown; creationTimestamp?: unknown; managedFields?: unknown };

/**
 * The namespace a Kubernetes key names: /registry/<resource>/<ns>/<name>, a resource with a group
 * taking two segments (/registry/<group.io>/<resource>/…, /registry/services/specs/… has one more
 * that the rule absorbs). Undefined for keys outside /registry/.
 */
export function namespaceFromKey(key: string): string | undefined {
  if (!key.startsWith('/registry/')) return undefined;
  const segs = key.slice('/registry/'.length).split('/');
  const rest = segs.slice(segs[0]?.includes('.') ? 2 : 1);
  return rest.length >= 2 ? (rest[rest.length - 2] ?? CLUSTER_SCOPED) : CLUSTER_SCOPED;
}

function metaOf(value: Buffer): Meta | undefined {
  if (value[0] !== 0x7b) return undefined; // '{'
  const scanned = scanMeta(value);
  if (scanned !== undefined) return scanned ?? undefined;
  try {
    const o = JSON.parse(value.toString('utf8')) as { metadata?: Meta };
    return o && typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : undefined;
  } catch {
    return undefined;
  }
}

/** The newest time seen so far, its text and its milliseconds (each candidate parsed once). */
class Newest {
  text: string | undefined;
  #ms = Number.NEGATIVE_INFINITY;
  see(t: unknown): void {
    if (typeof t !== 'string') return;
    const ms = Date.parse(t);
    if (ms > this.#ms) [this.text, this.#ms] = [t, ms];
  }
}

/** Counts as it goes: keys and values pass through it without being held. */
export class ContentsTally {
  #byNamespace: Record<string, number> = {};
  #enc = { json: 0, protobuf: 0, other: 0 };
  #creation = new Newest();
  #managed = new Newest();

  #keys = 0;
  #byType: Record<string, number> = {};

  add(key: string, value: Buffer): void {
    this.#keys++;
    const type = typeOfKey(key);
    if (type) this.#byType[type] = (this.#byType[type] ?? 0) + 1;
    if (!key.startsWith('/registry/')) return;
    const meta = metaOf(value);
    if (meta) this.#read(meta);
    else if (value.subarray(0, 4).equals(PROTOBUF_MAGIC)) this.#enc.protobuf++;
    else this.#enc.other++;
    const fromObject =
      meta && typeof meta.namespace === 'string' ? meta.namespace || CLUSTER_SCOPED : undefined;
    const ns = fromObject ?? namespaceFromKey(key) ?? CLUSTER_SCOPED;
    this.#byNamespace[ns] = (this.#byNamespace[ns] ?? 0) + 1;
  }

  #read(meta: Meta): void {
    this.#enc.json++;
    this.#creation.see(meta.creationTimestamp);
    if (!Array.isArray(meta.managedFields)) return;
    for (const f of meta.managedFields) this.#managed.see((f as { time?: unknown })?.time);
  }

  result(): Contents {
    const k8s = Object.values(this.#byType).reduce((a, b) => a + b, 0);
    return {
      keys: this.#keys,
      byType: sortKeys(this.#byType),
      byNamespace: sortKeys(this.#byNamespace),
      notKubernetes: this.#keys - k8s,
      encoding: { ...this.#enc },
      newest: {
        ...(this.#creation.text ? { creationTimestamp: this.#creation.text } : {}),
        ...(this.#managed.text ? { managedFieldsTime: this.#managed.text } : {}),
      },
    };
  }
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** Seconds between the newest readable time and `now`: how old the backup is at least. */
export function backupAgeSeconds(c: Contents, now: Date): number | undefined {
  const times = [c.newest.creationTimestamp, c.newest.managedFieldsTime].filter(
    (t): t is string => t !== undefined,
  );
  if (times.length === 0) return undefined;
  return Math.round((now.getTime() - Math.max(...times.map((t) => Date.parse(t)))) / 1000);
}
