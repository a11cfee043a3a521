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
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { API, ApiError, api, apiDelete, agents, deleteAgentRows, TRANSPORT } from './lib/api.js';
import { harness, pythonNodePaths, readPidFile, REPO } from './lib/harness.js';
import { osloLogTime, pythonAgentsFailed, relaunchPythonAgent, startPythonAgents, stopPythonAgent } from './lib/python-node.js';
import { pidAlive, vmRssKb } from './lib/proc.js';
import { formatTable, mapLimit, median, sleep } from './lib/util.js';
import { agentTreeRss, dnsmasqInItsNamespace, dnsmasqPid, haproxyPidFile, livePid, stopNetworkDaemons, udhcpcLease } from './lib/dhcp.js';

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
let aborted: string | undefined;
function checkAbort(): void { if (aborted !== undefined) throw new Error(`aborted (${aborted})`); }
const tapOf = (id: string) => `tap${id.slice(0, 11)}`;

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
  const br = `brq${net.slice(0, 11)}`;
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
    for (const argv of [
      ['ip', 'link', 'add', 'nu-phys0', 'type', 'veth', 'peer', 'name', 'nu-ext0'],
      ['ip', 'link', 'add', 'nu-vtep0', 'type', 'veth', 'peer', 'name', 'nu-vtep1'],
      ['ip', 'addr', 'add', '172.31.253.1/24', 'dev', 'nu-vtep0'],
      ['ip', 'link', 'set', 'nu-phys0', 'up'], ['ip', 'link', 'set', 'nu-ext0', 'up'],
      ['ip', 'link', 'set', 'nu-vtep0', 'up'], ['ip', 'link', 'set', 'nu-vtep1', 'up'],
    ]) await this.node.exec(argv);
    const conf = join(this.dir, 'neutron.conf');
    writeFileSync(conf, `[DEFAULT]\nhost = ${this.host}\ntransport_url = ${TRANSPORT}\nstate_path = ${this.state()}\n` +
      `[agent]\nreport_interval = 30\n[oslo_concurrency]\nlock_path = ${this.dir}/lock\n`);
    const lbIni = join(this.dir, 'linuxbridge_agent.ini');
    writeFileSync(lbIni, `[linux_bridge]\nphysical_interface_mappings = physnet1:nu-phys0\n` +
      `[vxlan]\nenable_vxlan = True\nlocal_ip = 172.31.253.1\nl2_population = False\n` +
      `[securitygroup]\nenable_security_group = True\nfirewall_driver = iptables\n[agent]\npolling_interval = 2\n`);
    // the harness's dhcp_agent.ini settings, as the Python node runs them
    const dhcpIni = join(this.dir, 'dhcp_agent.ini');
    writeFileSync(dhcpIni, `[DEFAULT]\ninterface_driver = linuxbridge\ndhcp_driver = neutron.agent.linux.dhcp.Dnsmasq\nenable_isolated_metadata = True\n`);
    this.lbFiles = [conf, lbIni];
    this.dhcpFiles = [conf, dhcpIni];
    this.lb = this.node.spawnInside([process.execPath, join(REPO, 'dist/agents/linuxbridge/main.js'), ...this.lbFiles.flatMap((f) => ['--config-file', f])]);
    this.spawnDhcp();
    const until = Date.now() + 30_000;
    for (const p of [this.lb, this.dhcp!]) await this.waitLog(p, (j) => j['msg'] === 'registered with neutron-server', until, 'registration');
  }

  private spawnDhcp(): number {
    checkAbort();
    const launch = Date.now();
    this.dhcp = this.node!.spawnInside([process.execPath, join(REPO, 'dist/agents/dhcp/main.js'), ...this.dhcpFiles.flatMap((f) => ['--config-file', f])]);
    this.dhcpLogs.push(this.dhcp.log.lines);
    return launch;
  }

  private async waitLog(p: SpawnedProcess, pred: (j: Record<string, unknown>) => boolean, until: number, what: string): Promise<void> {
    for (;;) {
      checkAbort();
      if (p.log.json.some(pred)) return;
      const why = this.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`nucleon: no ${what} log line in time (last: ${p.log.lines.slice(-3).join(' | ')})`);
      await sleep(50);
    }
  }

  dhcpPid(): number | undefined { return this.dhcp?.pid; }

  failed(): string | undefined {
    for (const [name, p] of [['linuxbridge', this.lb], ['dhcp', this.dhcp]] as const) {
      const c = p?.child;
      if (c && (c.exitCode !== null || c.signalCode !== null)) return `nucleon ${name} agent exited (${c.exitCode ?? c.signalCode}): ${p!.log.lines.slice(-5).join(' | ')}`;
    }
    return undefined;
  }

  async stopDhcp(): Promise<number> {
    const t = Date.now();
    await this.node!.stopProcess(this.dhcp!, STOP_GRACE_MS);
    return Date.now() - t;
  }

  async relaunch(): Promise<number> { return this.spawnDhcp(); }

  syncMark(launch: number): number | undefined {
    // The start-up sync is served in slices; "sync complete" is written when the last is done.
    const j = this.dhcp?.log.json.find((l) => l['msg'] === 'sync complete');
    if (!j) return undefined;
    const t = typeof j['time'] === 'number' ? j['time'] : Date.parse(String(j['time']));
    return t - launch;
  }

  async teardown(): Promise<void> {
    for (const p of [this.dhcp, this.lb]) if (p) await this.node?.stopProcess(p, STOP_GRACE_MS);
    const keep = process.env['NUCLEON_BENCH_LOG'];
    if (keep) writeFileSync(keep, this.dhcpLogs.map((l) => l.join('\n')).join('\n') + '\n');
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
  readonly paths = pythonNodePaths(this.host);
  private logOffset = 0;

  state(): string { return join(this.paths.state, 'state'); }

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await startPythonAgents({ host: this.host, launchFile: 'dhcp.launch', logs: this.paths.logs, failed: () => this.failed(), checkAbort });
  }

  dhcpPid(): number | undefined { return readPidFile(this.host, 'dhcp.pid'); }

  failed(): string | undefined {
    return pythonAgentsFailed(this.host, ['linuxbridge', 'dhcp'], this.paths.logs);
  }

  stopDhcp(): Promise<number> {
    return stopPythonAgent({ host: this.host, agent: 'dhcp', nodeConf: this.paths.nodeConf, graceMs: STOP_GRACE_MS });
  }

  async relaunch(): Promise<number> {
    const logFile = join(this.paths.logs, 'dhcp.log');
    this.logOffset = existsSync(logFile) ? readFileSync(logFile).length : 0;
    return relaunchPythonAgent(this.host, 'dhcp', checkAbort);
  }

  syncMark(launch: number): number | undefined {
    const logFile = join(this.paths.logs, 'dhcp.log');
    if (!existsSync(logFile)) return undefined;
    const m = PY_SYNC.exec(readFileSync(logFile).subarray(this.logOffset).toString('utf8'));
    return m ? osloLogTime(m) - launch : undefined;
  }

  async teardown(): Promise<void> {
    if (!this.started) return;
    const down = harness(['down', '--python-agents-only'], this.host);
    if ((await down.done) !== 0) console.error(`harness down failed: ${down.output.slice(-10).join(' | ')}`);
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
  for (const n of all) {
    const ns = `qdhcp-${n}`;
    const pids = await run('ip', ['netns', 'pids', ns]).then((o) => o.stdout.split('\n').filter(Boolean).map(Number), () => [] as number[]);
    for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
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
    try { r.lease.push(await leaseRun(side, leaseNet, until(40_000))); } catch (e) { if (aborted) throw e; r.errors.push(`lease run ${i + 1}: ${e instanceof Error ? e.message : String(e)}`); }
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
  for (const n of nets) {
    const ns = `qdhcp-${n}`;
    const pids = await run('ip', ['netns', 'pids', ns]).then((o) => o.stdout.split('\n').filter(Boolean).map(Number), () => [] as number[]);
    for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
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
const sec = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const mb = (kb?: number) => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);
function ratio(py?: number, nu?: number): string {
  if (py === undefined || !nu) return '-';
  const x = py / nu;
  return `${x.toFixed(x < 10 ? 1 : 0)}x`;
}

function report(nu: SideResult, py: SideResult): void {
  const rows: string[][] = [];
  const add = (label: string, n?: number, p?: number, fmt = sec) => rows.push([label, fmt(n), fmt(p), ratio(p, n)]);
  add(`port create -> lease (median of ${LEASE_RUNS})`, median(nu.lease), median(py.lease));
  rows.push(['  runs', nu.lease.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', py.lease.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', '']);
  add(`start-up: first of ${N + 1} dnsmasq up`, nu.firstMs, py.firstMs);
  add(`start-up: all ${N + 1} dnsmasq up`, nu.startupMs, py.startupMs);
  add('start-up: agent\'s "sync done" mark', nu.syncLogMs, py.syncLogMs);
  add(`RSS agent tree, ${N + 1} networks`, nu.rss?.rssKb, py.rss?.rssKb, mb);
  rows.push(['  processes in the tree', String(nu.rss?.procs ?? '-'), String(py.rss?.procs ?? '-'), '']);
  add('RSS dnsmasq per network (median)', nu.dnsmasqKb, py.dnsmasqKb, mb);
  add('RSS haproxy per network (median)', nu.haproxyKb, py.haproxyKb, mb);
  console.log(formatTable(['dhcp agent', 'nucleon', 'python', 'python/nucleon'], rows));
  console.log([
    `port->lease: from POST /ports to udhcpc bound with the port's IP (VM plugged as soon as the port exists; DISCOVER every 1 s);`,
    `  port_security_enabled=false, VXLAN network, one DHCP subnet, network scheduled to the side's DHCP agent explicitly.`,
    `start-up: DHCP agent stopped (SIGTERM -> exit ${sec(nu.stopMs)} / ${sec(py.stopMs)}), its dnsmasq/haproxy stopped and qdhcp namespaces`,
    `  deleted, relaunched; times from the launch to a live dnsmasq (pid file + process) for every network, polled every ${POLL_MS} ms;`,
    `  "sync done": nucleon = its "sync complete" log line (last slice of the start-up sync), python = "Synchronizing state complete".`,
    `RSS: VmRSS of the DHCP agent + descendants + its process group (python: privsep daemons) without dnsmasq/haproxy,`,
    `  ${SETTLE_MS / 1000} s after the start-up sync; dnsmasq/haproxy: median VmRSS of one per network (enable_isolated_metadata on both sides).`,
    `1-min load average at the start of each side: nucleon ${nu.load?.toFixed(1) ?? '-'}, python ${py.load?.toFixed(1) ?? '-'} (${cpus().length} CPUs).`,
  ].join('\n'));
  for (const [label, r] of [['nucleon', nu], ['python', py]] as const) {
    for (const [when, stray] of [['after the first serve', r.strayFirst], ['after the start-up sync', r.strayAfter]] as const) {
      if (stray && stray.length > 0) console.log(`${label} WARNING: ${stray.length} dnsmasq not in their qdhcp namespace ${when} (they answer nobody): ${stray.join(' ')}`);
    }
    for (const e of r.errors) console.log(`${label} FAILED: ${e}`);
  }
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const started = Date.now();
  const deadline = started + WATCHDOG_MS - CLEANUP_RESERVE_MS;
  for (const f of ['dist/agents/linuxbridge/main.js', 'dist/agents/dhcp/main.js']) if (!existsSync(join(REPO, f))) throw new Error(`${f} missing: npm run build`);
  await agents(['none']).catch((e: unknown) => { throw new Error(`neutron-server API ${API} not reachable (test/harness/neutron-server.sh up): ${String(e)}`); });
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { lease: [], errors: [] };
  const py: SideResult = { lease: [], errors: [] };
  let reported = false;
  const printReport = () => { if (!reported) { reported = true; report(nu, py); } };
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    for (const side of [nuSide, pySide] as Side[]) await teardownSide(side).catch((e: unknown) => console.error(`${side.label} cleanup: ${String(e)}`));
    nuSide.removeDir();
    if (createdPorts.size > 0 || createdNetworks.size > 0) console.error(`left behind: ports ${[...createdPorts].join(' ') || '-'} networks ${[...createdNetworks].join(' ') || '-'}`);
  })());
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
    console.log(`nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; bench VMs ${nuSide.vmNs}, ${pySide.vmNs}`);
    // NUCLEON_BENCH_ONLY=nucleon|python: one side only
    const only = process.env['NUCLEON_BENCH_ONLY'];
    for (const [side, r] of [[nuSide, nu], [pySide, py]] as const) {
      if (only && only !== side.label) continue;
      if (aborted !== undefined) break;
      try {
        await runSide(side, r, deadline);
      } catch (e) {
        r.errors.push(e instanceof Error ? e.message : String(e));
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
    else console.error(`Python agent logs: ${logs}`);
    console.log(`dhcp bench done in ${((Date.now() - started) / 1000).toFixed(0)} s (cleaned up)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
