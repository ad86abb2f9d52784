import { createRequire } from 'node:module';
import type { Client } from '@grpc/grpc-js';
import type { Reader as PbReader, Writer as PbWriter } from 'protobufjs';
import type { Access, PutOp } from './api.ts';

/**
 * The harness's bulk paths to etcd's KV service (seeding, reading whole keyspaces): plain gRPC calls
 * whose messages are written and read with protobufjs's wire primitives. The etcd3 client's object
 * mapping took about twice the CPU per key, which on 2 cores decided the seeding rate of a million
 * keys (README, Performance). Fields are etcd's rpc.proto: TxnRequest.success=2, RequestOp.request_put=2,
 * PutRequest.key=1/value=2; RangeRequest key=1 range_end=2 limit=3 revision=4 keys_only=8;
 * RangeResponse header=1 (ResponseHeader.revision=3) kvs=2 (KeyValue key=1 value=5) more=3.
 */

const load = createRequire(import.meta.url);
const grpc = () => load('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const pb = () => load('protobufjs/minimal') as { Reader: typeof PbReader; Writer: typeof PbWriter };

/** Per connection and stream: a page of values (PAGE.bytes in api.ts) in flight without a pause. */
const WINDOW = 32 * 2 ** 20;

/** A call that gets no answer in this long is an error (a frozen member must not hang a drill). */
const DEADLINE_MS = 120_000;

export interface Kv {
  /** One transaction of puts, all or nothing. */
  txnPut(ops: readonly PutOp[]): Promise<void>;
  range(r: RangeReq): Promise<RangePage>;
  /** Which endpoint (index) leads, by each one's Maintenance.Status; undefined when none says. */
  leader(): Promise<number | undefined>;
  /** Each endpoint's applied revision (its Status header); undefined for one that does not answer. */
  revisions(): Promise<(number | undefined)[]>;
  close(): void;
}

export interface RangeReq {
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly limit: number;
  /** 0: the latest. */
  readonly revision: number;
}

export interface RangePage {
  readonly revision: number;
  readonly kvs: { key: Buffer; value: Buffer }[];
  readonly more: boolean;
}

export function encodeTxnPut(ops: readonly PutOp[]): Buffer {
  const w = pb().Writer.create();
  for (const o of ops)
    w.uint32(0x12)
      .fork()
      .uint32(0x12)
      .fork()
      .uint32(0x0a)
      .string(o.key)
      .uint32(0x12)
      .string(o.value)
      .ldelim()
      .ldelim();
  return Buffer.from(w.finish());
}

export function encodeRange(r: RangeReq): Buffer {
  const w = pb().Writer.create().uint32(0x0a).bytes(r.key).uint32(0x12).bytes(r.rangeEnd);
  if (r.limit) w.uint32(0x18).int64(r.limit);
  if (r.revision) w.uint32(0x20).int64(r.revision);
  return Buffer.from(w.finish());
}

type Long = { toNumber(): number };
const num = (v: number | Long) => (typeof v === 'number' ? v : v.toNumber());

/** Only the fields the harness reads; the rest (create/mod revisions, version, lease) are skipped. */
export function decodeRange(buf: Buffer): RangePage {
  const { Reader } = pb();
  const r = Reader.create(buf);
  let revision = 0;
  let more = false;
  const kvs: { key: Buffer; value: Buffer }[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x0a) revision = headerRevision(Reader.create(r.bytes()));
    else if (tag === 0x12) {
      const len = r.uint32();
      kvs.push(keyValue(buf, r.pos, r.pos + len));
      r.pos += len;
    } else if (tag === 0x18) more = r.bool();
    else r.skipType(tag & 7);
  }
  return { revision, kvs, more };
}

function headerRevision(r: PbReader): number {
  let revision = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x18) revision = num(r.int64() as unknown as number | Long);
    else r.skipType(tag & 7);
  }
  return revision;
}

/**
 * KeyValue key=1 and value=5 as views of the page, read in place: a million keys read through a
 * Reader and a Buffer each were a good part of the harness's allocations (and GC) in a whole read.
 */
function keyValue(buf: Buffer, start: number, end: number): { key: Buffer; value: Buffer } {
  let key: Buffer = EMPTY;
  let value: Buffer = EMPTY;
  at = start;
  while (at < end) {
    const tag = varint(buf);
    const wire = tag & 7;
    if (wire === 0) varint(buf);
    else if (wire === 2) {
      const len = varint(buf);
      if (tag === 0x0a) key = buf.subarray(at, at + len);
      else if (tag === 0x2a) value = buf.subarray(at, at + len);
      at += len;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`KeyValue: wire type ${wire} at ${at - start}`);
  }
  return { key, value };
}

/** keyValue's read position (one page is decoded at a time, synchronously). */
let at = 0;

/** A varint at `at`: tags and lengths fit 32 bits; wider ones (revisions) are only skipped. */
function varint(buf: Buffer): number {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    const b = buf[at++] ?? 0;
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return v;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * StatusResponse: header=1 (ResponseHeader.member_id=2, revision=3: what this member has applied),
 * leader=4; the ids as decimal strings (uint64).
 */
export function decodeStatus(buf: Buffer): { member: string; leader: string; revision: number } {
  const r = pb().Reader.create(buf);
  let [member, leader, revision] = ['0', '0', 0];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 0x0a) {
      const h = pb().Reader.create(r.bytes());
      while (h.pos < h.len) {
        const t = h.uint32();
        if (t === 0x10) member = String(h.uint64());
        else if (t === 0x18) revision = num(h.int64() as unknown as number | Long);
        else h.skipType(t & 7);
      }
    } else if (tag === 0x20) leader = String(r.uint64());
    else r.skipType(tag & 7);
  }
  return { member, leader, revision };
}

const hostOf = (url: string) => url.replace(/^\w+:\/\//, '').replace(/\/.*$/, '');

/** One channel per endpoint; calls go round the endpoints. */
export function openKv(a: Access): Kv {
  const g = grpc();
  const creds = a.tls
    ? g.credentials.createSsl(Buffer.from(a.tls.ca), Buffer.from(a.tls.key), Buffer.from(a.tls.cert))
    : g.credentials.createInsecure();
  const options = {
    'grpc.use_local_subchannel_pool': 1,
    // Real Kubernetes objects reach 1.5 MiB each: a page of them can pass gRPC's 4 MiB default.
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    // HTTP/2's 64 KiB default window stalls a whole-keyspace read on a window update every 64 KiB.
    'grpc-node.flow_control_window': WINDOW,
  };
  const clients = a.endpoints.map((e) => new g.Client(hostOf(e), creds, options));
  let turn = 0;
  const call = (
    method: string,
    body: Buffer,
    c = clients[turn++ % clients.length] as Client,
    deadlineMs = DEADLINE_MS,
  ): Promise<Buffer> =>
    new Promise((resolve, reject) =>
      c.makeUnaryRequest(
        method.includes('/') ? method : `/etcdserverpb.KV/${method}`,
        (x: Buffer) => x,
        (x: Buffer) => x,
        body,
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err || !res ? reject(err ?? new Error(`${method}: no answer`)) : resolve(res)),
      ),
    );
  // A member that does not answer in 3 s is not the one to send a million puts to.
  const status = (c: Client) =>
    call('/etcdserverpb.Maintenance/Status', Buffer.alloc(0), c, 3000).then(decodeStatus, () => undefined);
  return {
    txnPut: async (ops) => {
      await call('Txn', encodeTxnPut(ops));
    },
    range: async (r) => decodeRange(await call('Range', encodeRange(r))),
    leader: async () => {
      const all = await Promise.all(clients.map(status));
      const i = all.findIndex((s) => s && s.leader !== '0' && s.member === s.leader);
      return i < 0 ? undefined : i;
    },
    revisions: async () => (await Promise.all(clients.map(status))).map((s) => s?.revision),
    close: () => {
      for (const c of clients) c.close();
    },
  };
}
