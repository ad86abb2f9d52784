import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { containerProvider } from './cluster/container.ts';
import { processProvider } from './cluster/process.ts';
import type { Cluster, Provider } from './cluster/types.ts';
import { dumpV3, memberHealthy, putAllV3 } from './etcd/api.ts';
import { resolveEtcd } from './etcd/dist.ts';
import { httpCall } from './etcd/http.ts';
import { silentLogger } from './log.ts';
import { needDocker, testContext } from './test-support/helpers.ts';

let cluster: Cluster | undefined;
let workDir: string | undefined;
afterEach(async () => {
  await cluster?.[Symbol.asyncDispose]();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  cluster = undefined;
});

const providers: Array<[string, () => Provider, boolean]> = [
  ['process', () => processProvider, false],
  ['container', () => containerProvider(), true],
];

describe.each(providers)('TLS on the %s provider', (_name, provider, needsDocker) => {
  it('serves HTTPS to a client with a certificate and refuses one without', async ({ skip }) => {
    if (needsDocker) needDocker(skip);
    const dist = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await provider().create({ size: 3, token: 't', enableV2: true, tls: true }, dist, ctx, 'c');
    await cluster.start();
    const access = cluster.access();
    const [ep] = access.endpoints;
    expect(ep).toMatch(/^https:\/\/127\.0\.0\.1:/);

    // With the client certificate: health, v3 writes and reads.
    expect((await memberHealthy(ep ?? '', access.tls)).healthy).toBe(true);
    await putAllV3(access, [{ key: '/registry/tls', value: 'ok' }]);
    expect((await dumpV3(access)).keys.has('/registry/tls')).toBe(true);

    // Trusting the CA but presenting no certificate: the handshake is refused.
    const ca = access.tls?.ca ?? '';
    await expect(httpCall(`${ep}/health`, { tls: { ca, cert: '', key: '' } })).rejects.toThrow(
      /certificate|handshake|socket hang up|ECONNRESET/i,
    );
    // The v3 gRPC API likewise.
    await expect(dumpV3({ endpoints: access.endpoints, tls: { ca, cert: '', key: '' } })).rejects.toThrow();
    // Plain HTTP gets nothing either.
    await expect(httpCall(`${(ep ?? '').replace('https:', 'http:')}/health`)).rejects.toThrow();
  });
});
