import { describe, expect, it } from 'vitest';
import { applyEvent, type CacheEntry, classify, listQuery, watchEnd } from './informer.ts';
import { ndjsonLines, type WatchEvent } from './modern-apiserver.ts';

const obj = (name: string, rv: string) => ({ metadata: { name, namespace: 'default', resourceVersion: rv } });

describe('informer event application', () => {
  it('adds, modifies and deletes by name; every event but ERROR moves the resume point', () => {
    const cache = new Map<string, CacheEntry>();
    expect(applyEvent(cache, 'widgets', { type: 'ADDED', object: obj('a', '5') })).toBe('5');
    expect(applyEvent(cache, 'widgets', { type: 'MODIFIED', object: obj('a', '7') })).toBe('7');
    expect(cache.get('widgets/default/a')?.resourceVersion).toBe('7');
    expect(applyEvent(cache, 'widgets', { type: 'BOOKMARK', object: obj('', '9') })).toBe('9');
    expect(cache.size).toBe(1);
    expect(applyEvent(cache, 'widgets', { type: 'DELETED', object: obj('a', '10') })).toBe('10');
    expect(cache.size).toBe(0);
    const gone = { type: 'ERROR', object: { metadata: { name: '' }, code: 410 } } as WatchEvent;
    expect(applyEvent(cache, 'widgets', gone)).toBeUndefined();
  });
});

describe('relist decisions (client-go reflector)', () => {
  it('tells expired, too large and refused apart', () => {
    expect(classify({ status: 410, message: 'too old resource version: 5 (9)' })).toBe('expired');
    expect(classify({ reason: 'Expired' })).toBe('expired');
    expect(classify({ status: 504, message: 'Too large resource version: 20, current: 12' })).toBe(
      'too-large',
    );
    expect(classify({ error: 'connect ECONNREFUSED 127.0.0.1:6443' })).toBe('refused');
    expect(classify({ status: 500, message: 'ECONNREFUSED in the body' })).toBe('other');
  });

  it('lists from the cache first, then not older than the last sync, then a quorum read when that was unavailable', () => {
    expect(listQuery('', false)).toBe('?resourceVersion=0');
    expect(listQuery('42', false)).toBe('?resourceVersion=42&resourceVersionMatch=NotOlderThan');
    expect(listQuery('42', true)).toBe('');
  });
});

describe('watch stream framing', () => {
  it('keeps a partial line for the next chunk', () => {
    expect(ndjsonLines('{"a":1}\n{"b"')).toEqual({ lines: ['{"a":1}'], rest: '{"b"' });
    expect(ndjsonLines('{"a":1}\n\n')).toEqual({ lines: ['{"a":1}'], rest: '' });
  });
});

describe("what follows a watch's end (reflector.go's watch loop)", () => {
  it('re-watches after a 2xx stream, even one cut off (a killed apiserver), without relisting', () => {
    expect(watchEnd(false, { status: 200 })).toBe('rewatch');
    expect(watchEnd(false, { status: 200, error: 'aborted' })).toBe('rewatch');
  });
  it('retries a refused connection or a 429 after a pause', () => {
    expect(watchEnd(false, { error: 'connect ECONNREFUSED 127.0.0.1:1' })).toBe('retry');
    expect(watchEnd(false, { status: 429, message: 'storage is (re)initializing' })).toBe('retry');
    expect(watchEnd(true, { status: 429 })).toBe('retry');
  });
  it('relists on an expired resourceVersion or any other failure', () => {
    expect(watchEnd(true, { status: 410, message: 'too old resource version: 5 (20)' })).toBe('relist');
    expect(watchEnd(false, { status: 500, message: 'internal error' })).toBe('relist');
  });
});
