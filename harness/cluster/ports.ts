import { readFileSync } from 'node:fs';
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

/**
 * Where free ports are picked: below the kernel's ephemeral range. A member's port is free while it
 * is stopped (a restore restarts every member); inside the range any outgoing connection (its peers
 * dialling it, another drill's clients) may take it as a source port meanwhile and the restart fails
 * with "address already in use". Below it only an explicit bind can.
 */
function pickRange(): { low: number; high: number } | undefined {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const high = Number(low) - 1;
    return high - 10_000 >= 1024 ? { low: 10_000, high } : undefined;
  } catch {
    return undefined;
  }
}
const RANGE = pickRange();

/** A port nobody listens on now, from below the ephemeral range (or the kernel's choice without one). */
async function freePort(): Promise<number | undefined> {
  if (!RANGE) return tryListen(0);
  return tryListen(RANGE.low + Math.floor(Math.random() * (RANGE.high - RANGE.low + 1)));
}

/**
 * Free ports handed out by this process. A free port is only free until someone binds it: drills
 * running at once (--parallel) must not be given the same one between the check and etcd's bind, so
 * a port goes to one caller per process. The kernel's ~28k ephemeral ports last a long matrix.
 */
const handedOut = new Set<number>();

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
      // The kernel may hand back a port already handed out (in this loop or to another drill): ask again.
      do p = await freePort();
      while (p === undefined || handedOut.has(p));
      handedOut.add(p);
      ports.push(p);
    }
  }
  return ports;
}
