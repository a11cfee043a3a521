/**
 * L3 helpers for the benchmarks: a continuous ping whose first reply is timestamped by
 * the kernel side (iputils `ping -D`), the kernel state of a legacy router (qrouter
 * namespace, qg- device with its address, SNAT rule), a static "VM" namespace plugged as
 * os-vif does, and the haproxy metadata proxies an L3 agent keeps under its state_path
 * (Neutron's layout: <state>/external/pids/<router>.pid.haproxy).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deleteNamespaces, netnsExists } from './netns.js';
import { cmdline, livePid, processTree, vmRssKb } from './proc.js';
import { bridgeOf, tapOf } from './vif.js';

const run = promisify(execFile);

/**
 * `ping -D -n -i <interval> -W 1 <ip>` in `netns`, started now: `firstReply` resolves with
 * the epoch ms (from ping's -D receive timestamp) of the first echo reply whose round trip
 * is at most `maxRttMs` (a reply later than that counts as a timeout), or undefined when
 * stopped first. `stop()` ends the ping (our child, by PID).
 */
export class Pinger {
  private readonly child: ChildProcess;
  readonly firstReply: Promise<number | undefined>;
  private settle!: (v: number | undefined) => void;

  constructor(netns: string, ip: string, intervalMs = 100, maxRttMs = 1000) {
    this.firstReply = new Promise((res) => { this.settle = res; });
    this.child = spawn('ip', ['netns', 'exec', netns, 'ping', '-D', '-n', '-i', String(intervalMs / 1000), '-W', '1', ip], { stdio: ['ignore', 'pipe', 'ignore'] });
    let partial = '';
    this.child.stdout!.on('data', (b: Buffer) => {
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const m = /^\[(\d+)\.(\d+)\] \d+ bytes from .* time=([\d.]+) ms/.exec(l);
        if (m && Number(m[3]) <= maxRttMs) this.settle(Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000);
      }
    });
    this.child.once('exit', () => this.settle(undefined));
    this.child.once('error', () => this.settle(undefined));
  }

  stop(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try { process.kill(this.child.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

/** One `ping -c 1 -W 1`: true when the reply came back. */
export function pingOnce(netns: string, ip: string): Promise<boolean> {
  return run('ip', ['netns', 'exec', netns, 'ping', '-c', '1', '-W', '1', '-n', ip]).then(() => true, () => false);
}

export const routerNs = (id: string) => `qrouter-${id}`;

/**
 * Where a legacy router stands in the kernel: 0 no namespace, 1 namespace, 2 + a qg- device
 * carrying `gwIp`, 3 + an SNAT rule to `gwIp` in its nat table (done).
 */
export async function routerStage(id: string, gwIp: string): Promise<0 | 1 | 2 | 3> {
  const ns = routerNs(id);
  if (!netnsExists(ns)) return 0;
  const addrs = await run('ip', ['-n', ns, '-o', '-4', 'addr', 'show']).then((o) => o.stdout, () => '');
  if (!addrs.split('\n').some((l) => /^\d+: qg-\S+\s+inet /.test(l) && l.includes(` ${gwIp}/`))) return 1;
  const nat = await run('ip', ['netns', 'exec', ns, 'iptables-save', '-t', 'nat']).then((o) => o.stdout, () => '');
  return nat.split('\n').some((l) => l.includes('-j SNAT') && l.includes(`--to-source ${gwIp}`)) ? 3 : 2;
}

/** VmRSS of the agent's process tree (process, descendants, process group) without haproxy (counted apart). */
export function agentTreeRssNoProxy(root: number): { rssKb: number; procs: number; names: string } {
  const pids = processTree(root).filter((p) => !/(^|\/|\s)haproxy\s/.test(cmdline(p)));
  const names = new Map<string, number>();
  for (const p of pids) {
    let comm = '?';
    try { comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { /* gone */ }
    names.set(comm, (names.get(comm) ?? 0) + 1);
  }
  return { rssKb: pids.reduce((s, p) => s + vmRssKb(p), 0), procs: pids.length, names: [...names].map(([n, c]) => (c > 1 ? `${c}x ${n}` : n)).join(', ') };
}

export const routerHaproxyPidFile = (state: string, router: string) => join(state, 'external', 'pids', `${router}.pid.haproxy`);

/** The live haproxy of `router` for the agent whose state_path is `state` (cmdline checked). */
export function routerHaproxyPid(state: string, router: string): number | undefined {
  return livePid(routerHaproxyPidFile(state, router), router);
}

/** SIGTERM to the haproxy of these routers (by pid file, cmdline checked); returns how many. */
export function stopRouterProxies(state: string, routers: Iterable<string>): number {
  let n = 0;
  for (const r of routers) {
    const pid = routerHaproxyPid(state, r);
    if (pid === undefined) continue;
    try { process.kill(pid, 'SIGTERM'); n++; } catch { /* gone */ }
  }
  return n;
}

/**
 * SIGTERM to every haproxy an agent left under its state_path (<state>/external/pids/*.pid.haproxy,
 * command line naming that state_path): all of them were started by that agent, including
 * those of routers the server auto-scheduled to it. Returns how many.
 */
export function stopAllProxies(state: string): number {
  const dir = join(state, 'external', 'pids');
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.pid.haproxy')); } catch { return 0; }
  let n = 0;
  for (const f of files) {
    const pid = livePid(join(dir, f), state);
    if (pid === undefined) continue;
    try { process.kill(pid, 'SIGTERM'); n++; } catch { /* gone */ }
  }
  return n;
}

/**
 * Deletes the qrouter namespace of each router (after SIGKILL to what still runs inside:
 * only the agent's own haproxy can be there). Returns how many namespaces were deleted.
 */
export function deleteRouterNamespaces(routers: Iterable<string>): Promise<number> {
  return deleteNamespaces([...routers].map(routerNs));
}

/**
 * A "VM": netns `vmNs` whose eth0 (the port's MAC, static `cidr`, default route via
 * `gateway`) is the peer of tap<port[:11]> in `nodeNs`, the tap enslaved to
 * brq<net[:11]> (created if missing) and up, as os-vif does on a linuxbridge node.
 */
export async function plugStaticVm(nodeNs: string, vmNs: string, port: { id: string; mac: string; networkId: string }, cidr: string, gateway: string): Promise<void> {
  const tap = tapOf(port.id);
  const br = bridgeOf(port.networkId);
  if (!netnsExists(vmNs)) await run('ip', ['netns', 'add', vmNs]);
  await run('ip', ['-n', vmNs, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', nodeNs, 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'address', port.mac, 'netns', vmNs]);
  await run('ip', ['-n', vmNs, 'addr', 'add', cidr, 'dev', 'eth0']);
  await run('ip', ['-n', vmNs, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', vmNs, 'route', 'add', 'default', 'via', gateway]);
  await run('ip', ['-n', nodeNs, 'link', 'add', br, 'type', 'bridge']).catch(() => undefined);
  await run('ip', ['-n', nodeNs, 'link', 'set', br, 'up']);
  await run('ip', ['-n', nodeNs, 'link', 'set', tap, 'master', br, 'up']);
}
