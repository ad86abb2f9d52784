import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { wholeKeyspaceRanges } from './api.ts';
import { decodeRange, decodeStatus } from './wire.ts';

/** Which of the ranges [start, end) holds `key`; an end of \0 means the end of the keyspace. */
function holders(ranges: [Buffer, Buffer][], key: Buffer): number[] {
  const isEnd = (b: Buffer) => b.length === 1 && b[0] === 0;
  return ranges.flatMap(([s, e], i) =>
    Buffer.compare(key, s) >= 0 && (isEnd(e) || Buffer.compare(key, e) < 0) ? [i] : [],
  );
}

describe('wholeKeyspaceRanges', () => {
  const ranges = wholeKeyspaceRanges();
  it('cuts the keyspace into ranges that follow one another in key order, from the first key to the end', () => {
    expect(ranges[0]?.[0]).toEqual(Buffer.from([0]));
    expect(ranges.at(-1)?.[1]).toEqual(Buffer.from([0]));
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]?.[0]).toEqual(ranges[i - 1]?.[1]);
      expect(Buffer.compare(ranges[i - 1]?.[0] as Buffer, ranges[i]?.[0] as Buffer)).toBe(-1);
    }
  });
  it('puts every key in exactly one range, Kubernetes ones by the letter after /registry/', () => {
    const keys = [
      '\u0001',
      '/',
      '/coreos.com/network/config',
      '/registry/',
      '/registry/apiregistration.k8s.io/x',
      '/registry/pods/default/a',
      '/registry/pods0',
      '/registry/zz',
      '/registry0',
      '/zzz',
      '\u00ff\u00ff',
    ];
    for (const k of keys) expect(holders(ranges, Buffer.from(k)), k).toHaveLength(1);
    const [pods] = holders(ranges, Buffer.from('/registry/pods/default/a'));
    const [events] = holders(ranges, Buffer.from('/registry/events/default/a'));
    expect(pods).not.toBe(events);
  });
});

describe('decodeStatus', () => {
  it("reads the member id and applied revision from the header and the leader's id (uint64s as decimal strings)", () => {
    const w = protobuf.Writer.create();
    const header = protobuf.Writer.create()
      .uint32(0x08)
      .uint64('1234')
      .uint32(0x10)
      .uint64('18446744073709551615')
      .uint32(0x18)
      .int64(42)
      .finish();
    w.uint32(0x0a)
      .bytes(header)
      .uint32(0x12)
      .string('3.5.30')
      .uint32(0x18)
      .int64(1 << 20)
      .uint32(0x20)
      .uint64('18446744073709551615');
    expect(decodeStatus(Buffer.from(w.finish()))).toEqual({
      member: '18446744073709551615',
      leader: '18446744073709551615',
      revision: 42,
    });
    const follower = protobuf.Writer.create().uint32(0x0a).bytes(header).uint32(0x20).uint64('7').finish();
    expect(decodeStatus(Buffer.from(follower))).toEqual({
      member: '18446744073709551615',
      leader: '7',
      revision: 42,
    });
  });
});

describe('decodeRange', () => {
  it('reads each KeyValue key and value, skipping revisions, version and lease, and the header revision', () => {
    const kv = (key: string, value: string) =>
      protobuf.Writer.create()
        .uint32(0x0a)
        .bytes(Buffer.from(key))
        .uint32(0x10)
        .int64(2 ** 40)
        .uint32(0x18)
        .int64(300)
        .uint32(0x20)
        .int64(1)
        .uint32(0x2a)
        .bytes(Buffer.from(value))
        .uint32(0x30)
        .int64(7)
        .finish();
    const header = protobuf.Writer.create().uint32(0x18).int64(9_000_000_000).finish();
    const big = 'v'.repeat(70_000);
    const w = protobuf.Writer.create().uint32(0x0a).bytes(header);
    w.uint32(0x12).bytes(kv('/registry/pods/a', big)).uint32(0x12).bytes(kv('/b', ''));
    w.uint32(0x18).bool(true).uint32(0x20).int64(2);
    const page = decodeRange(Buffer.from(w.finish()));
    expect(page.revision).toBe(9_000_000_000);
    expect(page.more).toBe(true);
    expect(page.kvs.map((x) => [x.key.toString(), x.value.length])).toEqual([
      ['/registry/pods/a', 70_000],
      ['/b', 0],
    ]);
  });
});
