/**
 * Port wiring, side by side: nucleon-ovs-agent vs Debian's neutron-openvswitch-agent on the
 * harness neutron-server, in one run, one after the other (nucleon, then Python). Each
 * agent gets a node namespace with a private Open vSwitch (ovsdb-server + ovs-vswitchd,
 * userspace "netdev" datapath: there is no openvswitch kernel module) and the same
 * settings: datapath_type netdev, firewall_driver openvswitch, tunnel_types vxlan without
 * l2population, local_ip on the node's py-vtep0/nu-vtep0, br-int, bridge_mappings
 * physnet1:br-ex, ovsdb_connection on the node's own db.sock, of_listen_address 127.0.0.1
 * with a port per node; the same daemon flags (--config-file neutron.conf --config-file
 * openvswitch_agent.ini).
 *
 *   tap->ACTIVE   ports are created first through the API (binding:host_id = the agent's
 *                 host, device_owner compute:nova, a device_id; port security on, default
 *                 security group) on a VXLAN network whose subnet has enable_dhcp=false (a
 *                 port goes ACTIVE on the L2 agent's report alone). The clock starts when
 *                 the taps are plugged as nova/os-vif does (shared/neutron-lab README "Port
 *                 wiring latency"): veth pairs via `ip -batch` (peer with the port's MAC in a
 *                 bench "VM" namespace), then ONE ovs-vsctl transaction adding every tap to
 *                 br-int with iface-id, attached-mac, iface-status=active, vm-uuid
 *                 external_ids. Each port's time is the first poll of `GET /v2.0/ports?
 *                 network_id=..` (every 100 ms) that shows it ACTIVE, taken when the answer
 *                 arrives. 1 port: 3 runs (median); 50 ports: one batch (min/median/p90/max).
 *   restart       with the 50 ports wired and ACTIVE: SIGTERM, wait for the exit, launch
 *                 again; time from the launch until the agent's update_device_list calls
 *                 since then have reported all 50 devices up, seen in its log (a restart does
 *                 not change the ports' status in the API): nucleon: "reported device
 *                 status" lines (logged after update_device_list returned; `up` a count or
 *                 the ids); Python: "Configuration for devices up [ids] ... completed."
 *                 (logged by _bind_devices after update_device_list returned). Meanwhile VM
 *                 A pings VM B (both on this node, addresses = their ports' fixed IPs) 5
 *                 times a second, from 1 s before the stop to 3 s after the resync: lost
 *                 replies and the longest gap are printed.
 *   RSS           VmRSS summed over the agent's process tree (process, descendants, its
 *                 process group: the Python agent's privsep daemons and its `ovsdb-client
 *                 monitor`), ovsdb-server + ovs-vswitchd apart; 5 s after all 50 went ACTIVE
 *                 and 5 s after the restart's resync.
 *
 * nucleon runs in a TestNode namespace "<prefix>-no" (host of the same name) with a switch
 * from test/harness/ovs.ts; Python in the harness node "<prefix>-po" (`neutron-server.sh up
 * --python-agents-only --ovs-agent`, NUCLEON_PY_NODE). Until agents/ovs wires ports the
 * nucleon side is skipped with its reason (no port ACTIVE within 60 s: "not wired").
 * --smoke (or NUCLEON_BENCH_SMOKE=1): 2 ports and one 1-port run, for checking the bench
 * itself on a shared machine. NUCLEON_BENCH_ONLY=nucleon|python: one side only.
 * Everything created (ports, network, namespaces, OVS instances, processes by PID, agent
 * rows of both hosts) is removed at the end, on failure and on SIGINT/SIGTERM; a watchdog
 * bounds the run. Only prints: there is no timed assertion.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { startOvs, type OvsInstance } from '../test/harness/ovs.js';
import { runPrefix } from '../test/harness/names.js';
import { API, api, apiDelete, agents, deleteAgentRows, TRANSPORT } from './lib/api.js';
import { harness, pythonNodePaths, readPidFile, REPO } from './lib/harness.js';
import {
  agentAndSwitchRss, LogTail, LossPinger, OVS_AGENT_TYPE, PY_OVS_AGENT, pingOnce, plugOvs, pythonDevicesUp, pythonOvsNode,
  startPythonOvsNode, stopPythonOvsAgent, unplugOvs, waitAgentRow, type OvsPlug, type OvsTarget, type PingLoss,
} from './lib/ovs.js';
import { pythonAgentsFailed, relaunchPythonAgent } from './lib/python-node.js';
import { pidAlive } from './lib/proc.js';
import { formatTable, mapLimit, median, sleep, stats } from './lib/util.js';

const run = promisify(execFile);
const SMOKE = process.argv.includes('--smoke') || process.env['NUCLEON_BENCH_SMOKE'] === '1';
const N = SMOKE ? 2 : 50;
const SINGLE_RUNS = SMOKE ? 1 : 3;
const POLL_MS = 100;
const SETTLE_MS = 5000;
const PING_INTERVAL_MS = 200;
const PING_AFTER_MS = 3000;
const NOT_WIRED_MS = 60_000;       // nucleon: no port ACTIVE by then = the agent does not wire ports (yet)
const PY_SINGLE_MS = 30_000;
const PROJECT = 'nucleon-bench';
const CIDR = '10.98.0.0/24';
const API_CONCURRENCY = 5;
const WATCHDOG_MS = SMOKE ? 300_000 : 540_000; // then the run winds down and cleans up
const CLEANUP_RESERVE_MS = 60_000;             // measurement deadlines stop this long before the watchdog
const WIND_DOWN_MS = 30_000;                   // after an abort: clean up from outside if the run is stuck
const STOP_GRACE_MS = 20_000;

interface Port { id: string; mac_address: string; device_id: string; fixed_ips: Array<{ ip_address: string }> }
interface Rss { agentKb: number; agentProcs: number; ovsKb: number }
/** times in ms; stopAt / launch: epoch ms of the SIGTERM and of the new launch */
interface Resync { firstMs?: number; endMs?: number; stopMs: number; devices: number; stopAt: number; launch: number }
interface SideResult {
  single: number[];
  many: number[];
  manyPlugMs?: number;
  manyCreateMs?: number;
  allActiveMs?: number;
  rss?: Rss;
  rssAfterRestart?: Rss;
  resync?: Resync;
  /** false: A could not ping B before the restart (then nothing is counted) */
  pingBefore?: boolean;
  ping?: PingLoss;
  load?: number;
  /** why the side was not measured (nucleon: agents/ovs does not wire ports yet) */
  skipped?: string;
  errors: string[];
}

/** Devices reported up since a launch, as the agent's log shows them. */
interface ResyncWatch { launch: number; poll(ids: Set<string>): { firstMs?: number; endMs?: number; up: number } }

interface Side {
  label: 'nucleon' | 'python';
  host: string;
  /** bulk VM namespace (peers without addresses), and the two VMs that ping */
  vmNs: string;
  vmA: string;
  vmB: string;
  target(): OvsTarget;
  start(): Promise<void>;
  agentPid(): number | undefined;
  ovsPids(): number[];
  /** Why the agent is gone, if it is. */
  failed(): string | undefined;
  stopAgent(): Promise<number>;
  relaunch(): Promise<ResyncWatch>;
  teardown(): Promise<void>;
}

class NotWired extends Error {}

// ------------------------------------------------------------------ shared state (for cleanup)
const prefix = runPrefix();
const createdPorts = new Set<string>();
const vmNamespaces = new Set<string>();
let networkId: string | undefined;
/** Set by SIGINT/SIGTERM/watchdog: every loop and every step that creates something checks it. */
let aborted: string | undefined;
function checkAbort(): void { if (aborted !== undefined) throw new Error(`aborted (${aborted})`); }

// ------------------------------------------------------------------ API resources
async function createNetwork(): Promise<string> {
  const net = await api<{ network: { id: string } }>('/networks', 'POST', {
    network: { name: `${prefix}-ovs-bench`, project_id: PROJECT, 'provider:network_type': 'vxlan' },
  });
  networkId = net.network.id;
  await api('/subnets', 'POST', {
    subnet: { network_id: networkId, ip_version: 4, cidr: CIDR, enable_dhcp: false, gateway_ip: null, project_id: PROJECT },
  });
  return networkId;
}

async function createPorts(n: number, host: string, net: string): Promise<Port[]> {
  return mapLimit(Array.from({ length: n }, (_, i) => i), API_CONCURRENCY, async (i) => {
    checkAbort();
    const p = await api<{ port: Port }>('/ports', 'POST', {
      port: {
        name: `${prefix}-ovs-${host.slice(-2)}-${i}`, network_id: net, project_id: PROJECT,
        'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(),
      },
    });
    createdPorts.add(p.port.id);
    return p.port;
  });
}

async function deletePorts(ids: string[]): Promise<void> {
  await mapLimit(ids, API_CONCURRENCY, async (id) => { if (await apiDelete(`/ports/${id}`)) createdPorts.delete(id); });
}

/** Polls the network's ports every 100 ms; returns port id -> ms from t0 to first seen ACTIVE. */
async function pollActive(net: string, ids: string[], t0: number, until: number, failed: () => string | undefined): Promise<Map<string, number>> {
  const want = new Set(ids);
  const seen = new Map<string, number>();
  while (seen.size < want.size && Date.now() < until) {
    checkAbort();
    const why = failed();
    if (why) throw new Error(why);
    const t = Date.now();
    try {
      const r = await api<{ ports: Array<{ id: string; status: string }> }>(`/ports?network_id=${net}&fields=id&fields=status`, 'GET', undefined, 5000);
      const now = Date.now();
      for (const p of r.ports) if (want.has(p.id) && p.status === 'ACTIVE' && !seen.has(p.id)) seen.set(p.id, now - t0);
    } catch { /* API hiccup: next poll */ }
    await sleep(Math.max(0, POLL_MS - (Date.now() - t)));
  }
  return seen;
}

const plugOf = (p: Port, vmNs: string, withAddress = false): OvsPlug => ({
  portId: p.id, mac: p.mac_address, deviceId: p.device_id, vmNs,
  ...(withAddress ? { address: `${ipOf(p)}/${CIDR.split('/')[1]}` } : {}),
});
function ipOf(p: Port): string {
  const ip = p.fixed_ips[0]?.ip_address;
  if (ip === undefined) throw new Error(`port ${p.id} has no fixed IP`);
  return ip;
}

/** A TCP port free on the host's 127.0.0.1 now (the nucleon agent's of_listen_port). */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a !== null && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

// ------------------------------------------------------------------ nucleon side
class NucleonSide implements Side {
  readonly label = 'nucleon' as const;
  readonly host = `${prefix}-no`;
  readonly vmNs = `${prefix}-vno`;
  readonly vmA = `${prefix}-vnoa`;
  readonly vmB = `${prefix}-vnob`;
  private node: TestNode | undefined;
  private ovs: OvsInstance | undefined;
  private agent: SpawnedProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nucleon-ovs-bench-'));
  private files: string[] = [];

  target(): OvsTarget {
    if (!this.ovs) throw new Error('nucleon: no switch');
    return { nodeNs: this.host, dbUrl: this.ovs.dbUrl, env: this.ovs.env };
  }

  async start(): Promise<void> {
    checkAbort();
    this.node = await TestNode.create(this.host);
    for (const argv of [
      ['ip', 'link', 'add', 'nu-phys0', 'type', 'veth', 'peer', 'name', 'nu-ext0'],
      ['ip', 'link', 'add', 'nu-vtep0', 'type', 'veth', 'peer', 'name', 'nu-vtep1'],
      ['ip', 'addr', 'add', '172.31.253.1/24', 'dev', 'nu-vtep0'],
      ['ip', 'link', 'set', 'nu-phys0', 'up'], ['ip', 'link', 'set', 'nu-ext0', 'up'],
      ['ip', 'link', 'set', 'nu-vtep0', 'up'], ['ip', 'link', 'set', 'nu-vtep1', 'up'],
    ]) await this.node.exec(argv);
    checkAbort();
    this.ovs = await startOvs({ name: this.host, netns: this.host });
    // as the Python node: br-ex (physnet1) exists before the agent starts
    await this.ovs.vsctl(['--may-exist', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev', '--', '--may-exist', 'add-port', 'br-ex', 'nu-phys0']);
    const conf = join(this.dir, 'neutron.conf');
    const ini = join(this.dir, 'openvswitch_agent.ini');
    // NUCLEON_BENCH_DEBUG=1: debug logging (RPC calls) for a closer look; not for figures
    const debug = process.env['NUCLEON_BENCH_DEBUG'] === '1' ? 'debug = True\n' : '';
    writeFileSync(conf, `[DEFAULT]\n${debug}host = ${this.host}\ntransport_url = ${TRANSPORT}\nstate_path = ${this.dir}/state\n` +
      `[agent]\nreport_interval = 30\n[oslo_concurrency]\nlock_path = ${this.dir}/lock\n`);
    // the same [ovs]/[agent]/[securitygroup] settings as the Python node (python-agents.sh)
    writeFileSync(ini, `[ovs]\ndatapath_type = netdev\novsdb_connection = ${this.ovs.dbUrl}\nof_listen_address = 127.0.0.1\n` +
      `of_listen_port = ${await freePort()}\nintegration_bridge = br-int\ntunnel_bridge = br-tun\nlocal_ip = 172.31.253.1\n` +
      `bridge_mappings = physnet1:br-ex\n[agent]\ntunnel_types = vxlan\nl2_population = False\n` +
      `[securitygroup]\nenable_security_group = True\nfirewall_driver = openvswitch\n`);
    this.files = [conf, ini];
    const launch = this.spawn();
    await waitAgentRow({ host: this.host, agentType: OVS_AGENT_TYPE, sinceMs: launch, timeoutMs: 60_000, failed: () => this.failed(), checkAbort });
  }

  private spawn(): number {
    checkAbort();
    const launch = Date.now();
    // the switch's OVS_RUNDIR: ovs-ofctl/ovs-appctl find <bridge>.mgmt and the unixctl sockets
    this.agent = this.node!.spawnInside([process.execPath, join(REPO, 'dist/agents/ovs/main.js'),
      ...this.files.flatMap((f) => ['--config-file', f])], { ...process.env, ...this.ovs!.env });
    return launch;
  }

  agentPid(): number | undefined { return this.agent?.pid; }
  ovsPids(): number[] { return this.ovs ? [this.ovs.ovsdbServer.pid, this.ovs.vswitchd.pid] : []; }

  failed(): string | undefined {
    const c = this.agent?.child;
    if (c && (c.exitCode !== null || c.signalCode !== null)) return `nucleon agent exited (${c.exitCode ?? c.signalCode}): ${this.agent!.log.lines.slice(-5).join(' | ')}`;
    return undefined;
  }

  async stopAgent(): Promise<number> {
    const t = Date.now();
    await this.node!.stopProcess(this.agent!, STOP_GRACE_MS);
    return Date.now() - t;
  }

  async relaunch(): Promise<ResyncWatch> {
    const launch = this.spawn();
    const agent = this.agent!;
    let next = 0, count = 0, firstMs: number | undefined, endMs: number | undefined;
    const ids = new Set<string>();
    return {
      launch,
      poll: (want) => {
        for (; next < agent.log.json.length; next++) {
          const j = agent.log.json[next]!;
          if (j['msg'] !== 'reported device status' || endMs !== undefined) continue;
          const up = j['up'];
          const at = Date.parse(String(j['time'])) - launch;
          if (typeof up === 'number') count += up;
          else if (Array.isArray(up)) for (const id of up) if (typeof id === 'string' && want.has(id)) ids.add(id);
          const total = Math.max(count, ids.size);
          if (total > 0) firstMs ??= at;
          if (total >= want.size) endMs = at;
        }
        return { firstMs, endMs, up: Math.max(count, ids.size) };
      },
    };
  }

  async teardown(): Promise<void> {
    if (this.agent) await this.node?.stopProcess(this.agent, STOP_GRACE_MS);
    // NUCLEON_BENCH_LOG=<file>: the agent's log lines (last run only) for a closer look
    const keep = process.env['NUCLEON_BENCH_LOG'];
    if (keep && this.agent) writeFileSync(keep, this.agent.log.lines.join('\n') + '\n');
    this.agent = undefined;
    await this.ovs?.stop();
    this.ovs = undefined;
    await this.node?.cleanup();
    this.node = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ Python side
class PythonSide implements Side {
  readonly label = 'python' as const;
  readonly host = `${prefix}-po`;
  readonly vmNs = `${prefix}-vpo`;
  readonly vmA = `${prefix}-vpoa`;
  readonly vmB = `${prefix}-vpob`;
  started = false;
  private readonly node = pythonOvsNode(this.host);
  private readonly paths = pythonNodePaths(this.host);

  target(): OvsTarget { return this.node; }

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await startPythonOvsNode({ host: this.host, failed: () => this.failed(), checkAbort });
  }

  agentPid(): number | undefined { return readPidFile(this.host, `${PY_OVS_AGENT}.pid`); }
  ovsPids(): number[] { return this.node.ovsPids(); }
  failed(): string | undefined { return pythonAgentsFailed(this.host, [PY_OVS_AGENT], this.paths.logs); }
  stopAgent(): Promise<number> { return stopPythonOvsAgent(this.host, STOP_GRACE_MS); }

  async relaunch(): Promise<ResyncWatch> {
    const tail = new LogTail(this.node.logFile);
    // the node keeps its kind (ovs): a plain `up --python-agents-only` relaunches only the agent
    const launch = await relaunchPythonAgent(this.host, PY_OVS_AGENT, checkAbort);
    const ids = new Set<string>();
    let firstMs: number | undefined, endMs: number | undefined;
    return {
      launch,
      poll: (want) => {
        for (const l of tail.lines()) {
          const d = pythonDevicesUp(l);
          if (!d || endMs !== undefined) continue;
          const ours = d.up.filter((id) => want.has(id));
          if (ours.length === 0) continue;
          for (const id of ours) ids.add(id);
          firstMs ??= d.time - launch;
          if (ids.size >= want.size) endMs = d.time - launch;
        }
        return { firstMs, endMs, up: ids.size };
      },
    };
  }

  async teardown(): Promise<void> {
    if (!this.started) return;
    const down = harness(['down', '--python-agents-only'], this.host);
    if ((await down.done) !== 0) console.error(`harness down failed: ${down.output.slice(-10).join(' | ')}`);
    this.started = false;
  }
}

// ------------------------------------------------------------------ one side
async function addVmNamespace(ns: string): Promise<void> {
  checkAbort();
  await run('ip', ['netns', 'add', ns]);
  vmNamespaces.add(ns);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
}

function rssOf(side: Side): Rss | undefined {
  const pid = side.agentPid();
  return pid !== undefined && pidAlive(pid) ? agentAndSwitchRss(pid, side.ovsPids()) : undefined;
}

async function restart(side: Side, ids: Set<string>, until: number): Promise<Resync> {
  const stopAt = Date.now();
  const stopMs = await side.stopAgent();
  const watch = await side.relaunch();
  for (;;) {
    checkAbort();
    const p = watch.poll(ids);
    if (p.endMs !== undefined) return { firstMs: p.firstMs, endMs: p.endMs, stopMs, devices: ids.size, stopAt, launch: watch.launch };
    const why = side.failed();
    if (why) throw new Error(why);
    if (Date.now() > until) throw new Error(`restart: ${p.up}/${ids.size} devices reported up since the launch before the deadline`);
    await sleep(POLL_MS);
  }
}

async function runSide(side: Side, net: string, r: SideResult, deadline: number): Promise<void> {
  const until = (ms: number) => Math.min(deadline, Date.now() + ms);
  r.load = loadavg()[0];
  await side.start();
  for (const ns of [side.vmNs, side.vmA, side.vmB]) await addVmNamespace(ns);
  const t = side.target();

  for (let i = 0; i < SINGLE_RUNS; i++) {
    const [p] = await createPorts(1, side.host, net);
    const { t0 } = await plugOvs(t, [plugOf(p!, side.vmNs)]);
    const seen = await pollActive(net, [p!.id], t0, until(side.label === 'nucleon' ? NOT_WIRED_MS : PY_SINGLE_MS), () => side.failed());
    const ms = seen.get(p!.id);
    await unplugOvs(t, [p!.id]);
    await deletePorts([p!.id]);
    if (ms !== undefined) r.single.push(ms);
    else if (side.label === 'nucleon' && r.single.length === 0) throw new NotWired(`not wired: no port ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s of plugging it`);
    else r.errors.push(`1-port run ${i + 1}: not ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await sleep(1000); // let the agent see the tap go before the next run
  }

  const tc = Date.now();
  const ports = await createPorts(N, side.host, net);
  r.manyCreateMs = Date.now() - tc;
  await sleep(1000);
  // ports 0 and 1 are the VMs that ping each other during the restart
  const plugs = ports.map((p, i) => (i === 0 ? plugOf(p, side.vmA, true) : i === 1 ? plugOf(p, side.vmB, true) : plugOf(p, side.vmNs)));
  const { t0, plugMs } = await plugOvs(t, plugs);
  r.manyPlugMs = plugMs;
  const seen = await pollActive(net, ports.map((p) => p.id), t0, until(120_000), () => side.failed());
  r.many = [...seen.values()];
  if (seen.size === N) r.allActiveMs = Math.max(...r.many);
  else r.errors.push(`${N} ports: only ${seen.size}/${N} ACTIVE after ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  await sleep(Math.max(0, Math.min(SETTLE_MS, deadline - Date.now())));
  checkAbort();
  r.rss = rssOf(side);
  if (seen.size !== N) { r.errors.push(`restart: skipped (not all ${N} ports ACTIVE)`); return; }

  const ipB = ipOf(ports[1]!);
  let ok = false;
  for (let i = 0; i < 20 && !ok; i++) { checkAbort(); ok = await pingOnce(side.vmA, ipB); if (!ok) await sleep(500); }
  r.pingBefore = ok;
  const pinger = ok ? new LossPinger(side.vmA, ipB, PING_INTERVAL_MS) : undefined;
  try {
    if (pinger) await sleep(1000);
    r.resync = await restart(side, new Set(ports.map((p) => p.id)), until(150_000));
    if (pinger) await sleep(PING_AFTER_MS);
  } finally {
    if (pinger) r.ping = await pinger.stop();
  }
  await sleep(Math.max(0, Math.min(SETTLE_MS, deadline - Date.now())));
  checkAbort();
  r.rssAfterRestart = rssOf(side);
}

async function teardownSide(side: Side): Promise<void> {
  await side.teardown().catch((e: unknown) => console.error(`${side.label} teardown: ${String(e)}`));
  await deletePorts([...createdPorts]);
  for (const ns of [side.vmNs, side.vmA, side.vmB]) if (vmNamespaces.delete(ns)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  await deleteAgentRows([side.host]);
}

// ------------------------------------------------------------------ report
const sec = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const mb = (kb?: number) => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);
function ratio(py?: number, nu?: number): string {
  if (py === undefined || !nu) return '-';
  const x = py / nu;
  return `${x.toFixed(x < 10 ? 1 : 0)}x`;
}
function launchText(r: SideResult): string {
  return r.resync ? ((r.resync.launch - r.resync.stopAt) / 1000).toFixed(1) : '-';
}
function lossText(r: SideResult): string {
  if (r.pingBefore === false) return 'no ping before';
  if (!r.ping) return '-';
  return `${r.ping.lost}/${r.ping.transmitted}`;
}

/** "1.40 s @+7.2" : the longest gap and when it began, in s after the SIGTERM */
function gapText(r: SideResult): string {
  if (!r.ping) return '-';
  if (r.ping.longestGapMs === 0) return '0 s';
  const at = r.ping.gapStart !== undefined && r.resync ? ` @+${((r.ping.gapStart - r.resync.stopAt) / 1000).toFixed(1)}` : '';
  return `${sec(r.ping.longestGapMs)}${at}`;
}

function report(nu: SideResult, py: SideResult): void {
  const rows: string[][] = [];
  const add = (label: string, n?: number, p?: number, fmt = sec) => rows.push([label, fmt(n), fmt(p), ratio(p, n)]);
  add(`tap->ACTIVE 1 port (median of ${SINGLE_RUNS})`, median(nu.single), median(py.single));
  rows.push(['  1-port runs', nu.single.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', py.single.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', '']);
  const sn = stats(nu.many), sp = stats(py.many);
  add(`${N} ports: min`, sn?.min, sp?.min);
  add(`${N} ports: median`, sn?.median, sp?.median);
  add(`${N} ports: p90`, sn?.p90, sp?.p90);
  add(`${N} ports: max = all ACTIVE`, nu.allActiveMs ?? sn?.max, py.allActiveMs ?? sp?.max);
  add('restart: first device reported up', nu.resync?.firstMs, py.resync?.firstMs);
  add(`restart: all ${N} reported up`, nu.resync?.endMs, py.resync?.endMs);
  rows.push(['restart: ping A->B lost/sent', lossText(nu), lossText(py), '']);
  rows.push(['  longest gap', gapText(nu), gapText(py), '']);
  add(`RSS agent tree, ${N} ports ACTIVE`, nu.rss?.agentKb, py.rss?.agentKb, mb);
  rows.push(['  processes in the tree', String(nu.rss?.agentProcs ?? '-'), String(py.rss?.agentProcs ?? '-'), '']);
  add('RSS agent tree after restart', nu.rssAfterRestart?.agentKb, py.rssAfterRestart?.agentKb, mb);
  add('  ovsdb-server + ovs-vswitchd (apart)', nu.rss?.ovsKb, py.rss?.ovsKb, mb);
  console.log(formatTable([`openvswitch agent${SMOKE ? ' (SMOKE)' : ''}`, 'nucleon', 'python', 'python/nucleon'], rows));
  console.log([
    `ports: port security on (default security group, firewall_driver openvswitch), VXLAN network, subnet without DHCP;`,
    `  tap->ACTIVE from the plug step (veths by ip -batch, then one ovs-vsctl transaction with iface-id/attached-mac/`,
    `  iface-status/vm-uuid) to the first ${POLL_MS} ms poll of GET /ports showing ACTIVE (answer time);`,
    `  plug step for ${N}: nucleon ${sec(nu.manyPlugMs)}, python ${sec(py.manyPlugMs)}; ports created beforehand in ` +
      `${sec(nu.manyCreateMs)} / ${sec(py.manyCreateMs)} (${API_CONCURRENCY} POSTs in flight, not timed).`,
    `restart: SIGTERM -> exit took ${sec(nu.resync?.stopMs)} / ${sec(py.resync?.stopMs)}; times from the new launch to the log line`,
    `  written after the update_device_list call that completed the set of ${N} devices reported up since the launch:`,
    `  nucleon "reported device status", python "Configuration for devices up [..] completed." (same criterion);`,
    `  ping: VM A -> VM B on the node every ${PING_INTERVAL_MS} ms, from 1 s before the stop to ${PING_AFTER_MS / 1000} s after the resync;`,
    `  the longest gap "@+t": it began t s after the SIGTERM (the new launch came ${launchText(nu)} / ${launchText(py)} s after it).`,
    `RSS: VmRSS of the agent + descendants + its process group (python: privsep daemons, ovsdb-client monitor),`,
    `  ${SETTLE_MS / 1000} s after all ACTIVE and ${SETTLE_MS / 1000} s after the resync; the node's ovsdb-server + ovs-vswitchd apart.`,
    `1-min load average at the start of each side: nucleon ${nu.load?.toFixed(1) ?? '-'}, python ${py.load?.toFixed(1) ?? '-'} (${cpus().length} CPUs).`,
  ].join('\n'));
  for (const [label, r] of [['nucleon', nu], ['python', py]] as const) {
    if (r.skipped) console.log(`${label} SKIPPED: ${r.skipped}`);
    for (const e of r.errors) console.log(`${label} FAILED: ${e}`);
  }
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const started = Date.now();
  const deadline = started + WATCHDOG_MS - CLEANUP_RESERVE_MS;
  await agents(['none']).catch((e: unknown) => { throw new Error(`neutron-server API ${API} not reachable (test/harness/neutron-server.sh up): ${String(e)}`); });
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { single: [], many: [], errors: [] };
  const py: SideResult = { single: [], many: [], errors: [] };
  let reported = false;
  const printReport = () => { if (!reported) { reported = true; report(nu, py); } };
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    await nuSide.teardown().catch((e: unknown) => console.error(`nucleon cleanup: ${String(e)}`));
    await pySide.teardown().catch((e: unknown) => console.error(`python cleanup: ${String(e)}`));
    await deletePorts([...createdPorts]);
    for (const ns of vmNamespaces) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    vmNamespaces.clear();
    if (networkId !== undefined && (await apiDelete(`/networks/${networkId}`))) networkId = undefined;
    await deleteAgentRows([nuSide.host, pySide.host]);
    if (createdPorts.size > 0 || networkId !== undefined) console.error(`left behind: ports ${[...createdPorts].join(' ')} network ${networkId ?? '-'}`);
  })());
  // The run notices `aborted` within ~100 ms and cleans up on its own path; if it is stuck
  // in a long call, clean up from here after WIND_DOWN_MS.
  const abort = (why: string) => {
    if (aborted !== undefined) return;
    aborted = why;
    console.error(`${why}: winding down and cleaning up`);
    setTimeout(() => {
      console.error('the run did not wind down: cleaning up from outside');
      printReport();
      void cleanup().finally(() => process.exit(1));
    }, WIND_DOWN_MS).unref();
  };
  const watchdog = setTimeout(() => abort(`watchdog after ${WATCHDOG_MS / 1000} s`), WATCHDOG_MS);
  process.on('SIGINT', () => abort('interrupted'));
  process.on('SIGTERM', () => abort('terminated'));
  let pyFailed = false;
  try {
    console.log(`nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; ${N} ports${SMOKE ? ' (smoke)' : ''}`);
    const net = await createNetwork();
    const only = process.env['NUCLEON_BENCH_ONLY'];
    for (const [side, r] of [[nuSide, nu], [pySide, py]] as const) {
      if (only && only !== side.label) continue;
      if (aborted !== undefined) break;
      if (side === nuSide && !existsSync(join(REPO, 'dist/agents/ovs/main.js'))) { r.skipped = 'dist/agents/ovs/main.js missing (npm run build)'; continue; }
      try {
        await runSide(side, net, r, deadline);
      } catch (e) {
        if (e instanceof NotWired) r.skipped = `${e.message} (agents/ovs does not wire ports yet?)`;
        else r.errors.push(e instanceof Error ? e.message : String(e));
        if (side === pySide) pyFailed = true;
      }
      await teardownSide(side);
    }
    printReport();
  } finally {
    if (aborted !== undefined) { printReport(); process.exitCode = 1; }
    await cleanup();
    clearTimeout(watchdog);
    const logs = pythonNodePaths(pySide.host).logs;
    if (!pyFailed && py.errors.length === 0) rmSync(logs, { recursive: true, force: true });
    else console.error(`Python agent and switch logs: ${logs}`);
    console.log(`ovs bench done in ${((Date.now() - started) / 1000).toFixed(0)} s (cleaned up)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
