/**
 * L3 agents (legacy routers), side by side: nucleon-l3-agent + nucleon-linuxbridge-agent vs
 * Debian's neutron-l3-agent + neutron-linuxbridge-agent on the harness neutron-server, in one
 * run, one after the other (nucleon, then Python), never both at once.
 *
 *   interface add  a router with its gateway on a flat external network (198.51.100.0/24, the
 *                  external side 198.51.100.1 is the `-ext0` end of the physnet veth, in the
 *                  node namespace on both sides: the harness's Python node layout), scheduled
 *                  explicitly to the side's L3 agent (POST /v2.0/agents/<id>/l3-routers, before
 *                  the gateway is set so the auto-scheduler picks no other agent); a "VM"
 *                  (port_security_enabled false, static 10.130.0.11/24, default route via
 *                  10.130.0.1) plugged beforehand as os-vif does. A continuous `ping -D -i 0.1`
 *                  from the VM to 198.51.100.1 runs from before the clock starts; the clock
 *                  starts just before PUT /routers/<id>/add_router_interface and stops at the
 *                  kernel receive timestamp (-D) of the first echo reply with RTT <= 1 s. This is
 *                  the L3 agent (qr- device, addresses, SNAT) plus the L2 agent enslaving the
 *                  router's tap (polling_interval 2 on both sides). Median of 3; between runs
 *                  the interface is removed and `ping -c1 -W1` must fail twice in a row; the VM's
 *                  neighbour cache is flushed before each run (a new qr- port has a new MAC).
 *   FIP associate  an unassociated floating IP; clock from just before PUT /floatingips/<id>
 *                  with the VM's port to the first reply of a continuous `ping -D -i 0.1` from
 *                  the external side to the floating IP (RTT <= 1 s). Median of 3; between runs
 *                  the port is disassociated and traffic must stop; the external side's
 *                  neighbour entries on its -ext0 are flushed before each run.
 *   start-up       20 more routers (the first one is deleted before), each on a tenant network of
 *                  its own (created once, used by both sides): created and scheduled while the L3
 *                  agent runs (router_added_to_agent is a call), then the agent is stopped
 *                  (SIGTERM, wait for the exit), each router's gateway and interface are set, and,
 *                  as after a node reboot, the routers' haproxy is stopped (pid files) and their
 *                  qrouter namespaces deleted; the agent is launched again and the kernel polled
 *                  (every 100 ms, pending routers only) until each router's namespace has its qg-
 *                  device with the gateway address and an SNAT rule to it in its nat table. Same
 *                  criterion on both sides; a side that is not done by the deadline prints a lower
 *                  bound with the count ready. Also printed: the agent's own mark (nucleon: its last
 *                  "router served" log line for the 20; Python: its last "Finished a router update
 *                  for <id>" line for the 20).
 *   RSS            VmRSS of the L3 agent's process tree (process, descendants, its process
 *                  group: Python's privsep daemons) without haproxy, 5 s after the start-up
 *                  sync with the 20 routers; haproxy per router apart (median over the 20).
 *
 * nucleon: TestNode "<prefix>-lnu" (host of the same name) with nu-phys0 <-> nu-ext0 as its
 * physnet veth, mapped to a physnet of this run's own when the server accepts any flat physnet
 * name (else physnet1). Python: the harness node "<prefix>-lpy" (`neutron-server.sh up
 * --python-agents-only`, NUCLEON_PY_NODE; physnet1 on py-phys0 <-> py-ext0; its DHCP and
 * metadata agents run too). A physnet carries one flat network: when the name is refused or
 * taken (a leftover external network of another run may hold physnet1), the side's external
 * network is VXLAN instead, and the bench plugs a veth of its own (l3x-phys, os-vif style) into
 * that network's bridge, the external address on its peer l3x-ext in the node namespace: the
 * same path to the router's qg- port. The kind used is printed. Routers a server auto-schedules
 * to our agents (unhosted ones of other runs) are served by them too; only their haproxy (under
 * our state_path) is stopped by us, their namespaces are left alone (the harness's `down` removes
 * what the Python agents hosted). Routers are created in a project of this run's own whose router
 * quota is raised for the run and reset at the end.
 * Both L3 agents: interface_driver linuxbridge, agent_mode legacy, metadata proxy on (one
 * haproxy per router). Everything created (floating IPs, router interfaces, gateways, routers,
 * ports, networks; namespaces incl. the qrouter-* of our routers; haproxy by pid file;
 * processes by PID; agent rows) is removed at the end, on failure and on SIGINT/SIGTERM; a
 * watchdog bounds the run. Only prints: there is no timed assertion.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { AbortFlag } from './lib/abort.js';
import { ApiError, api, apiDelete, agents, deleteAgentRows } from './lib/api.js';
import { preflight, runBenchMain, runMain } from './lib/bench-main.js';
import {
  addUplinks, exitedWhy, keepNucleonLog, logTime, spawnAgent, timedStop, waitRegistered, writeLinuxbridgeIni, writeNeutronConf,
} from './lib/nucleon-node.js';
import { osloLogTime, pythonAgentsDown, PythonNodeAgent } from './lib/python-node.js';
import { pidAlive, vmRssKb } from './lib/proc.js';
import { loadText, mb, printOutcomes, ratio, runsText, sec, SideBySideTable } from './lib/report.js';
import { mapLimit, median, sleep } from './lib/util.js';
import { bridgeOf, tapOf } from './lib/vif.js';
import { agentTreeRssNoProxy, deleteRouterNamespaces, Pinger, pingOnce, plugStaticVm, routerHaproxyPid, routerStage, stopAllProxies, stopRouterProxies } from './lib/l3.js';

const run = promisify(execFile);
const N = 20;
const RUNS = 3;
const POLL_MS = 100;
const SETTLE_MS = 5000;
const API_CONCURRENCY = 8;
const EXT_IP = '198.51.100.1';
const VM_IP = '10.130.0.11';
const WATCHDOG_MS = 540_000;       // then the run winds down and cleans up (< 10 min in all)
const CLEANUP_RESERVE_MS = 45_000; // measurement deadlines stop this long before the watchdog
const NUCLEON_SHARE_MS = 210_000;  // the nucleon side may not use more, so Python gets its turn
const WIND_DOWN_MS = 25_000;
const STOP_GRACE_MS = 15_000;

interface SideResult {
  ifaceAdd: number[];
  fipAssoc: number[];
  /** routers created -> all 20 wired (not a measurement of its own: printed for context) */
  initialMs?: number;
  stopMs?: number;
  firstMs?: number;
  startupMs?: number;
  /** not all ready when the deadline came: this long after the launch */
  startupAtLeastMs?: number;
  ready?: number;
  syncLogMs?: number;
  rss?: { rssKb: number; procs: number; names: string };
  haproxyKb?: number;
  haproxies?: number;
  extKind?: string;
  load?: number;
  errors: string[];
}

interface Side {
  label: 'nucleon' | 'python';
  tag: string;
  host: string;
  nodeNs: string;
  vmNs: string;
  /** the node end of the physnet veth, carrying the external side's address (flat external network) */
  extDev: string;
  /** the physnet end of that veth (in physical_interface_mappings) */
  physDev: string;
  /** the flat physnet names to try, in order */
  physnets(): string[];
  /** the L3 agent's state_path */
  state(): string;
  /** `physnet`: the flat physnet of the external network, if it is one */
  start(physnet: string | undefined): Promise<void>;
  l3Pid(): number | undefined;
  failed(): string | undefined;
  stopL3(): Promise<number>;
  relaunchL3(): Promise<number>;
  /** ms from `launch` to the agent's own "served" mark for all `ids`, once all are there. */
  syncMark(launch: number, ids: string[]): number | undefined;
  teardown(): Promise<void>;
}

// ------------------------------------------------------------------ shared state (for cleanup)
const prefix = runPrefix();
/** A project of this run's own: its router quota is raised for the N routers and reset at the end. */
const PROJECT = `nucleon-bench-${prefix}`;
let quotaSet = false;
const createdFips = new Set<string>();
/** router id -> subnets attached as interfaces */
const createdRouters = new Map<string, Set<string>>();
const createdPorts = new Set<string>();
/** this side's networks (the external one), deleted with the side */
const createdNetworks: string[] = [];
/** tenant networks both sides use (the VM's, one per start-up router): deleted at the very end */
const sharedNetworks: string[] = [];
let vmNet: { net: string; subnet: string } | undefined;
const routerNets: Array<{ net: string; subnet: string }> = [];
const vmNamespaces = new Set<string>();
/** every router given to a side in this run (kept past deletion, for leftovers) */
const sideRouters = new Map<string, Set<string>>();
/** Set by SIGINT/SIGTERM/watchdog (runBenchMain): every loop and every step that creates something checks it. */
const abort = new AbortFlag();
const checkAbort = abort.check;
const routersOf = (side: Side) => { let s = sideRouters.get(side.label); if (!s) sideRouters.set(side.label, (s = new Set())); return s; };
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ------------------------------------------------------------------ API resources
async function l3AgentId(host: string, until: number): Promise<string> {
  for (;;) {
    checkAbort();
    const rows = await agents([host]).catch(() => []);
    const a = rows.find((r) => r.agent_type === 'L3 agent' && r.alive);
    if (a) return a.id;
    if (Date.now() > until) throw new Error(`no alive L3 agent row for ${host}`);
    await sleep(250);
  }
}

/**
 * The external network + subnet: flat on the first physnet the server accepts; when every
 * name is refused or taken (a physnet carries one flat network, and a leftover of another
 * run may hold physnet1), a VXLAN external network whose bridge the bench plugs the
 * physnet veth into (as os-vif plugs a VM), so the external side is reached the same way.
 */
async function createExtNetwork(side: Side): Promise<{ id: string; kind: string }> {
  const attempts: Array<Record<string, unknown>> = [
    ...side.physnets().map((p) => ({ 'provider:network_type': 'flat', 'provider:physical_network': p })),
    { 'provider:network_type': 'vxlan' },
  ];
  for (const provider of attempts) {
    checkAbort();
    let id: string;
    try {
      const n = await api<{ network: { id: string } }>('/networks', 'POST', {
        network: { name: `${prefix}-l3-${side.tag}-ext`, project_id: PROJECT, 'router:external': true, ...provider },
      });
      id = n.network.id;
    } catch (e) {
      if (e instanceof ApiError && (e.status === 400 || e.status === 409) && provider['provider:network_type'] === 'flat') continue;
      throw e;
    }
    createdNetworks.push(id);
    await api('/subnets', 'POST', {
      subnet: { network_id: id, ip_version: 4, cidr: '198.51.100.0/24', gateway_ip: EXT_IP, enable_dhcp: false, project_id: PROJECT, allocation_pools: [{ start: '198.51.100.100', end: '198.51.100.200' }] },
    });
    const kind = provider['provider:network_type'] === 'flat' ? `flat ${String(provider['provider:physical_network'])}` : 'vxlan';
    return { id, kind };
  }
  throw new Error('no external network could be created');
}

async function createTenantNetwork(name: string, cidr: string, gateway: string): Promise<{ net: string; subnet: string }> {
  checkAbort();
  const n = await api<{ network: { id: string } }>('/networks', 'POST', { network: { name, project_id: PROJECT, 'provider:network_type': 'vxlan' } });
  sharedNetworks.push(n.network.id);
  const s = await api<{ subnet: { id: string } }>('/subnets', 'POST', { subnet: { network_id: n.network.id, ip_version: 4, cidr, gateway_ip: gateway, enable_dhcp: false, project_id: PROJECT } });
  return { net: n.network.id, subnet: s.subnet.id };
}

/** Hosts `router` on `agentId` only (another agent that grabbed it meanwhile gives it up). */
async function scheduleRouter(router: string, agentId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await api(`/agents/${agentId}/l3-routers`, 'POST', { router_id: router });
      return;
    } catch (e) {
      const hosts = (await api<{ agents: Array<{ id: string }> }>(`/routers/${router}/l3-agents`)).agents.map((a) => a.id);
      if (hosts.length === 1 && hosts[0] === agentId) return;
      if (attempt >= 2) throw e;
      for (const h of hosts) if (h !== agentId) await api(`/agents/${h}/l3-routers/${router}`, 'DELETE').catch(() => undefined);
    }
  }
}

/** Router without gateway -> scheduled to the agent. */
async function createRouter(side: Side, name: string, agentId: string): Promise<string> {
  checkAbort();
  const r = await api<{ router: { id: string } }>('/routers', 'POST', { router: { name, project_id: PROJECT } });
  const id = r.router.id;
  createdRouters.set(id, new Set());
  routersOf(side).add(id);
  await scheduleRouter(id, agentId);
  return id;
}

/** Sets the router's gateway; returns its address. */
async function setGateway(router: string, extNet: string): Promise<string> {
  const g = await api<{ router: { external_gateway_info: { external_fixed_ips: Array<{ ip_address: string }> } } }>(`/routers/${router}`, 'PUT', { router: { external_gateway_info: { network_id: extNet } } });
  return g.router.external_gateway_info.external_fixed_ips[0]!.ip_address;
}

async function addInterface(router: string, subnet: string): Promise<void> {
  createdRouters.get(router)?.add(subnet);
  await api(`/routers/${router}/add_router_interface`, 'PUT', { subnet_id: subnet });
}

async function removeInterface(router: string, subnet: string): Promise<void> {
  await api(`/routers/${router}/remove_router_interface`, 'PUT', { subnet_id: subnet });
  createdRouters.get(router)?.delete(subnet);
}

/** Interfaces off (by subnet, then any left by port), router deleted (its gateway goes with it). */
async function deleteRouter(id: string): Promise<void> {
  for (const s of [...(createdRouters.get(id) ?? [])]) await removeInterface(id, s).catch(() => undefined);
  if (await apiDelete(`/routers/${id}`)) { createdRouters.delete(id); return; }
  const ports = await api<{ ports: Array<{ id: string }> }>(`/ports?device_id=${id}&device_owner=network:router_interface&fields=id`).catch(() => ({ ports: [] }));
  for (const p of ports.ports) await api(`/routers/${id}/remove_router_interface`, 'PUT', { port_id: p.id }).catch(() => undefined);
  if (await apiDelete(`/routers/${id}`)) createdRouters.delete(id);
}

/** Floating IPs, routers, ports, networks (reverse creation order): everything still recorded. */
async function deleteApiResources(): Promise<void> {
  for (const f of [...createdFips]) if (await apiDelete(`/floatingips/${f}`)) createdFips.delete(f);
  await mapLimit([...createdRouters.keys()], API_CONCURRENCY, deleteRouter);
  for (const p of [...createdPorts]) if (await apiDelete(`/ports/${p}`)) createdPorts.delete(p);
  for (const n of [...createdNetworks]) if (await apiDelete(`/networks/${n}`)) createdNetworks.splice(createdNetworks.indexOf(n), 1);
}

async function deleteSharedNetworks(): Promise<void> {
  const gone = new Set<string>();
  await mapLimit([...sharedNetworks], API_CONCURRENCY, async (n) => { if (await apiDelete(`/networks/${n}`)) gone.add(n); });
  for (const n of gone) sharedNetworks.splice(sharedNetworks.indexOf(n), 1);
}

// ------------------------------------------------------------------ kernel waits
async function waitReady(side: Side, routers: Map<string, string>, until: number, onFirst?: (t: number) => void): Promise<{ at?: number; ready: number }> {
  const pending = new Map(routers);
  for (;;) {
    checkAbort();
    const why = side.failed();
    if (why) throw new Error(why);
    const t = Date.now();
    for (const [id, gw] of [...pending]) {
      if ((await routerStage(id, gw)) === 3) {
        pending.delete(id);
        if (onFirst) { onFirst(Date.now()); onFirst = undefined; }
      }
    }
    const now = Date.now();
    if (pending.size === 0) return { at: now, ready: routers.size };
    if (now > until) return { ready: routers.size - pending.size };
    await sleep(Math.max(0, POLL_MS - (now - t)));
  }
}

/** `ping -c1 -W1` from `ns` to `ip` fails twice in a row. */
async function waitTrafficStops(side: Side, ns: string, ip: string, until: number): Promise<void> {
  let misses = 0;
  while (misses < 2) {
    checkAbort();
    if (Date.now() > until) throw new Error(`traffic ${ns} -> ${ip} did not stop in time`);
    if (await pingOnce(ns, ip)) { misses = 0; await sleep(200); } else misses++;
    const why = side.failed();
    if (why) throw new Error(why);
  }
}

/** Starts a pinger, runs `act` (the clock starts just before it), returns ms to the first reply. */
async function timeToFirstReply(side: Side, ns: string, ip: string, act: () => Promise<unknown>, until: number): Promise<number> {
  const p = new Pinger(ns, ip, POLL_MS, 1000);
  let reply: number | undefined;
  let ended = false;
  void p.firstReply.then((v) => { reply = v; ended = true; });
  try {
    await sleep(300); // ping is up and sending (nothing can answer yet)
    if (ended) throw new Error(`ping ${ns} -> ${ip} ${reply === undefined ? 'exited' : 'answered before the change'}`);
    const t0 = Date.now();
    await act();
    while (!ended) {
      checkAbort();
      const why = side.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`no reply ${ns} -> ${ip} within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      await sleep(20);
    }
    if (reply === undefined) throw new Error(`ping ${ns} -> ${ip} exited`);
    return reply - t0;
  } finally {
    p.stop();
  }
}

// ------------------------------------------------------------------ nucleon side
class NucleonSide implements Side {
  readonly label = 'nucleon' as const;
  readonly tag = 'nu';
  readonly host = `${prefix}-lnu`;
  readonly nodeNs = `${prefix}-lnu`;
  readonly vmNs = `${prefix}-lvnu`;
  readonly extDev = 'nu-ext0';
  readonly physDev = 'nu-phys0';
  private node: TestNode | undefined;
  private lb: SpawnedProcess | undefined;
  private l3: SpawnedProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nucleon-l3-bench-'));
  private lbFiles: string[] = [];
  private l3Files: string[] = [];

  physnets(): string[] { return [`${prefix}-l3phys`, 'physnet1']; }
  state(): string { return join(this.dir, 'state'); }

  async start(physnet: string | undefined): Promise<void> {
    checkAbort();
    this.node = await TestNode.create(this.nodeNs);
    await addUplinks(this.node, this.extDev);
    // state_path <dir>/state = this.state(): where the bench finds the routers' haproxy pid files
    const conf = writeNeutronConf(this.dir, this.host);
    const lbIni = writeLinuxbridgeIni(this.dir, physnet);
    // the harness's l3_agent.ini, as the Python node runs it
    const l3Ini = join(this.dir, 'l3_agent.ini');
    writeFileSync(l3Ini, `[DEFAULT]\ninterface_driver = linuxbridge\nagent_mode = legacy\n`);
    this.lbFiles = [conf, lbIni];
    this.l3Files = [conf, l3Ini];
    this.lb = spawnAgent(this.node, 'linuxbridge', this.lbFiles);
    this.spawnL3();
    await waitRegistered([this.lb, this.l3!], { timeoutMs: 30_000, failed: () => this.failed(), checkAbort });
  }

  private spawnL3(): number {
    checkAbort();
    const launch = Date.now();
    this.l3 = spawnAgent(this.node!, 'l3', this.l3Files);
    return launch;
  }

  l3Pid(): number | undefined { return this.l3?.pid; }

  failed(): string | undefined {
    return exitedWhy('nucleon linuxbridge agent', this.lb) ?? exitedWhy('nucleon l3 agent', this.l3);
  }

  stopL3(): Promise<number> { return timedStop(this.node!, this.l3!, STOP_GRACE_MS); }

  async relaunchL3(): Promise<number> { return this.spawnL3(); }

  syncMark(launch: number, ids: string[]): number | undefined {
    const want = new Set(ids);
    let last = 0;
    for (const j of this.l3?.log.json ?? []) {
      if (j['msg'] !== 'router served' || !want.has(String(j['router_id']))) continue;
      want.delete(String(j['router_id']));
      last = Math.max(last, logTime(j));
    }
    return want.size === 0 ? last - launch : undefined;
  }

  async teardown(): Promise<void> {
    for (const p of [this.l3, this.lb]) if (p) await this.node?.stopProcess(p, STOP_GRACE_MS);
    if (this.l3) keepNucleonLog(this.l3.log.lines);
    await this.node?.cleanup();
    this.node = undefined;
  }

  removeDir(): void { rmSync(this.dir, { recursive: true, force: true }); }
}

// ------------------------------------------------------------------ Python side
const PY_DONE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) \d+ INFO \S+ \[[^\]]*\] Finished a router update for ([0-9a-f-]{36}),/;

class PythonSide implements Side {
  readonly label = 'python' as const;
  readonly tag = 'py';
  readonly host = `${prefix}-lpy`;
  readonly nodeNs = `${prefix}-lpy`;
  readonly vmNs = `${prefix}-lvpy`;
  readonly extDev = 'py-ext0';
  readonly physDev = 'py-phys0';
  started = false;
  private readonly l3 = new PythonNodeAgent({ host: this.host, agent: 'l3', needs: ['linuxbridge'], graceMs: STOP_GRACE_MS, checkAbort });

  physnets(): string[] { return ['physnet1']; }
  state(): string { return join(this.l3.paths.state, 'state'); }

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await this.l3.start();
  }

  l3Pid(): number | undefined { return this.l3.pid(); }
  failed(): string | undefined { return this.l3.failed(); }
  stopL3(): Promise<number> { return this.l3.stop(); }
  relaunchL3(): Promise<number> { return this.l3.relaunch(); }

  syncMark(launch: number, ids: string[]): number | undefined {
    const want = new Set(ids);
    let last = 0;
    for (const l of this.l3.logSinceRelaunch().split('\n')) {
      const m = PY_DONE.exec(l);
      if (!m || !want.has(m[8]!)) continue;
      want.delete(m[8]!);
      last = Math.max(last, osloLogTime(m));
    }
    return want.size === 0 ? last - launch : undefined;
  }

  async teardown(): Promise<void> {
    if (!this.started) return;
    // The L3 agent first, by PID: `down` lists a busy agent's process group while its
    // short-lived children come and go, and can stop half-way when one has just exited.
    const pid = this.l3Pid();
    if (pid !== undefined && pidAlive(pid)) await this.stopL3().catch((e: unknown) => console.error(`python l3 stop: ${msg(e)}`));
    if (await pythonAgentsDown(this.host, 2)) this.started = false;
  }
}

// ------------------------------------------------------------------ one side
async function runSide(side: Side, r: SideResult, deadline: number): Promise<void> {
  const until = (ms: number) => Math.min(deadline, Date.now() + ms);
  r.load = loadavg()[0];
  if (!quotaSet) {
    quotaSet = true;
    await api(`/quotas/${PROJECT}`, 'PUT', { quota: { router: N + 5, network: N + 10, subnet: N + 10, port: 10 * N, floatingip: 10 } });
  }
  const ext = await createExtNetwork(side);
  r.extKind = ext.kind;
  await side.start(ext.kind.startsWith('flat ') ? ext.kind.slice(5) : undefined);
  // the external side: the node end of the physnet veth
  // (VXLAN external network: a veth of our own, not the physnet one, which the L2 agent may
  // give to a flat physnet1 network of a router the server auto-schedules to this agent)
  const extDev = ext.kind === 'vxlan' ? 'l3x-ext' : side.extDev;
  if (ext.kind === 'vxlan') {
    // os-vif style: the bridge created if missing, our end enslaved and up
    const br = bridgeOf(ext.id);
    await run('ip', ['-n', side.nodeNs, 'link', 'add', 'l3x-phys', 'type', 'veth', 'peer', 'name', extDev]);
    await run('ip', ['-n', side.nodeNs, 'link', 'add', br, 'type', 'bridge']).catch(() => undefined);
    await run('ip', ['-n', side.nodeNs, 'link', 'set', br, 'up']);
    await run('ip', ['-n', side.nodeNs, 'link', 'set', 'l3x-phys', 'master', br, 'up']);
  }
  await run('ip', ['-n', side.nodeNs, 'addr', 'replace', `${EXT_IP}/24`, 'dev', extDev]);
  await run('ip', ['-n', side.nodeNs, 'link', 'set', extDev, 'up']);
  const agentId = await l3AgentId(side.host, until(60_000));

  // ---- interface add / floating IP associate: one router, one VM
  vmNet ??= await createTenantNetwork(`${prefix}-l3-vm`, '10.130.0.0/24', '10.130.0.1');
  const t = vmNet;
  const router = { id: await createRouter(side, `${prefix}-l3-${side.tag}-r`, agentId), gwIp: '' };
  router.gwIp = await setGateway(router.id, ext.id);
  const p = await api<{ port: { id: string; mac_address: string } }>('/ports', 'POST', {
    port: { name: `${prefix}-l3-${side.tag}-vm`, network_id: t.net, project_id: PROJECT, 'binding:host_id': side.host, device_owner: 'compute:nova', device_id: randomUUID(), port_security_enabled: false, fixed_ips: [{ subnet_id: t.subnet, ip_address: VM_IP }] },
  });
  createdPorts.add(p.port.id);
  vmNamespaces.add(side.vmNs);
  await plugStaticVm(side.nodeNs, side.vmNs, { id: p.port.id, mac: p.port.mac_address, networkId: t.net }, `${VM_IP}/24`, '10.130.0.1');
  const w = await waitReady(side, new Map([[router.id, router.gwIp]]), until(90_000));
  if (w.at === undefined) throw new Error('first router: gateway + SNAT not in place in time');

  for (let i = 0; i < RUNS; i++) {
    try {
      if (i > 0) {
        await removeInterface(router.id, t.subnet);
        await waitTrafficStops(side, side.vmNs, EXT_IP, until(40_000));
      }
      await run('ip', ['-n', side.vmNs, 'neigh', 'flush', 'all']);
      r.ifaceAdd.push(await timeToFirstReply(side, side.vmNs, EXT_IP, () => addInterface(router.id, t.subnet), until(30_000)));
    } catch (e) {
      if (abort.aborted || side.failed()) throw e;
      r.errors.push(`interface add run ${i + 1}: ${msg(e)} (later runs skipped)`);
      break;
    }
  }
  // the interface must be there for the floating IP
  if (!createdRouters.get(router.id)?.has(t.subnet)) await addInterface(router.id, t.subnet);

  const f = await api<{ floatingip: { id: string; floating_ip_address: string } }>('/floatingips', 'POST', { floatingip: { floating_network_id: ext.id, project_id: PROJECT } });
  createdFips.add(f.floatingip.id);
  const fip = f.floatingip.floating_ip_address;
  for (let i = 0; i < RUNS; i++) {
    try {
      if (i > 0) {
        await api(`/floatingips/${f.floatingip.id}`, 'PUT', { floatingip: { port_id: null } });
        await waitTrafficStops(side, side.nodeNs, fip, until(40_000));
      }
      await run('ip', ['-n', side.nodeNs, 'neigh', 'flush', 'dev', extDev]);
      r.fipAssoc.push(await timeToFirstReply(side, side.nodeNs, fip, () => api(`/floatingips/${f.floatingip.id}`, 'PUT', { floatingip: { port_id: p.port.id } }), until(30_000)));
    } catch (e) {
      if (abort.aborted || side.failed()) throw e;
      r.errors.push(`floating IP run ${i + 1}: ${msg(e)} (later runs skipped)`);
      break;
    }
  }
  // this router, its VM and network go before the start-up measurement
  if (await apiDelete(`/floatingips/${f.floatingip.id}`)) createdFips.delete(f.floatingip.id);
  await deleteRouter(router.id);
  await run('ip', ['-n', side.nodeNs, 'link', 'del', tapOf(p.port.id)]).catch(() => undefined);
  if (vmNamespaces.delete(side.vmNs)) await run('ip', ['netns', 'del', side.vmNs]).catch(() => undefined);
  if (await apiDelete(`/ports/${p.port.id}`)) createdPorts.delete(p.port.id);

  // ---- start-up sync of N routers
  checkAbort();
  if (routerNets.length === 0) {
    routerNets.push(...await mapLimit(Array.from({ length: N }, (_, i) => i), API_CONCURRENCY, (i) => createTenantNetwork(`${prefix}-l3-${i}`, `10.131.${i}.0/24`, `10.131.${i}.1`)));
  }
  // routers scheduled while the agent runs (router_added_to_agent is a call), then gateway
  // and interface set while it is stopped, then the kernel cleaned as after a node reboot
  const tc = Date.now();
  const rs = await mapLimit(routerNets, API_CONCURRENCY, (_tn, i) => createRouter(side, `${prefix}-l3-${side.tag}-r${i}`, agentId));
  r.stopMs = await side.stopL3();
  const gws = await mapLimit(rs, API_CONCURRENCY, async (x, i) => {
    checkAbort();
    const ip = await setGateway(x, ext.id);
    await addInterface(x, routerNets[i]!.subnet);
    return ip;
  });
  r.initialMs = Date.now() - tc;
  const gw = new Map(rs.map((x, i) => [x, gws[i]!]));
  const ids = [...gw.keys()];
  stopRouterProxies(side.state(), ids);
  await sleep(300);
  await deleteRouterNamespaces(ids);
  const launch = await side.relaunchL3();
  const done = await waitReady(side, gw, until(200_000), (tf) => { r.firstMs = tf - launch; });
  r.ready = done.ready;
  if (done.at === undefined) {
    r.startupAtLeastMs = Date.now() - launch;
    r.errors.push(`start-up: ${done.ready}/${N} routers ready after ${sec(r.startupAtLeastMs)} (deadline; RSS taken then, without settling)`);
  } else {
    r.startupMs = done.at - launch;
    for (const t0 = Date.now(); r.syncLogMs === undefined && Date.now() - t0 < 15_000 && Date.now() < deadline; await sleep(POLL_MS)) r.syncLogMs = side.syncMark(launch, ids);
    await sleep(Math.max(0, Math.min(SETTLE_MS, deadline - Date.now())));
  }

  // ---- RSS
  checkAbort();
  const pid = side.l3Pid();
  if (pid !== undefined && pidAlive(pid)) r.rss = agentTreeRssNoProxy(pid);
  const hp = ids.map((id) => routerHaproxyPid(side.state(), id)).filter((x): x is number => x !== undefined);
  r.haproxies = hp.length;
  r.haproxyKb = median(hp.map(vmRssKb).filter((v) => v > 0));
}

/** API resources first (the agent still runs and removes what it served), then the agents, then leftovers by pid file and name. */
async function teardownSide(side: Side): Promise<void> {
  await deleteApiResources().catch((e: unknown) => console.error(`${side.label} API cleanup: ${msg(e)}`));
  const ids = [...routersOf(side)];
  if (ids.length > 0) await sleep(1000);
  stopRouterProxies(side.state(), ids);
  // (the Python node's state_path goes with `harness down`, which stops its haproxy first)
  if (side.label === 'nucleon') stopAllProxies(side.state());
  await side.teardown().catch((e: unknown) => console.error(`${side.label} teardown: ${msg(e)}`));
  stopAllProxies(side.state());
  await deleteRouterNamespaces(ids);
  if (vmNamespaces.delete(side.vmNs)) await run('ip', ['netns', 'del', side.vmNs]).catch(() => undefined);
  await deleteAgentRows([side.host]);
}

// ------------------------------------------------------------------ report
function report(nu: SideResult, py: SideResult): void {
  const t = new SideBySideTable();
  t.add(`interface add -> VM pings external (median of ${RUNS})`, median(nu.ifaceAdd), median(py.ifaceAdd));
  t.text('  runs', runsText(nu.ifaceAdd), runsText(py.ifaceAdd));
  t.add(`FIP associate -> external pings FIP (median of ${RUNS})`, median(nu.fipAssoc), median(py.fipAssoc));
  t.text('  runs', runsText(nu.fipAssoc), runsText(py.fipAssoc));
  t.add(`start-up, ${N} routers: first ready`, nu.firstMs, py.firstMs);
  const allReady = (x: SideResult) => (x.startupMs !== undefined ? sec(x.startupMs) : x.startupAtLeastMs !== undefined ? `> ${sec(x.startupAtLeastMs)} (${x.ready ?? 0}/${N})` : '-');
  t.text(`start-up, ${N} routers: all ready (qg- addr + SNAT)`, allReady(nu), allReady(py),
    nu.startupMs !== undefined && py.startupMs === undefined && py.startupAtLeastMs !== undefined ? `>${ratio(py.startupAtLeastMs, nu.startupMs)}` : ratio(py.startupMs, nu.startupMs));
  t.add(`start-up: agent's own "served" mark`, nu.syncLogMs, py.syncLogMs);
  t.add(`RSS L3 agent tree, ${N} routers`, nu.rss?.rssKb, py.rss?.rssKb, mb);
  t.text('  processes in the tree', String(nu.rss?.procs ?? '-'), String(py.rss?.procs ?? '-'));
  t.add('RSS haproxy per router (median)', nu.haproxyKb, py.haproxyKb, mb);
  t.text('  haproxy processes', String(nu.haproxies ?? '-'), String(py.haproxies ?? '-'));
  t.print('l3 agent');
  console.log([
    `interface add: from PUT add_router_interface to the first reply (ping -D every ${POLL_MS} ms, RTT <= 1 s) VM ${VM_IP} -> ${EXT_IP}`,
    `  through SNAT; includes the L2 agent enslaving the router's tap (polling_interval 2 on both sides).`,
    `FIP: from PUT /floatingips/<id> with the VM's port to the first reply external -> floating IP (same ping).`,
    `start-up: L3 agent stopped (SIGTERM -> exit ${sec(nu.stopMs)} / ${sec(py.stopMs)}), haproxy stopped and qrouter namespaces deleted,`,
    `  relaunched; times from the launch until each router's namespace has its qg- device with the gateway address and`,
    `  an SNAT rule to it (kernel polled every ${POLL_MS} ms); "served" mark: nucleon = last "router served" log line,`,
    `  python = last "Finished a router update" line (for the ${N} routers). The ${N} routers are created and scheduled while`,
    `  the agent runs, their gateways and interfaces set while it is stopped (${API_CONCURRENCY} API calls in flight; routers created`,
    `  -> all set: nucleon ${sec(nu.initialMs)}, python ${sec(py.initialMs)}).`,
    `RSS: VmRSS of the L3 agent + descendants + its process group (python: privsep daemons) without haproxy, ${SETTLE_MS / 1000} s`,
    `  after the start-up sync; haproxy (metadata proxy, one per router on both sides) apart. Processes: nucleon`,
    `  ${nu.rss?.names ?? '-'}; python ${py.rss?.names ?? '-'}.`,
    `external network: nucleon ${nu.extKind ?? '-'}, python ${py.extKind ?? '-'}; 1-min load average at the start of each side:` +
      ` ${loadText(nu.load, py.load)}.`,
  ].join('\n'));
  printOutcomes(nu, py);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  await preflight(['dist/agents/linuxbridge/main.js', 'dist/agents/l3/main.js']);
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { ifaceAdd: [], fipAssoc: [], errors: [] };
  const py: SideResult = { ifaceAdd: [], fipAssoc: [], errors: [] };
  await runBenchMain<Side, SideResult>({
    name: 'l3', abort, watchdogMs: WATCHDOG_MS, cleanupReserveMs: CLEANUP_RESERVE_MS, windDownMs: WIND_DOWN_MS,
    nucleon: { side: nuSide, result: nu },
    python: { side: pySide, result: py },
    header: `nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; VMs ${nuSide.vmNs}, ${pySide.vmNs}`,
    nucleonShareMs: NUCLEON_SHARE_MS,
    runSide,
    teardownSide,
    cleanup: async () => {
      for (const side of [nuSide, pySide] as Side[]) await teardownSide(side).catch((e: unknown) => console.error(`${side.label} cleanup: ${msg(e)}`));
      await deleteSharedNetworks().catch((e: unknown) => console.error(`network cleanup: ${msg(e)}`));
      nuSide.removeDir();
      if (quotaSet && (await apiDelete(`/quotas/${PROJECT}`))) quotaSet = false;
      if (createdFips.size + createdRouters.size + createdPorts.size + createdNetworks.length + sharedNetworks.length > 0) {
        console.error(`left behind: floating IPs ${[...createdFips].join(' ') || '-'} routers ${[...createdRouters.keys()].join(' ') || '-'} ` +
          `ports ${[...createdPorts].join(' ') || '-'} networks ${[...createdNetworks, ...sharedNetworks].join(' ') || '-'}`);
      }
    },
    report: () => report(nu, py),
  });
}

runMain(main);
