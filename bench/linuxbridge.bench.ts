/**
 * Port wiring, side by side: nucleon-linuxbridge-agent vs Debian's neutron-linuxbridge-agent
 * on the harness neutron-server, in one run, one after the other (nucleon, then Python).
 *
 *   tap->ACTIVE   ports are created first through the API (binding:host_id = the agent's
 *                 host, device_owner compute:nova, a device_id, port_security_enabled false
 *                 so the firewall stays out of this measurement) on a VXLAN network whose
 *                 subnet has enable_dhcp=false (no DHCP agent: a port goes ACTIVE on the L2
 *                 agent's report alone). The clock starts when the taps are plugged: one
 *                 `ip -batch` in the agent's node namespace (veth tap<port[:11]> whose peer,
 *                 with the port's MAC, goes into a bench "VM" namespace; tap enslaved to
 *                 brq<net[:11]> and set up, as os-vif does), then one `ip -batch` in the VM
 *                 namespace setting the peers up. Each port's time is the first poll of
 *                 `GET /v2.0/ports?network_id=..&fields=id&fields=status` (every 100 ms)
 *                 that shows it ACTIVE, taken when the answer arrives. 1 port: 3 runs (port
 *                 created, plugged, measured, unplugged, deleted); 50 ports: one batch.
 *   restart       with the 50 ports wired and ACTIVE: SIGTERM, wait for the exit, launch
 *                 again; time from the launch to the agent's own mark of "all devices
 *                 reported up" (a restart does not change the ports' status in the API):
 *                 nucleon: the time field of its "reported device status" log lines once
 *                 their `up` counts add up to 50 (logged after update_device_list returned);
 *                 Python: the 50th distinct "Port tap... updated. Details" line of its log
 *                 (logged when it *starts* on a device, before plug + update_device_up: a
 *                 lower bound, about one per-device step early; the step is printed).
 *   RSS           VmRSS summed over the agent's process tree (process, descendants, its
 *                 process group: the Python agent's privsep daemons) with the 50 ports wired,
 *                 5 s after the last one went ACTIVE.
 *
 * nucleon runs in a TestNode namespace "<prefix>-nu" (host of the same name), the Python
 * agents in the harness node "<prefix>-py" (`neutron-server.sh up --python-agents-only`,
 * NUCLEON_PY_NODE; its DHCP, L3 and metadata agents run too but host nothing here). Both
 * agents use polling_interval 2, VXLAN without l2population, the iptables firewall driver.
 * Everything created (ports, network, namespaces, processes by PID, agent rows of both
 * hosts) is removed at the end, on failure and on SIGINT/SIGTERM; a watchdog bounds the run.
 * Only prints: there is no timed assertion.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { AbortFlag } from './lib/abort.js';
import { preflight, runBenchMain, runMain } from './lib/bench-main.js';
import {
  addUplinks, debugFromEnv, exitedWhy, keepNucleonLog, logTime, spawnAgent, timedStop, waitRegistered, writeLinuxbridgeIni, writeNeutronConf,
} from './lib/nucleon-node.js';
import { osloLogTime, pythonAgentsDown, PythonNodeAgent } from './lib/python-node.js';
import { pidAlive, treeRss } from './lib/proc.js';
import { addWiringRows, loadText, mb, printOutcomes, sec, SideBySideTable } from './lib/report.js';
import { median, sleep } from './lib/util.js';
import { bridgeOf, ipBatch, peerOf, tapOf } from './lib/vif.js';
import { WiringRun } from './lib/wiring-run.js';

const run = promisify(execFile);
const N = 50;
const SINGLE_RUNS = 3;
const POLL_MS = 100;
const SETTLE_MS = 5000;
const PROJECT = 'nucleon-bench';
const API_CONCURRENCY = 5;
const WATCHDOG_MS = 320_000;       // then the run winds down and cleans up (< 6 min in all)
const CLEANUP_RESERVE_MS = 50_000; // measurement deadlines stop this long before the watchdog
const WIND_DOWN_MS = 25_000;       // after an abort: clean up from outside if the run is stuck
const STOP_GRACE_MS = 20_000;

interface Port { id: string; mac_address: string }
interface Resync { endMs?: number; firstMs?: number; devices: number; lowerBound: boolean; stepMs?: number; stopMs: number }
interface SideResult {
  single: number[];
  many: number[];
  manyPlugMs?: number;
  manyCreateMs?: number;
  allActiveMs?: number;
  rss?: { rssKb: number; procs: number };
  resync?: Resync;
  /** 1-minute load average when the side started (the machine may be shared) */
  load?: number;
  errors: string[];
}

interface Side {
  label: 'nucleon' | 'python';
  host: string;
  nodeNs: string;
  vmNs: string;
  start(): Promise<void>;
  agentPid(): number | undefined;
  /** Why the agent is gone, if it is. */
  failed(): string | undefined;
  restart(taps: Set<string>, until: number): Promise<Resync>;
  teardown(): Promise<void>;
}

// ------------------------------------------------------------------ shared state (for cleanup)
const prefix = runPrefix();
/** Set by SIGINT/SIGTERM/watchdog (runBenchMain): every loop and every step that creates something checks it. */
const abort = new AbortFlag();
const checkAbort = abort.check;
/** the network, ports and VM namespaces of this run */
const wiring = new WiringRun({ networkName: `${prefix}-lb-bench`, cidr: '10.99.0.0/24', project: PROJECT, concurrency: API_CONCURRENCY, checkAbort });

// ------------------------------------------------------------------ API resources
/** `n` VM ports bound to `host`, without port security. */
function createVmPorts(n: number, host: string): Promise<Port[]> {
  return wiring.createPorts<Port>(n, (i) => ({
    name: `${prefix}-lb-${host.slice(-2)}-${i}`,
    'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(), port_security_enabled: false,
  }));
}

// ------------------------------------------------------------------ plugging
/**
 * Plugs the taps as os-vif does (bridge created if missing, tap enslaved, up) with one
 * `ip -batch` in the node namespace, then sets the peers up in the VM namespace.
 * Returns the clock start (just before the first batch) and the plug duration.
 */
async function plug(side: Side, ports: Port[], net: string): Promise<{ t0: number; plugMs: number }> {
  const br = bridgeOf(net);
  // line 1 may fail (the bridge exists already): -force goes on, and only that is accepted
  const lines = [`link add ${br} type bridge`, `link set ${br} up`];
  for (const p of ports) {
    lines.push(`link add ${tapOf(p.id)} type veth peer name ${peerOf(p.id)} address ${p.mac_address} netns ${side.vmNs}`);
    lines.push(`link set ${tapOf(p.id)} master ${br} up`);
  }
  checkAbort();
  const t0 = Date.now();
  const node = await ipBatch(['-n', side.nodeNs, '-force'], lines);
  const failedLines = [...node.stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]));
  if (failedLines.some((l) => l !== 1)) throw new Error(`plug batch in ${side.nodeNs} failed: ${node.stderr.trim().slice(0, 500)}`);
  const vm = await ipBatch(['-n', side.vmNs], ports.map((p) => `link set ${peerOf(p.id)} up`));
  if (vm.code !== 0) throw new Error(`peer batch in ${side.vmNs} failed: ${vm.stderr.trim().slice(0, 500)}`);
  return { t0, plugMs: Date.now() - t0 };
}

// ------------------------------------------------------------------ nucleon side
class NucleonSide implements Side {
  readonly label = 'nucleon' as const;
  readonly host = `${prefix}-nu`;
  readonly nodeNs = `${prefix}-nu`;
  readonly vmNs = `${prefix}-vnu`;
  private node: TestNode | undefined;
  private agent: SpawnedProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'nucleon-lb-bench-'));
  private files: string[] = [];

  async start(): Promise<void> {
    checkAbort();
    this.node = await TestNode.create(this.nodeNs);
    await addUplinks(this.node);
    // the same [linux_bridge]/[vxlan]/[securitygroup]/[agent] settings as the Python node
    this.files = [writeNeutronConf(this.dir, this.host, debugFromEnv()), writeLinuxbridgeIni(this.dir)];
    this.spawn();
    await waitRegistered([this.agent!], { timeoutMs: 30_000, failed: () => this.failed(), checkAbort });
  }

  private spawn(): number {
    checkAbort();
    const launch = Date.now();
    this.agent = spawnAgent(this.node!, 'linuxbridge', this.files);
    return launch;
  }

  agentPid(): number | undefined { return this.agent?.pid; }

  failed(): string | undefined { return exitedWhy('nucleon agent', this.agent); }

  async restart(taps: Set<string>, until: number): Promise<Resync> {
    const stopMs = await timedStop(this.node!, this.agent!, STOP_GRACE_MS);
    const launch = this.spawn();
    const res: Resync = { devices: taps.size, lowerBound: false, stopMs };
    for (;;) {
      let up = 0;
      for (const j of this.agent!.log.json) {
        if (j['msg'] !== 'reported device status') continue;
        up += typeof j['up'] === 'number' ? j['up'] : 0;
        res.firstMs ??= logTime(j) - launch;
        if (up >= taps.size) { res.endMs = logTime(j) - launch; return res; }
      }
      checkAbort();
      const why = this.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`nucleon: ${up}/${taps.size} devices reported up after restart before the deadline`);
      await sleep(50);
    }
  }

  async teardown(): Promise<void> {
    if (this.agent) await this.node?.stopProcess(this.agent, STOP_GRACE_MS);
    if (this.agent) keepNucleonLog(this.agent.log.lines);
    await this.node?.cleanup();
    this.node = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ Python side
const PY_LINE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) \d+ INFO \S+ \[[^\]]*\] Port (tap[0-9a-f-]{11}) updated\. Details/;

class PythonSide implements Side {
  readonly label = 'python' as const;
  readonly host = `${prefix}-py`;
  readonly nodeNs = `${prefix}-py`;
  readonly vmNs = `${prefix}-vpy`;
  started = false;
  private readonly lb = new PythonNodeAgent({ host: this.host, agent: 'linuxbridge', graceMs: STOP_GRACE_MS, checkAbort });

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await this.lb.start();
  }

  agentPid(): number | undefined { return this.lb.pid(); }
  failed(): string | undefined { return this.lb.failed(); }

  async restart(taps: Set<string>, until: number): Promise<Resync> {
    // SIGTERM, wait for the exit, then the old agent's privsep daemons
    const stopMs = await this.lb.stop();
    const launch = await this.lb.relaunch();
    const res: Resync = { devices: taps.size, lowerBound: true, stopMs };
    const seen: number[] = [];
    const seenDev = new Set<string>();
    while (seenDev.size < taps.size) {
      checkAbort();
      const why = this.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`python: ${seenDev.size}/${taps.size} devices processed after restart before the deadline`);
      for (const l of this.lb.logSinceRelaunch().split('\n')) {
        const m = PY_LINE.exec(l);
        if (!m || !taps.has(m[8]!) || seenDev.has(m[8]!)) continue;
        seenDev.add(m[8]!);
        // oslo.log writes local time
        seen.push(osloLogTime(m) - launch);
      }
      if (seenDev.size < taps.size) await sleep(POLL_MS);
    }
    res.firstMs = seen[0];
    res.endMs = seen[seen.length - 1];
    res.stepMs = median(seen.slice(1).map((v, i) => v - seen[i]!));
    return res;
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
  const net = wiring.network;
  r.load = loadavg()[0];
  await side.start();
  await wiring.addVmNamespace(side.vmNs);

  for (let i = 0; i < SINGLE_RUNS; i++) {
    const [p] = await createVmPorts(1, side.host);
    const { t0 } = await plug(side, [p!], net);
    const seen = await wiring.waitActive([p!.id], t0, until(30_000), POLL_MS, () => side.failed());
    const ms = seen.get(p!.id);
    if (ms !== undefined) r.single.push(ms);
    else r.errors.push(`1-port run ${i + 1}: not ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await run('ip', ['-n', side.nodeNs, 'link', 'del', tapOf(p!.id)]).catch(() => undefined);
    await wiring.deletePorts([p!.id]);
    await sleep(1000); // let the agent see the tap go before the next run
  }

  const tc = Date.now();
  const ports = await createVmPorts(N, side.host);
  r.manyCreateMs = Date.now() - tc;
  await sleep(1000);
  const { t0, plugMs } = await plug(side, ports, net);
  r.manyPlugMs = plugMs;
  const seen = await wiring.waitActive(ports.map((p) => p.id), t0, until(120_000), POLL_MS, () => side.failed());
  r.many = [...seen.values()];
  if (seen.size === N) r.allActiveMs = Math.max(...r.many);
  else r.errors.push(`50 ports: only ${seen.size}/${N} ACTIVE after ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  await sleep(Math.max(0, Math.min(SETTLE_MS, deadline - Date.now())));
  checkAbort();
  const pid = side.agentPid();
  if (pid !== undefined && pidAlive(pid)) r.rss = treeRss(pid);

  if (seen.size === N) r.resync = await side.restart(new Set(ports.map((p) => tapOf(p.id))), until(120_000));
  else r.errors.push('restart: skipped (not all 50 ports ACTIVE)');
}

// ------------------------------------------------------------------ report
function report(nu: SideResult, py: SideResult): void {
  const t = new SideBySideTable();
  addWiringRows(t, nu, py, SINGLE_RUNS, N);
  // Python's restart times are lower bounds (its log line comes before the device's report)
  t.add(`restart: first device (see below)`, nu.resync?.firstMs, py.resync?.firstMs, sec, true);
  t.add(`restart: all ${N} reported up`, nu.resync?.endMs, py.resync?.endMs, sec, true);
  t.add(`RSS with ${N} ports (tree)`, nu.rss?.rssKb, py.rss?.rssKb, mb);
  t.text('  processes in the tree', String(nu.rss?.procs ?? '-'), String(py.rss?.procs ?? '-'));
  t.print('linuxbridge agent');
  console.log([
    `ports: port_security_enabled=false (no firewall rules in this measurement), VXLAN network, subnet without DHCP;`,
    `  tap->ACTIVE from the plug batch to the first ${POLL_MS} ms poll of GET /ports showing ACTIVE (answer time);`,
    `  plug batch for ${N}: nucleon ${sec(nu.manyPlugMs)}, python ${sec(py.manyPlugMs)}; ports created beforehand in ` +
      `${sec(nu.manyCreateMs)} / ${sec(py.manyCreateMs)} (${API_CONCURRENCY} POSTs in flight, not timed).`,
    `restart: SIGTERM -> exit took ${sec(nu.resync?.stopMs)} / ${sec(py.resync?.stopMs)}; times from the new launch:`,
    `  nucleon = "reported device status" log lines (after update_device_list returned) adding up to ${N} up;`,
    `  python  = ${N}th distinct "Port tap.. updated" log line, written before that device's plug + update_device_up:` +
      ` a lower bound, ~one per-device step (median ${sec(py.resync?.stepMs)}) early.`,
    `RSS: VmRSS of the agent + descendants + its process group (python: privsep daemons), ${SETTLE_MS / 1000} s after all ACTIVE.`,
    `1-min load average at the start of each side: ${loadText(nu.load, py.load)}.`,
  ].join('\n'));
  printOutcomes(nu, py);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  await preflight(['dist/agents/linuxbridge/main.js']);
  const nuSide = new NucleonSide();
  const pySide = new PythonSide();
  const nu: SideResult = { single: [], many: [], errors: [] };
  const py: SideResult = { single: [], many: [], errors: [] };
  await runBenchMain<Side, SideResult>({
    name: 'linuxbridge', abort, watchdogMs: WATCHDOG_MS, cleanupReserveMs: CLEANUP_RESERVE_MS, windDownMs: WIND_DOWN_MS,
    nucleon: { side: nuSide, result: nu },
    python: { side: pySide, result: py },
    header: `nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; bench VMs ${nuSide.vmNs}, ${pySide.vmNs}`,
    setUp: () => wiring.createNetwork(),
    runSide,
    teardownSide: (side) => wiring.teardownSide(side, [side.vmNs]),
    cleanup: () => wiring.cleanup([nuSide, pySide]),
    report: () => report(nu, py),
  });
}

runMain(main);
