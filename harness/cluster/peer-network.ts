/**
 * Peer-link faults inside members' network namespaces, the same for namespaces we made (process
 * provider, `ip netns exec`) and containers' (`nsenter -t <pid> -n`): iptables rules matching the
 * peer port and the other members' addresses, so the client port stays reachable. This kernel has no
 * netem qdisc (checked: "Specified qdisc kind is unknown"), so a delay goes through a delaying TCP
 * proxy on the host, reached by DNAT inside the dialing member's namespace.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';
import { netLabel, run } from './netns.ts';
import type { Heal, Member, PeerNetwork } from './types.ts';

export interface NetnsAccess {
  /** The command prefix running a program in the member's network namespace (it must be running). */
  exec(m: Member): Promise<string[]>;
  /** The member's address on the members' network; undefined while it has none (a stopped container). */
  address(m: Member): Promise<string | undefined>;
  /** The host's address on that network, where the delaying proxy listens. */
  hostAddress(): Promise<string>;
  readonly peerPort: number;
}

function faultError(what: string, err: unknown): HarnessError {
  return new HarnessError('FAULT_INJECT', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

/** Adds rules (each `[table, chain, ...match]`) in a namespace; the Heal deletes them, tolerating a gone namespace. */
async function addRules(prefix: string[], rules: string[][], label: string): Promise<Heal> {
  const full = rules.map(([table, chain, ...rest]) => ({
    table: table as string,
    chain: chain as string,
    spec: ['-m', 'comment', '--comment', label, ...rest],
  }));
  const [cmd, ...pre] = prefix as [string, ...string[]];
  const added: typeof full = [];
  const heal = async () => {
    // A member restarted in a new container took its rules with its namespace: nothing to delete.
    for (const r of added.splice(0).reverse())
      await run(cmd, [...pre, 'iptables', '-w', '-t', r.table, '-D', r.chain, ...r.spec]).catch(() => {});
  };
  try {
    for (const r of full) {
      await run(cmd, [...pre, 'iptables', '-w', '-t', r.table, '-I', r.chain, '1', ...r.spec]);
      added.push(r);
    }
  } catch (err) {
    await heal();
    throw err;
  }
  return heal;
}

/** A TCP proxy that holds every chunk `ms` before passing it on, in both directions, order kept. */
async function delayingProxy(listenHost: string, target: { host: string; port: number }, ms: number) {
  const sockets = new Set<Socket>();
  const pipeDelayed = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), ms));
    from.on('end', () => setTimeout(() => to.end(), ms));
  };
  const server: Server = createServer((inbound) => {
    const outbound = connect(target);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    pipeDelayed(inbound, outbound);
    pipeDelayed(outbound, inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port: 0 }, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, close };
}

export function netnsPeerNetwork(
  ctx: Pick<RunContext, 'runId'>,
  members: readonly Member[],
  access: NetnsAccess,
): PeerNetwork {
  const label = netLabel(ctx.runId);
  const port = String(access.peerPort);
  return {
    async isolate(m, from) {
      try {
        const rules: string[][] = [];
        for (const o of from.filter((x) => x !== m)) {
          const a = await access.address(o);
          if (!a) continue;
          // multiport --ports: either end on the peer port (our dials to it, its dials to us).
          const match = ['-p', 'tcp', '-m', 'multiport', '--ports', port];
          rules.push(['filter', 'INPUT', '-s', a, ...match, '-j', 'DROP']);
          rules.push(['filter', 'OUTPUT', '-d', a, ...match, '-j', 'DROP']);
        }
        return await addRules(await access.exec(m), rules, label);
      } catch (err) {
        throw faultError(`cutting ${m.name}'s peer traffic`, err);
      }
    },

    async delay(m, ms) {
      const heals: Heal[] = [];
      const healAll = async () => {
        for (const h of heals.splice(0).reverse()) await h();
      };
      try {
        const host = await access.hostAddress();
        for (const o of members.filter((x) => x !== m)) {
          // Both directions of each link: connections m dials to o, and those o dials to m.
          for (const [dialer, target] of [
            [m, o],
            [o, m],
          ] as const) {
            const to = await access.address(target);
            if (!to || !(await access.address(dialer))) continue;
            const proxy = await delayingProxy(host, { host: to, port: access.peerPort }, ms);
            heals.push(proxy.close);
            const peer = ['-d', to, '-p', 'tcp', '--dport', port];
            heals.push(
              await addRules(
                await access.exec(dialer),
                [
                  ['nat', 'OUTPUT', ...peer, '-j', 'DNAT', '--to-destination', `${host}:${proxy.port}`],
                  // Connections opened before the DNAT stay direct: reset them so etcd redials via the proxy.
                  [
                    'filter',
                    'OUTPUT',
                    ...peer,
                    '-m',
                    'conntrack',
                    '!',
                    '--ctstate',
                    'DNAT',
                    '-j',
                    'REJECT',
                    '--reject-with',
                    'tcp-reset',
                  ],
                ],
                label,
              ),
            );
          }
        }
        return healAll;
      } catch (err) {
        await healAll();
        throw faultError(`delaying ${m.name}'s peer traffic`, err);
      }
    },
  };
}
