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
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { startOvs, type OvsInstance } from '../test/harness/ovs.js';
import { runPrefix } from '../test/harness/names.js';
import { AbortFlag } from './lib/abort.js';
import { preflight, runBenchMain, runMain } from './lib/bench-main.js';
import { pythonNodePaths, readPidFile, REPO } from './lib/harness.js';
import { LogTail } from './lib/log-tail.js';
import { addUplinks, debugFromEnv, exitedWhy, keepNucleonLog, logTime, NUCLEON_LOCAL_IP, spawnAgent, timedStop, writeNeutronConf } from './lib/nucleon-node.js';
import {
  agentAndSwitchRss, LossPinger, OVS_AGENT_TYPE, PY_OVS_AGENT, pingOnce, plugOvs, pythonDevicesUp, pythonOvsNode,
  startPythonOvsNode, stopPythonOvsAgent, unplugOvs, waitAgentRow, type OvsPlug, type OvsTarget, type PingLoss,
} from './lib/ovs.js';
import { pythonAgentsDown, pythonAgentsFailed, relaunchPythonAgent } from './lib/python-node.js';
import { pidAlive } from './lib/proc.js';
import { addWiringRows, loadText, mb, printOutcomes, sec, SideBySideTable } from './lib/report.js';
import { sleep } from './lib/util.js';
import { WiringRun } from './lib/wiring-run.js';

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
/** Set by SIGINT/SIGTERM/watchdog (runBenchMain): every loop and every step that creates something checks it. */
const abort = new AbortFlag();
const checkAbort = abort.check;
/** the network, ports and VM namespaces of this run */
const wiring = new WiringRun({ networkName: `${prefix}-ovs-bench`, cidr: CIDR, project: PROJECT, concurrency: API_CONCURRENCY, checkAbort });

// ------------------------------------------------------------------ API resources
/** `n` VM ports bound to `host`, port security on (default security group). */
function createVmPorts(n: number, host: string): Promise<Port[]> {
  return wiring.createPorts<Port>(n, (i) => ({
    name: `${prefix}-ovs-${host.slice(-2)}-${i}`,
    'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(),
  }));
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
    await addUplinks(this.node);
    checkAbort();
    this.ovs = await startOvs({ name: this.host, netns: this.host });
    // as the Python node: br-ex (physnet1) exists before the agent starts
    await this.ovs.vsctl(['--may-exist', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev', '--', '--may-exist', 'add-port', 'br-ex', 'nu-phys0']);
    const conf = writeNeutronConf(this.dir, this.host, debugFromEnv());
    const ini = join(this.dir, 'openvswitch_agent.ini');
    // the same [ovs]/[agent]/[securitygroup] settings as the Python node (python-agents.sh)
    writeFileSync(ini, `[ovs]\ndatapath_type = netdev\novsdb_connection = ${this.ovs.dbUrl}\nof_listen_address = 127.0.0.1\n` +
      `of_listen_port = ${await freePort()}\nintegration_bridge = br-int\ntunnel_bridge = br-tun\nlocal_ip = ${NUCLEON_LOCAL_IP}\n` +
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
    this.agent = spawnAgent(this.node!, 'ovs', this.files, { ...process.env, ...this.ovs!.env });
    return launch;
  }

  agentPid(): number | undefined { return this.agent?.pid; }
  ovsPids(): number[] { return this.ovs ? [this.ovs.ovsdbServer.pid, this.ovs.vswitchd.pid] : []; }

  failed(): string | undefined { return exitedWhy('nucleon agent', this.agent); }

  stopAgent(): Promise<number> { return timedStop(this.node!, this.agent!, STOP_GRACE_MS); }

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
          const at = logTime(j) - launch;
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
    if (this.agent) keepNucleonLog(this.agent.log.lines);
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
    await pythonAgentsDown(this.host);
    this.started = false;
  }
}

// ------------------------------------------------------------------ one side
async function addVmNamespace(ns: string): Promise<void> {
  await wiring.addVmNamespace(ns);
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

async function runSide(side: Side, r: SideResult, deadline: number): Promise<void> {
  const until = (ms: number) => Math.min(deadline, Date.now() + ms);
  r.load = loadavg()[0];
  await side.start();
  for (const ns of [side.vmNs, side.vmA, side.vmB]) await addVmNamespace(ns);
  const t = side.target();

  for (let i = 0; i < SINGLE_RUNS; i++) {
    const [p] = await createVmPorts(1, side.host);
    const { t0 } = await plugOvs(t, [plugOf(p!, side.vmNs)]);
    const seen = await wiring.waitActive([p!.id], t0, until(side.label === 'nucleon' ? NOT_WIRED_MS : PY_SINGLE_MS), POLL_MS, () => side.failed());
    const ms = seen.get(p!.id);
    await unplugOvs(t, [p!.id]);
    await wiring.deletePorts([p!.id]);
    if (ms !== undefined) r.single.push(ms);
    else if (side.label === 'nucleon' && r.single.length === 0) throw new NotWired(`not wired: no port ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s of plugging it`);
    else r.errors.push(`1-port run ${i + 1}: not ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await sleep(1000); // let the agent see the tap go before the next run
  }

  const tc = Date.now();
  const ports = await createVmPorts(N, side.host);
  r.manyCreateMs = Date.now() - tc;
  await sleep(1000);
  // ports 0 and 1 are the VMs that ping each other during the restart
  const plugs = ports.map((p, i) => (i === 0 ? plugOf(p, side.vmA, true) : i === 1 ? plugOf(p, side.vmB, true) : plugOf(p, side.vmNs)));
  const { t0, plugMs } = await plugOvs(t, plugs);
  r.manyPlugMs = plugMs;
  const seen = await wiring.waitActive(ports.map((p) => p.id), t0, until(120_000), POLL_MS, () => side.failed());
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

// ------------------------------------------------------------------ report
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
  const t = new SideBySideTable();
  addWiringRows(t, nu, py, SINGLE_RUNS, N);
  t.add('restart: first device reported up', nu.resync?.firstMs, py.resync?.firstMs);
  t.add(`restart: all ${N} reported up`, nu.resync?.endMs, py.resync?.endMs);
  t.text('restart: ping A->B lost/sent', lossText(nu), lossText(py));
  t.text('  longest gap', gapText(nu), gapText(py));
  t.add(`RSS agent tree, ${N} ports ACTIVE`, nu.rss?.agentKb, py.rss?.agentKb, mb);
  t.text('  processes in the tree', String(nu.rss?.agentProcs ?? '-'), String(py.rss?.agentProcs ?? '-'));
  t.add('RSS agent tree after restart', nu.rssAfterRestart?.agentKb, py.rssAfterRestart?.agentKb, mb);
  t.add('  ovsdb-server + ovs-vswitchd (apart)', nu.rss?.ovsKb, py.rss?.ovsKb, mb);
  t.print(`openvswitch agent${SMOKE ? ' (SMOKE)' : ''}`);
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
    `1-min load average at the start of each side: ${loadText(nu.load, py.load)}.`,
  ].join('\n'));
  printOutcomes(nu, py);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  await preflight();
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { single: [], many: [], errors: [] };
  const py: SideResult = { single: [], many: [], errors: [] };
  await runBenchMain<Side, SideResult>({
    name: 'ovs', abort, watchdogMs: WATCHDOG_MS, cleanupReserveMs: CLEANUP_RESERVE_MS, windDownMs: WIND_DOWN_MS,
    nucleon: { side: nuSide, result: nu },
    python: { side: pySide, result: py },
    header: `nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; ${N} ports${SMOKE ? ' (smoke)' : ''}`,
    setUp: () => wiring.createNetwork(),
    // a missing build skips the nucleon side only: the Python side still runs
    skipBefore: (side) => (side === nuSide && !existsSync(join(REPO, 'dist/agents/ovs/main.js')) ? 'dist/agents/ovs/main.js missing (npm run build)' : undefined),
    skippedBy: (e) => (e instanceof NotWired ? `${e.message} (agents/ovs does not wire ports yet?)` : undefined),
    runSide,
    teardownSide: (side) => wiring.teardownSide(side, [side.vmNs, side.vmA, side.vmB]),
    cleanup: () => wiring.cleanup([nuSide, pySide]),
    report: () => report(nu, py),
    pythonLogsNote: 'Python agent and switch logs',
  });
}

runMain(main);
