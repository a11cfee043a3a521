/**
 * DHCP agents, side by side: nucleon-dhcp-agent vs Debian's neutron-dhcp-agent, each with
 * its own L2 agent, on the harness neutron-server, in one run (nucleon, then Python).
 *
 *   port->lease   a network (VXLAN, one DHCP subnet) is scheduled explicitly to the side's
 *                 DHCP agent (POST /v2.0/agents/<id>/dhcp-networks, before the subnet so the
 *                 auto-scheduler adds no other agent) and served: dnsmasq up, DHCP port
 *                 ACTIVE (measured last, after the start-up sync below has served it again). The clock starts just before POST /v2.0/ports (binding:host_id = the
 *                 agent's host, device_owner compute:nova, port_security_enabled false); as
 *                 soon as the port exists a bench "VM" namespace is plugged as os-vif does
 *                 (veth tap<port[:11]> with the port's MAC on the peer, tap enslaved to
 *                 brq<net[:11]>), and busybox udhcpc (own hook script) sends a DISCOVER every
 *                 second until it is bound; the clock stops when udhcpc exits with the port's
 *                 IP. dnsmasq only answers hosts in its hosts file, so this is the agent's
 *                 notification -> hosts file -> SIGHUP path, with a 1 s DISCOVER resolution on
 *                 both sides. Median of 3 (port and tap removed between runs).
 *   start-up      with 50 more networks (one DHCP subnet each) scheduled to the agent and
 *                 served: stop the DHCP agent, stop its dnsmasq and haproxy (pid files) and
 *                 delete the qdhcp- namespaces (as after a node reboot), launch it again, and
 *                 time from the launch until all 51 networks have a live dnsmasq (pid file
 *                 under the agent's state_path, process alive, network id in its command
 *                 line; polled every 100 ms). Same criterion on both sides. Also printed: the
 *                 agent's own "sync done" mark (nucleon: its "sync complete" log line,
 *                 written when the last slice of the start-up sync is done; Python: the
 *                 "Synchronizing state complete" line).
 *   stray dnsmasq a dnsmasq whose network namespace is not /run/netns/qdhcp-<net> answers
 *                 nobody: counted after the first serve and after the start-up, and printed.
 *   RSS           VmRSS of the DHCP agent's process tree (process, descendants, its process
 *                 group: Python's privsep daemons) without dnsmasq/haproxy, 5 s after the
 *                 start-up sync; dnsmasq and haproxy per network (median over the 51).
 *
 * nucleon: nucleon-linuxbridge-agent + nucleon-dhcp-agent in a TestNode "<prefix>-dnu";
 * Python: the harness node "<prefix>-dpy" (`neutron-server.sh up --python-agents-only`,
 * NUCLEON_PY_NODE) with neutron-linuxbridge-agent + neutron-dhcp-agent (its L3 and metadata
 * agents run too and host nothing). Both DHCP agents: interface_driver linuxbridge,
 * Dnsmasq, enable_isolated_metadata = True (so one haproxy per network on both sides).
 * Everything created (ports, networks, namespaces incl. qdhcp-* of our networks,
 * dnsmasq/haproxy by their pid files, processes by PID, agent rows) is removed at the end,
 * on failure and on SIGINT/SIGTERM; a watchdog bounds the run. Only prints: no timed assertion.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { AbortFlag } from './lib/abort.js';
import { ApiError, api, apiDelete, agents, deleteAgentRows } from './lib/api.js';
import { preflight, runBenchMain, runMain } from './lib/bench-main.js';
import { deleteNamespaces } from './lib/netns.js';
import {
  addUplinks, exitedWhy, keepNucleonLog, logTime, spawnAgent, timedStop, waitRegistered, writeLinuxbridgeIni, writeNeutronConf,
} from './lib/nucleon-node.js';
import { osloLogTime, pythonAgentsDown, PythonNodeAgent } from './lib/python-node.js';
import { livePid, pidAlive, vmRssKb } from './lib/proc.js';
import { loadText, mb, printOutcomes, runsText, sec, SideBySideTable } from './lib/report.js';
import { mapLimit, median, sleep } from './lib/util.js';
import { bridgeOf, tapOf } from './lib/vif.js';
import { agentTreeRss, dnsmasqInItsNamespace, dnsmasqPid, haproxyPidFile, stopNetworkDaemons, udhcpcLease } from './lib/dhcp.js';

const run = promisify(execFile);
const N = 50;
const LEASE_RUNS = 3;
const POLL_MS = 100;
const SETTLE_MS = 5000;
const PROJECT = 'nucleon-bench';
const API_CONCURRENCY = 5;
const WATCHDOG_MS = 900_000;       // then the run winds down and cleans up (< 16 min in all; Python serving 51 networks on a loaded 2-CPU machine took > 3 min)
const CLEANUP_RESERVE_MS = 50_000; // measurement deadlines stop this long before the watchdog
const WIND_DOWN_MS = 25_000;
const STOP_GRACE_MS = 15_000;

interface SideResult {
  lease: number[];
  /** launch -> all networks with a live dnsmasq */
  startupMs?: number;
  /** launch -> the agent's own "sync done" mark */
  syncLogMs?: number;
  firstMs?: number;
  stopMs?: number;
  served?: number;
  rss?: { rssKb: number; procs: number };
  dnsmasqKb?: number;
  haproxyKb?: number;
  load?: number;
  /** networks whose dnsmasq is not in its qdhcp namespace: after the first serve, after the start-up */
  strayFirst?: string[];
  strayAfter?: string[];
  errors: string[];
}

interface Side {
  label: 'nucleon' | 'python';
  host: string;
  nodeNs: string;
  vmNs: string;
  /** the DHCP agent's state_path */
  state(): string;
  start(): Promise<void>;
  dhcpPid(): number | undefined;
  failed(): string | undefined;
  /** Stops the DHCP agent (returns the stop duration); `relaunch` launches it again (returns the launch time). */
  stopDhcp(): Promise<number>;
  relaunch(): Promise<number>;
  /** ms from `launch` to the agent's own "sync done" mark, once it is there. */
  syncMark(launch: number): number | undefined;
  teardown(): Promise<void>;
}

// ------------------------------------------------------------------ shared state (for cleanup)
const prefix = runPrefix();
const createdPorts = new Set<string>();
const createdNetworks = new Set<string>();
const vmNamespaces = new Set<string>();
/** Set by SIGINT/SIGTERM/watchdog (runBenchMain): every loop and every step that creates something checks it. */
const abort = new AbortFlag();
const checkAbort = abort.check;
/** The qdhcp namespaces of these networks, with what still runs inside (as after a node reboot / at the end). */
const deleteDhcpNamespaces = (nets: string[]) => deleteNamespaces(nets.map((n) => `qdhcp-${n}`));

// ------------------------------------------------------------------ API resources
async function dhcpAgentId(host: string, until: number): Promise<string> {
  for (;;) {
    checkAbort();
    const rows = await agents([host]).catch(() => []);
    const a = rows.find((r) => r.agent_type === 'DHCP agent' && r.alive);
    if (a) return a.id;
    if (Date.now() > until) throw new Error(`no alive DHCP agent row for ${host}`);
    await sleep(250);
  }
}

/**
 * POST /agents/<id>/dhcp-networks, one at a time: concurrent bindings to one agent
 * deadlock on its `load` row in neutron-server (500, DBDeadlock); retried on 5xx.
 */
let scheduling: Promise<unknown> = Promise.resolve();
function schedule(agentId: string, networkId: string): Promise<void> {
  const next = scheduling.then(async () => {
    for (let attempt = 1; ; attempt++) {
      checkAbort();
      try {
        await api(`/agents/${agentId}/dhcp-networks`, 'POST', { network_id: networkId });
        return;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status < 500 || attempt >= 4) throw e;
        await sleep(200 * attempt);
      }
    }
  });
  scheduling = next.catch(() => undefined);
  return next;
}

/** Network + explicit scheduling to `agentId` + one DHCP subnet. */
async function createServedNetwork(side: Side, name: string, cidr: string, agentId: string): Promise<string> {
  checkAbort();
  const net = await api<{ network: { id: string } }>('/networks', 'POST', { network: { name, project_id: PROJECT, 'provider:network_type': 'vxlan' } });
  const id = net.network.id;
  createdNetworks.add(id);
  servedBy(side).add(id);
  await schedule(agentId, id);
  await api('/subnets', 'POST', { subnet: { network_id: id, ip_version: 4, cidr, enable_dhcp: true, project_id: PROJECT } });
  return id;
}

async function deleteNetworks(ids: string[]): Promise<void> {
  await mapLimit(ids, API_CONCURRENCY, async (id) => { if (await apiDelete(`/networks/${id}`)) createdNetworks.delete(id); });
}

async function deletePort(id: string): Promise<void> {
  if (await apiDelete(`/ports/${id}`)) createdPorts.delete(id);
}

/** Waits until every network has a live dnsmasq; returns the time all were (or undefined at `until`). */
async function waitDnsmasq(side: Side, nets: string[], until: number, onFirst?: (t: number) => void): Promise<{ at?: number; served: number }> {
  let served = 0;
  for (;;) {
    checkAbort();
    const why = side.failed();
    if (why) throw new Error(why);
    served = nets.filter((n) => dnsmasqPid(side.state(), n) !== undefined).length;
    const now = Date.now();
    if (served > 0 && onFirst) { onFirst(now); onFirst = undefined; }
    if (served === nets.length) return { at: now, served };
    if (now > until) return { served };
    await sleep(POLL_MS);
  }
}

/** The network's DHCP port is ACTIVE (L2 agent wired its tap, DHCP agent reported it). */
async function waitDhcpPortActive(net: string, until: number): Promise<void> {
  for (;;) {
    checkAbort();
    const r = await api<{ ports: Array<{ status: string }> }>(`/ports?network_id=${net}&device_owner=network:dhcp&fields=status`, 'GET', undefined, 5000).catch(() => ({ ports: [] }));
    if (r.ports.length > 0 && r.ports.every((p) => p.status === 'ACTIVE')) return;
    if (Date.now() > until) throw new Error(`DHCP port of ${net} not ACTIVE in time`);
    await sleep(200);
  }
}

// ------------------------------------------------------------------ one lease run
async function leaseRun(side: Side, net: string, until: number): Promise<number> {
  checkAbort();
  const t0 = Date.now();
  const p = await api<{ port: { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string }> } }>('/ports', 'POST', {
    port: { name: `${prefix}-dh-${side.label}`, network_id: net, project_id: PROJECT, 'binding:host_id': side.host, device_owner: 'compute:nova', device_id: randomUUID(), port_security_enabled: false },
  });
  const port = p.port;
  createdPorts.add(port.id);
  const tap = tapOf(port.id);
  const br = bridgeOf(net);
  try {
    // os-vif: bridge created if missing, tap enslaved and up; the VM end gets the port's MAC
    await run('ip', ['-n', side.nodeNs, 'link', 'add', br, 'type', 'bridge']).catch(() => undefined);
    await run('ip', ['-n', side.nodeNs, 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'address', port.mac_address, 'netns', side.vmNs]);
    await run('ip', ['-n', side.nodeNs, 'link', 'set', tap, 'master', br, 'up']);
    await run('ip', ['-n', side.vmNs, 'link', 'set', 'eth0', 'up']);
    const want = port.fixed_ips[0]?.ip_address;
    for (;;) {
      checkAbort();
      const why = side.failed();
      if (why) throw new Error(why);
      const tries = Math.max(1, Math.min(10, Math.floor((until - Date.now()) / 1000)));
      const l = await udhcpcLease(side.vmNs, 'eth0', tries);
      if (l.ip === want) return l.at - t0;
      if (l.ip !== undefined) throw new Error(`lease for ${l.ip}, port has ${want}`);
      if (Date.now() > until) throw new Error(`no lease within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await run('ip', ['-n', side.nodeNs, 'link', 'del', tap]).catch(() => undefined);
    await deletePort(port.id);
  }
}

// ------------------------------------------------------------------ nucleon side
class NucleonSide implements Side {
  readonly label = 'nucleon' as const;
  readonly host = `${prefix}-dnu`;
  readonly nodeNs = `${prefix}-dnu`;
  readonly vmNs = `${prefix}-dvnu`;
  private node: TestNode | undefined;
  private lb: SpawnedProcess | undefined;
  private dhcp: SpawnedProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nucleon-dhcp-bench-'));
  private lbFiles: string[] = [];
  private dhcpFiles: string[] = [];
  /** every launch's log lines (NUCLEON_BENCH_LOG) */
  private readonly dhcpLogs: string[][] = [];

  state(): string { return join(this.dir, 'state'); }

  async start(): Promise<void> {
    checkAbort();
    // dnsmasq re-reads its hosts/opts files (SIGHUP) after dropping privileges:
    // mkdtemp's 0700 would hide them and it would answer nobody
    chmodSync(this.dir, 0o755);
    this.node = await TestNode.create(this.nodeNs);
    await addUplinks(this.node);
    // state_path <dir>/state = this.state(): where the bench finds dnsmasq's and haproxy's pid files
    const conf = writeNeutronConf(this.dir, this.host);
    const lbIni = writeLinuxbridgeIni(this.dir);
    // the harness's dhcp_agent.ini settings, as the Python node runs them
    const dhcpIni = join(this.dir, 'dhcp_agent.ini');
    writeFileSync(dhcpIni, `[DEFAULT]\ninterface_driver = linuxbridge\ndhcp_driver = neutron.agent.linux.dhcp.Dnsmasq\nenable_isolated_metadata = True\n`);
    this.lbFiles = [conf, lbIni];
    this.dhcpFiles = [conf, dhcpIni];
    this.lb = spawnAgent(this.node, 'linuxbridge', this.lbFiles);
    this.spawnDhcp();
    await waitRegistered([this.lb, this.dhcp!], { timeoutMs: 30_000, failed: () => this.failed(), checkAbort });
  }

  private spawnDhcp(): number {
    checkAbort();
    const launch = Date.now();
    this.dhcp = spawnAgent(this.node!, 'dhcp', this.dhcpFiles);
    this.dhcpLogs.push(this.dhcp.log.lines);
    return launch;
  }

  dhcpPid(): number | undefined { return this.dhcp?.pid; }

  failed(): string | undefined {
    return exitedWhy('nucleon linuxbridge agent', this.lb) ?? exitedWhy('nucleon dhcp agent', this.dhcp);
  }

  stopDhcp(): Promise<number> { return timedStop(this.node!, this.dhcp!, STOP_GRACE_MS); }

  async relaunch(): Promise<number> { return this.spawnDhcp(); }

  syncMark(launch: number): number | undefined {
    // The start-up sync is served in slices; "sync complete" is written when the last is done.
    const j = this.dhcp?.log.json.find((l) => l['msg'] === 'sync complete');
    if (!j) return undefined;
    return logTime(j) - launch;
  }

  async teardown(): Promise<void> {
    for (const p of [this.dhcp, this.lb]) if (p) await this.node?.stopProcess(p, STOP_GRACE_MS);
    keepNucleonLog(this.dhcpLogs.map((l) => l.join('\n')));
    await this.node?.cleanup();
    this.node = undefined;
  }

  removeDir(): void { rmSync(this.dir, { recursive: true, force: true }); }
}

// ------------------------------------------------------------------ Python side
const PY_SYNC = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) \d+ INFO \S+ \[[^\]]*\] Synchronizing state complete/m;

class PythonSide implements Side {
  readonly label = 'python' as const;
  readonly host = `${prefix}-dpy`;
  readonly nodeNs = `${prefix}-dpy`;
  readonly vmNs = `${prefix}-dvpy`;
  started = false;
  private readonly dhcp = new PythonNodeAgent({ host: this.host, agent: 'dhcp', needs: ['linuxbridge'], graceMs: STOP_GRACE_MS, checkAbort });

  state(): string { return join(this.dhcp.paths.state, 'state'); }

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await this.dhcp.start();
  }

  dhcpPid(): number | undefined { return this.dhcp.pid(); }
  failed(): string | undefined { return this.dhcp.failed(); }
  stopDhcp(): Promise<number> { return this.dhcp.stop(); }
  relaunch(): Promise<number> { return this.dhcp.relaunch(); }

  syncMark(launch: number): number | undefined {
    const m = PY_SYNC.exec(this.dhcp.logSinceRelaunch());
    return m ? osloLogTime(m) - launch : undefined;
  }

  async teardown(): Promise<void> {
    if (!this.started) return;
    await pythonAgentsDown(this.host);
    this.started = false;
  }
}

// ------------------------------------------------------------------ one side
async function runSide(side: Side, r: SideResult, deadline: number): Promise<void> {
  const until = (ms: number) => Math.min(deadline, Date.now() + ms);
  r.load = loadavg()[0];
  await side.start();
  await run('ip', ['netns', 'add', side.vmNs]);
  vmNamespaces.add(side.vmNs);
  await run('ip', ['-n', side.vmNs, 'link', 'set', 'lo', 'up']);
  const agentId = await dhcpAgentId(side.host, until(60_000));
  const tag = side.label === 'nucleon' ? 'nu' : 'py';

  // 1 + 50 networks, served as they are created
  const leaseNet = await createServedNetwork(side, `${prefix}-dh-${tag}-lease`, '10.120.0.0/24', agentId);
  const nets = await mapLimit(Array.from({ length: N }, (_, i) => i), API_CONCURRENCY, (i) => createServedNetwork(side, `${prefix}-dh-${tag}-${i}`, `10.121.${i}.0/24`, agentId));
  const all = [leaseNet, ...nets];
  const first = await waitDnsmasq(side, all, until(150_000));
  if (first.at === undefined) throw new Error(`only ${first.served}/${all.length} networks served before the deadline`);
  r.strayFirst = all.filter((n) => dnsmasqInItsNamespace(side.state(), n) === false);
  // start-up sync: cold
  r.stopMs = await side.stopDhcp();
  // as after a reboot: no dnsmasq, no haproxy, no qdhcp namespace
  stopNetworkDaemons(side.state(), all);
  await sleep(500);
  await deleteDhcpNamespaces(all);
  const launch = await side.relaunch();
  const done = await waitDnsmasq(side, all, until(150_000), (t) => { r.firstMs = t - launch; });
  r.served = done.served;
  if (done.at === undefined) { r.errors.push(`start-up: ${done.served}/${all.length} networks with dnsmasq before the deadline`); return; }
  r.startupMs = done.at - launch;
  for (let t = Date.now(); r.syncLogMs === undefined && Date.now() - t < 30_000 && Date.now() < deadline; await sleep(POLL_MS)) r.syncLogMs = side.syncMark(launch);
  r.strayAfter = all.filter((n) => dnsmasqInItsNamespace(side.state(), n) === false);

  // RSS
  await sleep(Math.max(0, Math.min(SETTLE_MS, deadline - Date.now())));
  checkAbort();
  const pid = side.dhcpPid();
  if (pid !== undefined && pidAlive(pid)) r.rss = agentTreeRss(pid);
  const rssOf = (pids: Array<number | undefined>) => median(pids.filter((p): p is number => p !== undefined).map(vmRssKb).filter((v) => v > 0));
  r.dnsmasqKb = rssOf(all.map((n) => dnsmasqPid(side.state(), n)));
  r.haproxyKb = rssOf(all.map((n) => livePid(haproxyPidFile(side.state(), n), n)));

  // port -> lease, on the first network (served again by the start-up sync)
  await waitDhcpPortActive(leaseNet, until(60_000));
  for (let i = 0; i < LEASE_RUNS; i++) {
    try { r.lease.push(await leaseRun(side, leaseNet, until(40_000))); } catch (e) { if (abort.aborted) throw e; r.errors.push(`lease run ${i + 1}: ${e instanceof Error ? e.message : String(e)}`); }
    await sleep(1000);
  }
}

/** Networks first (the agent still runs and removes what it serves), then the agent, then leftovers by pid file and name. */
async function teardownSide(side: Side): Promise<void> {
  for (const id of [...createdPorts]) await deletePort(id);
  await deleteNetworks([...createdNetworks]);
  await sleep(1000);
  const nets = [...servedBy(side)];
  await side.teardown().catch((e: unknown) => console.error(`${side.label} teardown: ${String(e)}`));
  stopNetworkDaemons(side.state(), nets);
  await deleteDhcpNamespaces(nets);
  if (vmNamespaces.delete(side.vmNs)) await run('ip', ['netns', 'del', side.vmNs]).catch(() => undefined);
  await deleteAgentRows([side.host]);
}

/** Every network this side's agents were given in this run (kept past deletion, for leftovers). */
const sideNetworks = new Map<string, Set<string>>();
function servedBy(side: Side): Set<string> {
  let s = sideNetworks.get(side.label);
  if (!s) sideNetworks.set(side.label, (s = new Set()));
  return s;
}

// ------------------------------------------------------------------ report
function report(nu: SideResult, py: SideResult): void {
  const t = new SideBySideTable();
  t.add(`port create -> lease (median of ${LEASE_RUNS})`, median(nu.lease), median(py.lease));
  t.text('  runs', runsText(nu.lease), runsText(py.lease));
  t.add(`start-up: first of ${N + 1} dnsmasq up`, nu.firstMs, py.firstMs);
  t.add(`start-up: all ${N + 1} dnsmasq up`, nu.startupMs, py.startupMs);
  t.add('start-up: agent\'s "sync done" mark', nu.syncLogMs, py.syncLogMs);
  t.add(`RSS agent tree, ${N + 1} networks`, nu.rss?.rssKb, py.rss?.rssKb, mb);
  t.text('  processes in the tree', String(nu.rss?.procs ?? '-'), String(py.rss?.procs ?? '-'));
  t.add('RSS dnsmasq per network (median)', nu.dnsmasqKb, py.dnsmasqKb, mb);
  t.add('RSS haproxy per network (median)', nu.haproxyKb, py.haproxyKb, mb);
  t.print('dhcp agent');
  console.log([
    `port->lease: from POST /ports to udhcpc bound with the port's IP (VM plugged as soon as the port exists; DISCOVER every 1 s);`,
    `  port_security_enabled=false, VXLAN network, one DHCP subnet, network scheduled to the side's DHCP agent explicitly.`,
    `start-up: DHCP agent stopped (SIGTERM -> exit ${sec(nu.stopMs)} / ${sec(py.stopMs)}), its dnsmasq/haproxy stopped and qdhcp namespaces`,
    `  deleted, relaunched; times from the launch to a live dnsmasq (pid file + process) for every network, polled every ${POLL_MS} ms;`,
    `  "sync done": nucleon = its "sync complete" log line (last slice of the start-up sync), python = "Synchronizing state complete".`,
    `RSS: VmRSS of the DHCP agent + descendants + its process group (python: privsep daemons) without dnsmasq/haproxy,`,
    `  ${SETTLE_MS / 1000} s after the start-up sync; dnsmasq/haproxy: median VmRSS of one per network (enable_isolated_metadata on both sides).`,
    `1-min load average at the start of each side: ${loadText(nu.load, py.load)}.`,
  ].join('\n'));
  printOutcomes(nu, py, (label, r) => {
    for (const [when, stray] of [['after the first serve', r.strayFirst], ['after the start-up sync', r.strayAfter]] as const) {
      if (stray && stray.length > 0) console.log(`${label} WARNING: ${stray.length} dnsmasq not in their qdhcp namespace ${when} (they answer nobody): ${stray.join(' ')}`);
    }
  });
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  await preflight(['dist/agents/linuxbridge/main.js', 'dist/agents/dhcp/main.js']);
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { lease: [], errors: [] };
  const py: SideResult = { lease: [], errors: [] };
  await runBenchMain<Side, SideResult>({
    name: 'dhcp', abort, watchdogMs: WATCHDOG_MS, cleanupReserveMs: CLEANUP_RESERVE_MS, windDownMs: WIND_DOWN_MS,
    nucleon: { side: nuSide, result: nu },
    python: { side: pySide, result: py },
    header: `nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; bench VMs ${nuSide.vmNs}, ${pySide.vmNs}`,
    runSide,
    teardownSide,
    cleanup: async () => {
      for (const side of [nuSide, pySide] as Side[]) await teardownSide(side).catch((e: unknown) => console.error(`${side.label} cleanup: ${String(e)}`));
      nuSide.removeDir();
      if (createdPorts.size > 0 || createdNetworks.size > 0) console.error(`left behind: ports ${[...createdPorts].join(' ') || '-'} networks ${[...createdNetworks].join(' ') || '-'}`);
    },
    report: () => report(nu, py),
  });
}

runMain(main);
