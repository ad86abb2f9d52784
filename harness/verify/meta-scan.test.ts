import { describe, expect, it } from 'vitest';
import { k8sV3, rng } from '../../fixtures/k8s.ts';
import { scanMeta } from './meta-scan.ts';

/** What the tally takes from JSON.parse: undefined when it does not parse or has no metadata object. */
function parsed(value: Buffer): { namespace?: string; creationTimestamp?: string } | undefined {
  try {
    const o = JSON.parse(value.toString('utf8'));
    const m = o?.metadata;
    if (typeof m !== 'object' || m === null) return undefined;
    return {
      ...(typeof m.namespace === 'string' ? { namespace: m.namespace } : {}),
      ...(typeof m.creationTimestamp === 'string' ? { creationTimestamp: m.creationTimestamp } : {}),
    };
  } catch {
    return undefined;
  }
}

type Fields = { namespace?: string; creationTimestamp?: string } | null | undefined;
const canon = (m: Fields) => (m ? [m.namespace, m.creationTimestamp] : 'no metadata object');

/** The scan agrees with JSON.parse wherever it does not give up (undefined). */
function agrees(value: Buffer): boolean {
  const s = scanMeta(value);
  if (s === undefined) return true;
  return JSON.stringify(canon(s)) === JSON.stringify(canon(parsed(value)));
}

describe('scanMeta', () => {
  const values = k8sV3({ objects: 3_000 }).map((o) => Buffer.from(o.value));

  it("reads every fixture object's namespace and creationTimestamp as JSON.parse does, without giving up", () => {
    for (const v of values) {
      const s = scanMeta(v);
      expect(s, v.toString()).not.toBeUndefined();
      expect(s ?? undefined).toEqual(parsed(v));
    }
  });

  it('agrees with JSON.parse (or gives up) on 20,000 damaged copies: bytes changed, cut short', () => {
    const rand = rng(42);
    const pick = (n: number) => Math.floor(rand() * n);
    const alphabet = Buffer.from('{}[]":,\\ \n0123456789-+.eEtrufalsn\u0001a');
    let accepted = 0;
    for (let t = 0; t < 20_000; t++) {
      const v = Buffer.from(values[pick(values.length)] as Buffer);
      const cut = rand() < 0.2 ? v.subarray(0, pick(v.length)) : v;
      for (let k = 1 + pick(3); k > 0; k--) cut[pick(cut.length)] = alphabet[pick(alphabet.length)] as number;
      if (!agrees(cut)) throw new Error(`disagrees on ${cut.toString()}`);
      if (scanMeta(cut) !== undefined) accepted++;
    }
    expect(accepted).toBeGreaterThan(1_000);
  });

  it('gives up where it cannot be sure, and says null for JSON without a metadata object', () => {
    const b = (s: string) => Buffer.from(s);
    expect(scanMeta(b('{"metadata":{"namespace":"a\\u0062"}}'))).toBeUndefined();
    expect(scanMeta(b('{"metadata":{"namespace":"a","namespace":"b"}}'))).toBeUndefined();
    expect(scanMeta(b('{"metadata":{"managedFields":[{"time":"2020-01-01T00:00:00Z"}]}}'))).toBeUndefined();
    expect(scanMeta(b('{"metadata":{},"metadata":{"namespace":"b"}}'))).toBeUndefined();
    expect(scanMeta(b('{"meta\\u0064ata":{"namespace":"b"}}'))).toBeUndefined();
    expect(scanMeta(b('{"metadata":null}'))).toBeUndefined();
    expect(scanMeta(b('{"kind":"X"} x'))).toBeUndefined();
    expect(scanMeta(b('{"a":01}'))).toBeUndefined();
    expect(scanMeta(b('{"kind":"X","spec":{"namespace":"not-meta"}} '))).toBeNull();
    expect(
      scanMeta(b('{"metadata":{"namespace":7,"labels":{"namespace":"x"}},"x":[1.5e-3,true,null]}')),
    ).toEqual({});
    expect(scanMeta(b('{ "metadata" : { "creationTimestamp" : "t", "namespace" : "ns" } }'))).toEqual({
      creationTimestamp: 't',
      namespace: 'ns',
    });
  });
});
