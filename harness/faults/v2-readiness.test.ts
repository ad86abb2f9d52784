import { describe, expect, it } from 'vitest';
import { fatalQuote } from './v2-readiness.ts';

// Lines as etcd 3.5.30 logged them (a member started with --v2-deprecation=write-only over custom v2 data).
const FATAL =
  '{"level":"fatal","ts":"2026-12-01T04:48:08.934014Z","caller":"etcdmain/etcd.go:204","msg":"discovery failed","error":"detected disallowed custom content in v2store for stage --v2-deprecation=write-only","stacktrace":"go.etcd.io/etcd/server/etcdmain.startEtcdOrProxyV2"}';
const INFO =
  '{"level":"info","ts":"2026-12-01T04:48:08.1Z","caller":"etcdmain/etcd.go:73","msg":"Running: "}';
const MARK = (n: number) => `=== etcd-drill: starting etcd1 at 2026-12-01T04:48:0${n}Z: etcd --name etcd1`;

describe('fatalQuote', () => {
  it("quotes the fatal line's error field from the latest start", () => {
    expect(fatalQuote([MARK(1), INFO, FATAL].join('\n'))).toBe(
      'detected disallowed custom content in v2store for stage --v2-deprecation=write-only',
    );
  });

  it('an earlier start that died does not speak for the latest one', () => {
    expect(fatalQuote([MARK(1), FATAL, MARK(2), INFO].join('\n'))).toBeUndefined();
  });

  it('a log with no start marker is read whole', () => {
    expect(fatalQuote([INFO, FATAL].join('\n'))).toMatch(/disallowed custom content/);
    expect(fatalQuote(INFO)).toBeUndefined();
  });
});
