/**
 * DHCP helpers for the benchmarks: a lease with busybox udhcpc inside a namespace
 * (own hook script: Debian's default hook would rewrite the host's /etc/resolv.conf),
 * and the dnsmasq / haproxy processes a DHCP agent keeps under its state_path
 * (Neutron's layout: <state>/dhcp/<net>/pid, <state>/external/pids/<net>.pid.haproxy).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cmdline, livePid, processTree, vmRssKb } from './proc.js';

/**
 * One udhcpc run in `netns` on `dev`: DISCOVER every second, at most `tries` times.
 * Resolves with the leased IP (undefined if none) and the time it exited.
 */
export async function udhcpcLease(netns: string, dev: string, tries: number, signal?: AbortSignal): Promise<{ ip?: string; at: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'nucleon-bench-udhcpc-'));
  const out = join(dir, 'lease.env');
  const hook = join(dir, 'hook.sh');
  await writeFile(hook, `#!/bin/sh\n[ "$1" = bound ] || exit 0\necho "ip=$ip" > ${out}\n`);
  await chmod(hook, 0o755);
  try {
    await new Promise<void>((res) => {
      execFile('ip', ['netns', 'exec', netns, 'busybox', 'udhcpc', '-i', dev, '-q', '-n', '-f', '-t', String(tries), '-T', '1', '-A', '1', '-s', hook],
        { timeout: (tries + 3) * 1000, ...(signal ? { signal } : {}) }, () => res());
    });
    const at = Date.now();
    const m = /^ip=(\S+)/m.exec(await readFile(out, 'utf8').catch(() => ''));
    return { ...(m ? { ip: m[1]! } : {}), at };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const dnsmasqPidFile = (state: string, net: string) => join(state, 'dhcp', net, 'pid');
export const haproxyPidFile = (state: string, net: string) => join(state, 'external', 'pids', `${net}.pid.haproxy`);

/** dnsmasq serving `net` for the agent whose state_path is `state`. */
export function dnsmasqPid(state: string, net: string): number | undefined {
  return livePid(dnsmasqPidFile(state, net), net);
}

/** The agent's process tree without the dnsmasq / haproxy daemons (counted apart). */
export function agentTreeRss(root: number): { rssKb: number; procs: number } {
  const pids = processTree(root).filter((p) => !/(^|\/|\s)(dnsmasq|haproxy)\s/.test(cmdline(p)));
  return { rssKb: pids.reduce((s, p) => s + vmRssKb(p), 0), procs: pids.length };
}

/** SIGTERM to the dnsmasq and haproxy of these networks (by pid file, cmdline checked); returns how many. */
export function stopNetworkDaemons(state: string, nets: Iterable<string>): number {
  let n = 0;
  for (const net of nets) {
    for (const f of [dnsmasqPidFile(state, net), haproxyPidFile(state, net)]) {
      const pid = livePid(f, net);
      if (pid === undefined) continue;
      try { process.kill(pid, 'SIGTERM'); n++; } catch { /* gone */ }
    }
  }
  return n;
}

/** False when the network's dnsmasq runs in another network namespace than /run/netns/qdhcp-<net> (a stale one). */
export function dnsmasqInItsNamespace(state: string, net: string): boolean | undefined {
  const pid = dnsmasqPid(state, net);
  if (pid === undefined) return undefined;
  try {
    const inode = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1];
    return inode !== undefined && String(statSync(`/run/netns/qdhcp-${net}`).ino) === inode;
  } catch { return false; }
}
