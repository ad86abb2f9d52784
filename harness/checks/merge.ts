/**
 * Key-level comparison as a sorted merge: two keyspaces arrive in etcd's order (bytes of the key) as
 * [key, value digest] pairs and are walked side by side, so a comparison holds no more than the keys
 * that differ, and of those only the first few (with full counts). A million-key restore is compared
 * page by page as it is read.
 */

export type Entry = readonly [key: string, digest: string];

/** How many differing keys of each kind a comparison keeps (the report shows the first 10). */
export const KEEP = 1000;

/**
 * etcd's key order for JS strings: UTF-8 byte order, which is code-point order. Plain `<` compares
 * UTF-16 units and puts U+E000..U+FFFF after astral characters; the shift below moves surrogates up.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** A map's entries in key order; a map read from etcd is in that order already and is not copied. */
export function sortedEntries(m: ReadonlyMap<string, string>): Iterable<Entry> {
  let prev: string | undefined;
  for (const k of m.keys()) {
    if (prev !== undefined && compareKeys(prev, k) >= 0) return [...m].sort(([a], [b]) => compareKeys(a, b));
    prev = k;
  }
  return m;
}

/** Counts and the first KEEP keys of each kind of difference; keys are named in key order. */
export interface SortedDiff {
  readonly expected: number;
  readonly observed: number;
  /** Keys present with the same value. */
  readonly same: number;
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly changed: readonly string[];
  readonly counts: { readonly missing: number; readonly extra: number; readonly changed: number };
}

/** Receives the merge's verdict per key; what it keeps does not grow with the keyspace. */
export class DiffTally {
  #expected = 0;
  #observed = 0;
  #same = 0;
  readonly #lists = { missing: [] as string[], extra: [] as string[], changed: [] as string[] };
  readonly #counts = { missing: 0, extra: 0, changed: 0 };
  constructor(readonly keep = KEEP) {}

  both(key: string, expected: string, observed: string): void {
    this.#expected++;
    this.#observed++;
    if (expected === observed) this.#same++;
    else this.#note('changed', key);
  }
  onlyExpected(key: string): void {
    this.#expected++;
    this.#note('missing', key);
  }
  onlyObserved(key: string): void {
    this.#observed++;
    this.#note('extra', key);
  }
  #note(kind: 'missing' | 'extra' | 'changed', key: string): void {
    this.#counts[kind]++;
    if (this.#lists[kind].length < this.keep) this.#lists[kind].push(key);
  }
  result(): SortedDiff {
    return {
      expected: this.#expected,
      observed: this.#observed,
      same: this.#same,
      ...this.#lists,
      counts: { ...this.#counts },
    };
  }
}

/** Refuses input out of order: a merge over it would report differences that are not there. */
function ordered(side: string): (e: Entry) => Entry {
  let prev: string | undefined;
  return (e) => {
    if (prev !== undefined && compareKeys(prev, e[0]) >= 0)
      throw new Error(`${side} keys out of order: "${e[0]}" after "${prev}"`);
    prev = e[0];
    return e;
  };
}

type Side = { next(): Entry | undefined };

function side(it: Iterable<Entry>, name: string): Side {
  const i = it[Symbol.iterator]();
  const check = ordered(name);
  return {
    next: () => {
      const r = i.next();
      return r.done ? undefined : check(r.value);
    },
  };
}

/**
 * The expected side in memory, the observed side as it is read (pages from a member): the merge
 * advances the expected side as observed keys arrive. `finish` drains what was never observed.
 */
export class MergeAgainst {
  readonly #a: Side;
  #x: Entry | undefined;
  readonly #check = ordered('observed');
  constructor(
    expected: Iterable<Entry>,
    readonly sink = new DiffTally(),
  ) {
    this.#a = side(expected, 'expected');
    this.#x = this.#a.next();
  }
  add(key: string, digest: string): void {
    this.#check([key, digest]);
    while (this.#x && compareKeys(this.#x[0], key) < 0) {
      this.sink.onlyExpected(this.#x[0]);
      this.#x = this.#a.next();
    }
    if (this.#x && this.#x[0] === key) {
      this.sink.both(key, this.#x[1], digest);
      this.#x = this.#a.next();
    } else this.sink.onlyObserved(key);
  }
  finish(): SortedDiff {
    for (; this.#x; this.#x = this.#a.next()) this.sink.onlyExpected(this.#x[0]);
    return this.sink.result();
  }
}

/** Both sides in key order, in memory or generated. */
export function mergeSorted(expected: Iterable<Entry>, observed: Iterable<Entry>, sink = new DiffTally()) {
  const m = new MergeAgainst(expected, sink);
  for (const [k, v] of observed) m.add(k, v);
  return m.finish();
}

/** Two streams read side by side (a backup and a live cluster), neither held. */
export async function mergeStreams(
  expected: AsyncIterable<Entry>,
  observed: AsyncIterable<Entry>,
  sink = new DiffTally(),
): Promise<SortedDiff> {
  const a = expected[Symbol.asyncIterator]();
  const b = observed[Symbol.asyncIterator]();
  const [ca, cb] = [ordered('expected'), ordered('observed')];
  const na = async () => ((r) => (r.done ? undefined : ca(r.value)))(await a.next());
  const nb = async () => ((r) => (r.done ? undefined : cb(r.value)))(await b.next());
  let [x, y] = await Promise.all([na(), nb()]);
  while (x || y) {
    const c = !x ? 1 : !y ? -1 : compareKeys(x[0], y[0]);
    if (c < 0 && x) {
      sink.onlyExpected(x[0]);
      x = await na();
    } else if (c > 0 && y) {
      sink.onlyObserved(y[0]);
      y = await nb();
    } else if (x && y) {
      sink.both(x[0], x[1], y[1]);
      [x, y] = await Promise.all([na(), nb()]);
    }
  }
  return sink.result();
}
