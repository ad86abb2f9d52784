import { createServer } from 'node:net';
import { HarnessError } from '../errors.ts';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** Fails with the fix when any of base…base+count-1 is taken on 127.0.0.1. */
export async function assertPortsFree(base: number, count: number): Promise<void> {
  await allocatePorts(count, base);
}

/** `count` ports on 127.0.0.1: free ones from the kernel, or base…base+count-1 checked free. */
export async function allocatePorts(count: number, base?: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    if (base !== undefined) {
      const want = base + i;
      if ((await tryListen(want)) === undefined) {
        throw new HarnessError(
          'BAD_INPUT',
          `port ${want} on 127.0.0.1 is already in use: pick another --base-port (needs ${count} free ports from it) or drop --base-port to use free ports`,
        );
      }
      ports.push(want);
    } else {
      let p: number | undefined;
      // The kernel may hand back a port we already took in this loop: ask again.
      do p = await tryListen(0);
      while (p === undefined || ports.includes(p));
      ports.push(p);
    }
  }
  return ports;
}
