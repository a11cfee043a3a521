/**
 * The nucleon side's node as every side-by-side bench sets it up: a TestNode with the same
 * uplinks as the harness's Python node (python-agents.sh), config files with the Python
 * node's settings, nucleon agents launched from dist/ in it, and what the benches read of
 * their JSON logs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpawnedProcess, TestNode } from '../../test/harness/node-netns.js';
import { TRANSPORT } from './api.js';
import { REPO } from './harness.js';
import { sleep } from './util.js';

/** The VTEP address of the nucleon node (the Python node's is on py-vtep0). */
export const NUCLEON_LOCAL_IP = '172.31.253.1';

/**
 * The physnet veth nu-phys0 <-> `extDev` (the node end, where a bench may put an external
 * address) and the VTEP veth nu-vtep0 (NUCLEON_LOCAL_IP) <-> nu-vtep1, all up.
 */
export async function addUplinks(node: TestNode, extDev = 'nu-ext0'): Promise<void> {
  for (const argv of [
    ['ip', 'link', 'add', 'nu-phys0', 'type', 'veth', 'peer', 'name', extDev],
    ['ip', 'link', 'add', 'nu-vtep0', 'type', 'veth', 'peer', 'name', 'nu-vtep1'],
    ['ip', 'addr', 'add', `${NUCLEON_LOCAL_IP}/24`, 'dev', 'nu-vtep0'],
    ['ip', 'link', 'set', 'nu-phys0', 'up'], ['ip', 'link', 'set', extDev, 'up'],
    ['ip', 'link', 'set', 'nu-vtep0', 'up'], ['ip', 'link', 'set', 'nu-vtep1', 'up'],
  ]) await node.exec(argv);
}

/** NUCLEON_BENCH_DEBUG=1: debug logging (RPC calls) for a closer look; not for figures. */
export const debugFromEnv = () => process.env['NUCLEON_BENCH_DEBUG'] === '1';

/** <dir>/neutron.conf (state under <dir>/state, locks under <dir>/lock); returns its path. */
export function writeNeutronConf(dir: string, host: string, debug = false): string {
  const conf = join(dir, 'neutron.conf');
  writeFileSync(conf, `[DEFAULT]\n${debug ? 'debug = True\n' : ''}host = ${host}\ntransport_url = ${TRANSPORT}\nstate_path = ${dir}/state\n` +
    `[agent]\nreport_interval = 30\n[oslo_concurrency]\nlock_path = ${dir}/lock\n`);
  return conf;
}

/**
 * <dir>/linuxbridge_agent.ini with the Python node's [linux_bridge]/[vxlan]/[securitygroup]/
 * [agent] settings, `physnet` on nu-phys0; returns its path.
 */
export function writeLinuxbridgeIni(dir: string, physnet = 'physnet1'): string {
  const ini = join(dir, 'linuxbridge_agent.ini');
  writeFileSync(ini, `[linux_bridge]\nphysical_interface_mappings = ${physnet}:nu-phys0\n` +
    `[vxlan]\nenable_vxlan = True\nlocal_ip = ${NUCLEON_LOCAL_IP}\nl2_population = False\n` +
    `[securitygroup]\nenable_security_group = True\nfirewall_driver = iptables\n[agent]\npolling_interval = 2\n`);
  return ini;
}

export type NucleonAgent = 'linuxbridge' | 'ovs' | 'dhcp' | 'l3' | 'metadata';

/** `node dist/agents/<agent>/main.js --config-file ...` inside the node. */
export function spawnAgent(node: TestNode, agent: NucleonAgent, configFiles: string[], env?: NodeJS.ProcessEnv): SpawnedProcess {
  return node.spawnInside([process.execPath, join(REPO, `dist/agents/${agent}/main.js`), ...configFiles.flatMap((f) => ['--config-file', f])], env);
}

/** Why `p` is gone ("<name> exited (code): its last log lines"), undefined while it runs (or was never started). */
export function exitedWhy(name: string, p: SpawnedProcess | undefined): string | undefined {
  const c = p?.child;
  if (p && c && (c.exitCode !== null || c.signalCode !== null)) return `${name} exited (${c.exitCode ?? c.signalCode}): ${p.log.lines.slice(-5).join(' | ')}`;
  return undefined;
}

/** Waits (abortable) until each agent has logged its registration with neutron-server. */
export async function waitRegistered(procs: SpawnedProcess[], o: { timeoutMs: number; failed: () => string | undefined; checkAbort: () => void }): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  for (const p of procs) {
    for (;;) {
      o.checkAbort();
      if (p.log.json.some((j) => j['msg'] === 'registered with neutron-server')) break;
      const why = o.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`nucleon: no registration log line in time (last: ${p.log.lines.slice(-3).join(' | ')})`);
      await sleep(50);
    }
  }
}

/** SIGTERM and wait (SIGKILL after graceMs, TestNode.stopProcess); returns how long the stop took. */
export async function timedStop(node: TestNode, p: SpawnedProcess, graceMs: number): Promise<number> {
  const t = Date.now();
  await node.stopProcess(p, graceMs);
  return Date.now() - t;
}

/** A JSON log line's `time` (pino's ISO string, or epoch ms) as epoch ms. */
export function logTime(j: Record<string, unknown>): number {
  return typeof j['time'] === 'number' ? j['time'] : Date.parse(String(j['time']));
}

/** NUCLEON_BENCH_LOG=<file>: the nucleon agent's log lines (last run only) for a closer look. */
export function keepNucleonLog(lines: string[]): void {
  const keep = process.env['NUCLEON_BENCH_LOG'];
  if (keep) writeFileSync(keep, lines.join('\n') + '\n');
}
