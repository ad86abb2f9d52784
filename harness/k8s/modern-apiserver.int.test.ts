/**
 * Kubernetes 1.36's storage layer (apiextensions-apiserver built from Debian sid) over a real
 * 3-member etcd 3.5.30 cluster. Needs the built binary, which CI does not build: this file is in
 * the `k8s-modern` vitest project (`npm run test:k8s-modern`), not in `integration`.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processProvider } from '../cluster/process.ts';
import type { Cluster } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import { dumpV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { kubeProcesses, testContext } from '../test-support/helpers.ts';
import {
  type KubeJson,
  leftovers,
  MODERN_APISERVER,
  READYZ_PATH,
  type ResourceRef,
  simpleCrd,
  startModernApiserver,
} from './modern-apiserver.ts';
import { type ModernK8sDist, resolveModernK8s } from './modern-dist.ts';

let dist: ModernK8sDist;
const contexts: RunContext[] = [];

beforeAll(async () => {
  dist = await resolveModernK8s({ log: silentLogger });
});

afterAll(async () => {
  for (const ctx of contexts) await rm(ctx.workDir, { recursive: true, force: true });
});

const GROUP = 'drill.etcd-drill.io';
const ref: ResourceRef = { group: GROUP, version: 'v1', plural: 'widgets', namespace: 'default' };
const gadgets: ResourceRef = { ...ref, plural: 'gadgets' };
const widget = (name: string): KubeJson => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Widget',
  metadata: { name, namespace: 'default' },
  spec: { size: name.length },
});

describe.each([
  ['with TLS to etcd', true],
  ['without TLS', false],
])('apiextensions-apiserver 1.36 over etcd 3.5.30, %s', (_name, tls) => {
  let ctx: RunContext;
  let cluster: Cluster;

  beforeAll(async () => {
    ctx = await testContext();
    contexts.push(ctx);
    cluster = await processProvider.create(
      { size: 3, token: 'k8s_modern', enableV2: false, tls },
      await resolveEtcd({ version: '3.5.30', log: silentLogger }),
      ctx,
      'etcd',
    );
    await cluster.start();
  });

  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
  });

  it('serves a CRD and its objects from etcd under /registry, and leaves nothing behind', async () => {
    const access = cluster.access();
    expect(access.endpoints).toHaveLength(3);
    expect(access.endpoints[0]).toMatch(tls ? /^https:/ : /^http:/);
    const dir = join(ctx.workDir, 'k8s-modern');
    const apiserver = await startModernApiserver({ dist, etcd: access, dir, ctx });
    const pid = apiserver.pid;
    try {
      expect(apiserver.running).toBe(true);
      expect(kubeProcesses(ctx.workDir).map((p) => p.pid)).toEqual([pid]);
      const { api } = apiserver;
      const version = (await api.request('GET', '/version')).json as { gitVersion?: string };
      expect(version.gitVersion).toBe(`v${dist.version}`);

      await api.createCrd(simpleCrd({ group: GROUP, kind: 'Widget', plural: 'widgets' }));
      await api.waitEstablished(`widgets.${GROUP}`);
      const names = ['w1', 'w2', 'w3'];
      for (const n of names) await api.create(ref, widget(n));
      expect(await api.delete(ref, 'w2')).toBe(true);
      expect(await api.delete(ref, 'w2')).toBe(false);

      const quorum = await api.list(ref);
      expect(quorum.items.map((i) => i.metadata.name).sort()).toEqual(['w1', 'w3']);
      expect(Number(quorum.resourceVersion)).toBeGreaterThan(0);
      // The watch cache's answer: at least as new as the writes it was told of (w3's creation).
      const cached = await api.list(ref, { resourceVersion: '0' });
      expect(cached.items.map((i) => i.metadata.name).sort()).toEqual(['w1', 'w3']);

      // What etcd holds: the CRD and exactly the live objects, under the prefix the apiserver was given.
      const keys = [...(await dumpV3(access)).keys.keys()];
      expect(keys).toContain(`/registry/apiextensions.k8s.io/customresourcedefinitions/widgets.${GROUP}`);
      expect(keys.filter((k) => k.startsWith(`/registry/${GROUP}/widgets/`)).sort()).toEqual([
        `/registry/${GROUP}/widgets/default/w1`,
        `/registry/${GROUP}/widgets/default/w3`,
      ]);
    } finally {
      await apiserver.stop();
    }
    expect(apiserver.running).toBe(false);
    expect(kubeProcesses(ctx.workDir)).toEqual([]);
    expect(await leftovers(dir)).toEqual([]);
    expect(existsSync(join(dir, `${MODERN_APISERVER}.log`))).toBe(true);
    // Idempotent.
    await apiserver.stop();
  });

  it('supervised: killed, it is started again and serves the same objects', async () => {
    const dir = join(ctx.workDir, 'k8s-modern-supervised');
    const apiserver = await startModernApiserver({ dist, etcd: cluster.access(), dir, ctx, supervise: true });
    try {
      // Its own CRD and objects: nothing from the test before it.
      const { api } = apiserver;
      await api.createCrd(simpleCrd({ group: GROUP, kind: 'Gadget', plural: 'gadgets' }));
      await api.waitEstablished(`gadgets.${GROUP}`);
      for (const n of ['g1', 'g2']) {
        await api.create(gadgets, { ...widget(n), kind: 'Gadget' });
      }
      const first = apiserver.pid as number;
      process.kill(first, 'SIGKILL');
      const deadline = Date.now() + 60_000;
      let readyAt = 0;
      while (Date.now() < deadline && !readyAt) {
        if (apiserver.running && apiserver.pid !== first) {
          const ready = await api.request('GET', READYZ_PATH).catch(() => undefined);
          if (ready?.status === 200) readyAt = Date.now();
        }
        if (!readyAt) await sleep(100);
      }
      expect(apiserver.pid).not.toBe(first);
      expect(readyAt).toBeGreaterThan(0);
      // Ready is not yet serving custom objects (429 "storage is (re)initializing" until the CRD's
      // watch cache is set up again): the client retries that, so the first list straight after
      // readyz answers.
      const list = await api.list(gadgets);
      process.stdout.write(
        `k8s-modern: first list after readyz answered in ${Date.now() - readyAt} ms (${tls ? 'TLS' : 'plain'})\n`,
      );
      expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['g1', 'g2']);
    } finally {
      await apiserver.stop();
    }
    expect(kubeProcesses(ctx.workDir)).toEqual([]);
  });
});

describe('apiextensions-apiserver 1.36 start failures', () => {
  it('a readiness timeout names the log file, and nothing is left running', async () => {
    const ctx = await testContext();
    contexts.push(ctx);
    const dir = join(ctx.workDir, 'k8s-modern');
    // Nothing listens on port 1: it starts, never reaches etcd, never becomes ready.
    const err = await startModernApiserver({
      dist,
      etcd: { endpoints: ['http://127.0.0.1:1'] },
      dir,
      ctx,
      readyTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_START' });
    expect(String((err as Error).message)).toContain(join(dir, `${MODERN_APISERVER}.log`));
    expect(kubeProcesses(ctx.workDir)).toEqual([]);
    expect(await leftovers(dir)).toEqual([]);
  });
});
