/**
 * Open vSwitch helpers for the OVS agent benchmark: plugging "VM" taps into br-int as
 * os-vif does (one `ip -batch` per namespace, then ONE ovs-vsctl transaction with the
 * iface-id / attached-mac / iface-status / vm-uuid external_ids the agents key on), a
 * continuous ping that counts what it lost, reading the Python agent's "devices up" log
 * lines, and the harness's Python OVS node (`neutron-server.sh up --python-agents-only
 * --ovs-agent`: ovsdb-server + ovs-vswitchd + neutron-openvswitch-agent in netns <host>).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertCidr, assertIfName, assertMac, assertNetnsName, assertUuid } from '../../shared/exec/names.js';
import { agents, neutronTime } from './api.js';
import { harness, pythonNodePaths, readPidFile } from './harness.js';
import { cmdline, pidAlive, processTree, vmRssKb } from './proc.js';
import { osloLogTime } from './python-node.js';
import { sleep } from './util.js';
import { ipBatch, peerOf, tapOf } from './vif.js';

const run = promisify(execFile);

export const OVS_AGENT_TYPE = 'Open vSwitch agent';

/** A node's switch as the plug step reaches it (from the root namespace). */
export interface OvsTarget {
  /** netns holding the taps (and ovs-vswitchd, which must see them) */
  nodeNs: string;
  /** `unix:<db.sock>` */
  dbUrl: string;
  /** OVS_RUNDIR & co. for ovs-vsctl */
  env: Record<string, string>;
}

/** One VM interface: the tap goes into the node, its peer (with the port's MAC) into vmNs. */
export interface OvsPlug {
  portId: string;
  mac: string;
  deviceId: string;
  vmNs: string;
  /** CIDR to put on the VM end (the VMs that ping each other), none for the others */
  address?: string;
}

export async function vsctl(t: OvsTarget, args: string[], timeoutSec = 30): Promise<string> {
  const r = await run('ovs-vsctl', [`--db=${t.dbUrl}`, `--timeout=${timeoutSec}`, ...args], { env: { ...process.env, ...t.env } });
  return r.stdout;
}

/**
 * Plugs the VMs as nova/os-vif does: veth pairs (taps up in the node, peers up in their VM
 * namespaces, with an address where asked), then one ovs-vsctl transaction that makes sure
 * br-int exists (os-vif's ensure_ovs_bridge: may-exist, datapath_type netdev) and adds every
 * tap with the external_ids the agents look for. ovs-vsctl waits until ovs-vswitchd has
 * applied it. Returns the clock start (before the first batch) and the plug duration.
 * TCP through these veths would need tx offload off (KERNEL.md §1); ping does not.
 */
export async function plugOvs(t: OvsTarget, ports: OvsPlug[], bridge = 'br-int'): Promise<{ t0: number; plugMs: number }> {
  assertNetnsName(t.nodeNs);
  assertIfName(bridge);
  const node: string[] = [];
  const vm = new Map<string, string[]>();
  const ovs: string[] = ['--', '--may-exist', 'add-br', bridge, '--', 'set', 'Bridge', bridge, 'datapath_type=netdev'];
  for (const p of ports) {
    assertUuid(p.portId); assertUuid(p.deviceId); assertMac(p.mac); assertNetnsName(p.vmNs);
    if (p.address !== undefined) assertCidr(p.address, 4);
    const tap = tapOf(p.portId), peer = peerOf(p.portId);
    node.push(`link add ${tap} type veth peer name ${peer} address ${p.mac} netns ${p.vmNs}`, `link set ${tap} up`);
    const lines = vm.get(p.vmNs) ?? [];
    lines.push(`link set ${peer} up`);
    if (p.address !== undefined) lines.push(`addr add ${p.address} dev ${peer}`);
    vm.set(p.vmNs, lines);
    ovs.push('--', '--may-exist', 'add-port', bridge, tap, '--', 'set', 'Interface', tap,
      `external_ids:iface-id=${p.portId}`, 'external_ids:iface-status=active',
      `external_ids:attached-mac=${p.mac}`, `external_ids:vm-uuid=${p.deviceId}`);
  }
  const t0 = Date.now();
  const n = await ipBatch(['-n', t.nodeNs], node);
  if (n.code !== 0) throw new Error(`plug batch in ${t.nodeNs} failed: ${n.stderr.trim().slice(0, 500)}`);
  for (const [ns, lines] of vm) {
    const r = await ipBatch(['-n', ns], lines);
    if (r.code !== 0) throw new Error(`peer batch in ${ns} failed: ${r.stderr.trim().slice(0, 500)}`);
  }
  await vsctl(t, ovs);
  return { t0, plugMs: Date.now() - t0 };
}

/** Removes the taps from the bridge (if-exists) and the node (their peers go with them). Best effort. */
export async function unplugOvs(t: OvsTarget, portIds: string[], bridge = 'br-int'): Promise<void> {
  if (portIds.length === 0) return;
  for (const id of portIds) assertUuid(id);
  await vsctl(t, portIds.flatMap((id) => ['--', '--if-exists', 'del-port', bridge, tapOf(id)])).catch(() => undefined);
  await ipBatch(['-n', t.nodeNs, '-force'], portIds.map((id) => `link del ${tapOf(id)}`)).catch(() => undefined);
}

// ------------------------------------------------------------------ ping loss
export interface PingLoss {
  transmitted: number;
  received: number;
  lost: number;
  longestGapMs: number;
  /** epoch ms at which the longest run of missing replies began (the request after the last reply before it) */
  gapStart?: number;
}

/**
 * `ping -D -n -i <interval> -W 1 <ip>` inside `netns` (nsenter, which execs: the PID is
 * ping's own) until stop(): SIGINT makes ping print its summary; the reply sequence
 * numbers and their -D timestamps give the longest run of missing replies and when it began.
 */
export class LossPinger {
  private readonly child: ChildProcess;
  private readonly replies = new Map<number, number>();
  private summary: { tx: number; rx: number } | undefined;
  private readonly exited: Promise<void>;
  private readonly startedAt = Date.now();

  constructor(netns: string, ip: string, readonly intervalMs = 200) {
    assertNetnsName(netns);
    this.child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', 'ping', '-D', '-n', '-i', String(intervalMs / 1000), '-W', '1', ip],
      { stdio: ['ignore', 'pipe', 'ignore'] });
    let partial = '';
    this.child.stdout!.on('data', (b: Buffer) => {
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        const r = /^\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)/.exec(l);
        if (r) this.replies.set(Number(r[2]), Math.round(Number(r[1]) * 1000));
        const s = /(\d+) packets transmitted, (\d+) received/.exec(l);
        if (s) this.summary = { tx: Number(s[1]), rx: Number(s[2]) };
      }
    });
    this.exited = new Promise((res) => { this.child.once('exit', () => res()); this.child.once('error', () => res()); });
  }

  /** Ends the ping (our child, by PID) and returns what it lost. */
  async stop(): Promise<PingLoss> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ }
    }
    const t = setTimeout(() => { if (pid !== undefined) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } }, 3000);
    await this.exited;
    clearTimeout(t);
    const tx = this.summary?.tx ?? Math.max(0, ...this.replies.keys());
    const rx = this.summary?.rx ?? this.replies.size;
    let gap = 0, run = 0, gapFirstSeq: number | undefined;
    for (let s = 1; s <= tx; s++) {
      if (this.replies.has(s)) { run = 0; continue; }
      if (++run > gap) { gap = run; gapFirstSeq = s - run + 1; }
    }
    let gapStart: number | undefined;
    if (gapFirstSeq !== undefined) {
      const before = this.replies.get(gapFirstSeq - 1);
      gapStart = before !== undefined ? before + this.intervalMs : this.startedAt + (gapFirstSeq - 1) * this.intervalMs;
    }
    return { transmitted: tx, received: rx, lost: Math.max(0, tx - rx), longestGapMs: gap * this.intervalMs, ...(gapStart !== undefined ? { gapStart } : {}) };
  }
}

/** One `ping -c 1 -W 1` inside netns: true when the reply came back. */
export function pingOnce(netns: string, ip: string): Promise<boolean> {
  assertNetnsName(netns);
  return run('nsenter', [`--net=/run/netns/${netns}`, '--', 'ping', '-c', '1', '-W', '1', '-n', ip]).then(() => true, () => false);
}

// ------------------------------------------------------------------ logs
const PY_DEVICES_UP = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) \d+ INFO \S+ \[[^\]]*\] Configuration for devices up \[(.*?)\] and devices down \[.*\] completed\.$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * neutron-openvswitch-agent's "Configuration for devices up [...] and devices down [...]
 * completed." (INFO, logged by _bind_devices after update_device_list returned): its time
 * (oslo.log local time) and the port ids it reported up.
 */
export function pythonDevicesUp(line: string): { time: number; up: string[] } | undefined {
  const m = PY_DEVICES_UP.exec(line);
  if (!m) return undefined;
  return { time: osloLogTime(m), up: m[8]!.match(UUID) ?? [] };
}

// ------------------------------------------------------------------ agent rows, RSS
/** Waits (abortable) until `host` has an alive row of `agentType` started at or after `sinceMs`. */
export async function waitAgentRow(o: { host: string; agentType: string; sinceMs: number; timeoutMs: number; failed: () => string | undefined; checkAbort: () => void }): Promise<void> {
  const since = Math.floor(o.sinceMs / 1000) * 1000; // started_at has whole seconds
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    o.checkAbort();
    const why = o.failed();
    if (why) throw new Error(why);
    const rows = await agents([o.host]).catch(() => []);
    if (rows.some((a) => a.agent_type === o.agentType && a.alive && a.started_at !== null && neutronTime(a.started_at) >= since)) return;
    if (Date.now() > until) throw new Error(`${o.agentType} on ${o.host}: no alive row started since launch after ${o.timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** VmRSS of the agent's tree (itself, descendants, process group) minus any OVS daemon, and of the OVS daemons apart. */
export function agentAndSwitchRss(agentPid: number, ovsPids: number[]): { agentKb: number; agentProcs: number; ovsKb: number } {
  const tree = processTree(agentPid).filter((p) => !ovsPids.includes(p));
  return {
    agentKb: tree.reduce((s, p) => s + vmRssKb(p), 0),
    agentProcs: tree.length,
    ovsKb: ovsPids.filter(pidAlive).reduce((s, p) => s + vmRssKb(p), 0),
  };
}

// ------------------------------------------------------------------ the harness's Python OVS node
export const PY_OVS_AGENT = 'openvswitch';

/** Where the harness keeps a Python OVS node's switch and agent log. */
export function pythonOvsNode(host: string): OvsTarget & { logFile: string; ovsPids: () => number[] } {
  const p = pythonNodePaths(host);
  const dir = join(p.state, 'ovs');
  return {
    nodeNs: host,
    dbUrl: `unix:${join(dir, 'run/db.sock')}`,
    env: { OVS_RUNDIR: join(dir, 'run'), OVS_DBDIR: dir, OVS_LOGDIR: p.logs },
    logFile: join(p.logs, `${PY_OVS_AGENT}.log`),
    ovsPids: () => ['ovsdb-server.pid', 'ovs-vswitchd.pid'].map((f) => readPidFile(host, f)).filter((x): x is number => x !== undefined),
  };
}

/** `up --python-agents-only --ovs-agent --no-wait`, then waits for the agent's row alive since the launch. */
export async function startPythonOvsNode(o: { host: string; failed: () => string | undefined; checkAbort: () => void }): Promise<number> {
  o.checkAbort();
  const up = harness(['up', '--python-agents-only', '--ovs-agent', '--no-wait'], o.host);
  const code = await up.done;
  if (code !== 0) throw new Error(`harness up --python-agents-only --ovs-agent failed (${code}): ${up.output.slice(-10).join(' | ')}`);
  const launch = readPidFile(o.host, `${PY_OVS_AGENT}.launch`) ?? Date.now();
  await waitAgentRow({ host: o.host, agentType: OVS_AGENT_TYPE, sinceMs: launch, timeoutMs: 90_000, failed: o.failed, checkAbort: o.checkAbort });
  return launch;
}

/**
 * SIGTERM to the Python OVS agent by PID (SIGKILL to its group after graceMs), then what it
 * left of its tree that carries the node's state dir: the privsep daemons (node.conf) and
 * `ovsdb-client monitor` (the node's db.sock). Returns the stop time (SIGTERM -> exit).
 */
export async function stopPythonOvsAgent(host: string, graceMs: number): Promise<number> {
  const pid = readPidFile(host, `${PY_OVS_AGENT}.pid`);
  if (pid === undefined) throw new Error('python openvswitch agent: no pid file');
  const mark = `${pythonNodePaths(host).state}/`;
  const kin = processTree(pid);
  const t = Date.now();
  process.kill(pid, 'SIGTERM');
  while (pidAlive(pid) && Date.now() - t < graceMs) await sleep(50);
  if (pidAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
  const stopMs = Date.now() - t;
  await sleep(300);
  const left = kin.filter((k) => k !== pid && pidAlive(k) && cmdline(k).includes(mark));
  for (const k of left) { try { process.kill(k, 'SIGTERM'); } catch { /* gone */ } }
  await sleep(300);
  for (const k of left) if (pidAlive(k) && cmdline(k).includes(mark)) { try { process.kill(k, 'SIGKILL'); } catch { /* gone */ } }
  return stopMs;
}
