/**
 * The two fields verify's tally reads from a JSON Kubernetes object (metadata.namespace and
 * metadata.creationTimestamp), found by one pass over the value's bytes instead of JSON.parse: the
 * parse of a million objects was most of the harness's CPU in a whole-keyspace read (README,
 * Production size). The pass checks the whole value's JSON grammar, so what it accepts JSON.parse
 * accepts too; whatever it is unsure of (an escape in a field it reads, managedFields, a repeated
 * key, deep nesting) it gives up on, and the caller parses as before.
 */

export interface ScannedMeta {
  readonly namespace?: string;
  readonly creationTimestamp?: string;
}

/** The value's metadata fields; null: valid JSON without a metadata object; undefined: gave up. */
export type MetaScan = ScannedMeta | null | undefined;

const GIVE_UP = -1;
const MAX_DEPTH = 32;
const KEY = {
  metadata: Buffer.from('metadata'),
  namespace: Buffer.from('namespace'),
  creationTimestamp: Buffer.from('creationTimestamp'),
  managedFields: Buffer.from('managedFields'),
};

/** What an object's members are to the scan: the top level, metadata, or anything else (walked). */
enum Level {
  Top,
  Meta,
  Other,
}
const SEEN_META = 1;
const SEEN_NS = 2;
const SEEN_TS = 4;

/** One value at a time; no closures or allocations per value but the two field strings. */
class Scanner {
  b: Buffer = Buffer.alloc(0);
  /** Set by str(): the string just read had a backslash escape. */
  escaped = false;
  seen = 0;
  hasMeta = false;
  namespace: string | undefined;
  creationTimestamp: string | undefined;

  reset(b: Buffer): void {
    this.b = b;
    this.seen = 0;
    this.hasMeta = false;
    this.namespace = undefined;
    this.creationTimestamp = undefined;
  }

  ws(i: number): number {
    const b = this.b;
    while (i < b.length) {
      const c = b[i] as number;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    return i;
  }

  /** i at the opening quote; returns the index after the closing one. */
  str(i: number): number {
    const b = this.b;
    this.escaped = false;
    for (i++; i < b.length; i++) {
      const c = b[i] as number;
      if (c === 0x22) return i + 1;
      if (c < 0x20) return GIVE_UP;
      if (c === 0x5c) {
        this.escaped = true;
        const e = b[++i];
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) if (!isHex(b[i + k])) return GIVE_UP;
          i += 4;
        } else if (!isEscape(e)) return GIVE_UP;
      }
    }
    return GIVE_UP;
  }

  num(i: number): number {
    const b = this.b;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) while (isDigit(b[i])) i++;
    else return GIVE_UP;
    if (b[i] === 0x2e) {
      if (!isDigit(b[++i])) return GIVE_UP;
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) return GIVE_UP;
      while (isDigit(b[i])) i++;
    }
    return i;
  }

  word(i: number, w: string): number {
    for (let k = 0; k < w.length; k++) if (this.b[i + k] !== w.charCodeAt(k)) return GIVE_UP;
    return i + w.length;
  }

  /** Any JSON value at i (after whitespace); returns the index after it. */
  value(i: number, depth: number): number {
    const c = this.b[i];
    if (c === 0x22) return this.str(i);
    if (c === 0x7b) return this.obj(i, depth + 1, Level.Other);
    if (c === 0x5b) return this.arr(i, depth + 1);
    if (c === 0x74) return this.word(i, 'true');
    if (c === 0x66) return this.word(i, 'false');
    if (c === 0x6e) return this.word(i, 'null');
    return this.num(i);
  }

  arr(i: number, depth: number): number {
    if (depth > MAX_DEPTH) return GIVE_UP;
    i = this.ws(i + 1);
    if (this.b[i] === 0x5d) return i + 1;
    for (;;) {
      i = this.value(i, depth);
      if (i < 0) return GIVE_UP;
      i = this.ws(i);
      if (this.b[i] === 0x5d) return i + 1;
      if (this.b[i] !== 0x2c) return GIVE_UP;
      i = this.ws(i + 1);
    }
  }

  obj(i: number, depth: number, level: Level): number {
    if (depth > MAX_DEPTH) return GIVE_UP;
    i = this.ws(i + 1);
    if (this.b[i] === 0x7d) return i + 1;
    for (;;) {
      if (this.b[i] !== 0x22) return GIVE_UP;
      const ks = i + 1;
      i = this.str(i);
      if (i < 0 || (this.escaped && level !== Level.Other)) return GIVE_UP;
      const ke = i - 1;
      i = this.ws(i);
      if (this.b[i] !== 0x3a) return GIVE_UP;
      i = this.ws(i + 1);
      const own = level === Level.Other ? 0 : this.member(level, ks, ke, i);
      if (own === GIVE_UP) return GIVE_UP;
      i = own > 0 ? own : this.value(i, depth);
      if (i < 0) return GIVE_UP;
      i = this.ws(i);
      if (this.b[i] === 0x7d) return i + 1;
      if (this.b[i] !== 0x2c) return GIVE_UP;
      i = this.ws(i + 1);
    }
  }

  /** A member of the top level or of metadata: read here (its end), 0 to walk it, or GIVE_UP. */
  member(level: Level, ks: number, ke: number, vs: number): number {
    if (level === Level.Top) {
      if (!this.is(ks, ke, KEY.metadata)) return 0;
      if (this.seen & SEEN_META || this.b[vs] !== 0x7b) return GIVE_UP;
      this.seen |= SEEN_META;
      this.hasMeta = true;
      return this.obj(vs, 2, Level.Meta);
    }
    if (this.is(ks, ke, KEY.managedFields)) return GIVE_UP;
    if (this.is(ks, ke, KEY.namespace)) return this.field(SEEN_NS, vs);
    if (this.is(ks, ke, KEY.creationTimestamp)) return this.field(SEEN_TS, vs);
    return 0;
  }

  /** A string field's text; a non-string one reads as absent (the tally ignores it). Twice: give up. */
  field(flag: number, vs: number): number {
    if (this.seen & flag) return GIVE_UP;
    this.seen |= flag;
    if (this.b[vs] !== 0x22) return 0;
    const end = this.str(vs);
    if (end < 0 || this.escaped) return GIVE_UP;
    const text = this.b.toString('utf8', vs + 1, end - 1);
    if (flag === SEEN_NS) this.namespace = text;
    else this.creationTimestamp = text;
    return end;
  }

  is(ks: number, ke: number, key: Buffer): boolean {
    if (ke - ks !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (this.b[ks + k] !== key[k]) return false;
    return true;
  }
}

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined) =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
/** The characters JSON allows after a backslash, but u: " \ / b f n r t. */
const isEscape = (c: number | undefined) =>
  c === 0x22 ||
  c === 0x5c ||
  c === 0x2f ||
  c === 0x62 ||
  c === 0x66 ||
  c === 0x6e ||
  c === 0x72 ||
  c === 0x74;

const scanner = new Scanner();

/** metadata.namespace and .creationTimestamp of a value starting with '{', as JSON.parse would read them. */
export function scanMeta(value: Buffer): MetaScan {
  if (value[0] !== 0x7b) return undefined;
  const s = scanner;
  s.reset(value);
  const end = s.obj(0, 1, Level.Top);
  if (end < 0 || s.ws(end) !== value.length) return undefined;
  if (!s.hasMeta) return null;
  return {
    ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
    ...(s.creationTimestamp !== undefined ? { creationTimestamp: s.creationTimestamp } : {}),
  };
}
