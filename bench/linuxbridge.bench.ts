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
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { API, api, apiDelete, agents, deleteAgentRows, TRANSPORT } from './lib/api.js';
import { harness, pythonNodePaths, readPidFile, REPO } from './lib/harness.js';
import { osloLogTime, pythonAgentsFailed, startPythonAgents } from './lib/python-node.js';
import { cmdline, pidAlive, processTree, treeRss } from './lib/proc.js';
import { formatTable, mapLimit, median, sleep, stats } from './lib/util.js';

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
const createdPorts = new Set<string>();
const vmNamespaces = new Set<string>();
let networkId: string | undefined;
/** Set by SIGINT/SIGTERM/watchdog: every loop and every step that creates something checks it. */
let aborted: string | undefined;
function checkAbort(): void { if (aborted !== undefined) throw new Error(`aborted (${aborted})`); }

const tapOf = (id: string) => `tap${id.slice(0, 11)}`;
const peerOf = (id: string) => `v${id.slice(0, 11)}`;

// ------------------------------------------------------------------ API resources
async function createNetwork(): Promise<string> {
  const net = await api<{ network: { id: string } }>('/networks', 'POST', {
    network: { name: `${prefix}-lb-bench`, project_id: PROJECT, 'provider:network_type': 'vxlan' },
  });
  networkId = net.network.id;
  await api('/subnets', 'POST', {
    subnet: { network_id: networkId, ip_version: 4, cidr: '10.99.0.0/24', enable_dhcp: false, gateway_ip: null, project_id: PROJECT },
  });
  return networkId;
}

async function createPorts(n: number, host: string, net: string): Promise<Port[]> {
  return mapLimit(Array.from({ length: n }, (_, i) => i), API_CONCURRENCY, async (i) => {
    checkAbort();
    const p = await api<{ port: Port }>('/ports', 'POST', {
      port: {
        name: `${prefix}-lb-${host.slice(-2)}-${i}`, network_id: net, project_id: PROJECT,
        'binding:host_id': host, device_owner: 'compute:nova', device_id: randomUUID(), port_security_enabled: false,
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

// ------------------------------------------------------------------ plugging
function ipBatch(args: string[], lines: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', [...args, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(''));
  });
}

/**
 * Plugs the taps as os-vif does (bridge created if missing, tap enslaved, up) with one
 * `ip -batch` in the node namespace, then sets the peers up in the VM namespace.
 * Returns the clock start (just before the first batch) and the plug duration.
 */
async function plug(side: Side, ports: Port[], net: string): Promise<{ t0: number; plugMs: number }> {
  const br = `brq${net.slice(0, 11)}`;
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
    for (const argv of [
      ['ip', 'link', 'add', 'nu-phys0', 'type', 'veth', 'peer', 'name', 'nu-ext0'],
      ['ip', 'link', 'add', 'nu-vtep0', 'type', 'veth', 'peer', 'name', 'nu-vtep1'],
      ['ip', 'addr', 'add', '172.31.253.1/24', 'dev', 'nu-vtep0'],
      ['ip', 'link', 'set', 'nu-phys0', 'up'], ['ip', 'link', 'set', 'nu-ext0', 'up'],
      ['ip', 'link', 'set', 'nu-vtep0', 'up'], ['ip', 'link', 'set', 'nu-vtep1', 'up'],
    ]) await this.node.exec(argv);
    const conf = join(this.dir, 'neutron.conf');
    const ini = join(this.dir, 'linuxbridge_agent.ini');
    // NUCLEON_BENCH_DEBUG=1: debug logging (RPC calls) for a closer look; not for figures
    const debug = process.env['NUCLEON_BENCH_DEBUG'] === '1' ? 'debug = True\n' : '';
    writeFileSync(conf, `[DEFAULT]\n${debug}host = ${this.host}\ntransport_url = ${TRANSPORT}\nstate_path = ${this.dir}/state\n` +
      `[agent]\nreport_interval = 30\n[oslo_concurrency]\nlock_path = ${this.dir}/lock\n`);
    // the same [linux_bridge]/[vxlan]/[securitygroup]/[agent] settings as the Python node
    writeFileSync(ini, `[linux_bridge]\nphysical_interface_mappings = physnet1:nu-phys0\n` +
      `[vxlan]\nenable_vxlan = True\nlocal_ip = 172.31.253.1\nl2_population = False\n` +
      `[securitygroup]\nenable_security_group = True\nfirewall_driver = iptables\n[agent]\npolling_interval = 2\n`);
    this.files = [conf, ini];
    this.spawn();
    await this.waitLog((j) => j['msg'] === 'registered with neutron-server', Date.now() + 30_000, 'registration');
  }

  private spawn(): number {
    checkAbort();
    const launch = Date.now();
    this.agent = this.node!.spawnInside([process.execPath, join(REPO, 'dist/agents/linuxbridge/main.js'),
      ...this.files.flatMap((f) => ['--config-file', f])]);
    return launch;
  }

  private async waitLog(pred: (j: Record<string, unknown>) => boolean, until: number, what: string): Promise<Record<string, unknown>> {
    for (;;) {
      checkAbort();
      const line = this.agent!.log.json.find(pred);
      if (line) return line;
      const why = this.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`nucleon: no ${what} log line in time (last: ${this.agent!.log.lines.slice(-3).join(' | ')})`);
      await sleep(50);
    }
  }

  agentPid(): number | undefined { return this.agent?.pid; }

  failed(): string | undefined {
    const c = this.agent?.child;
    if (c && (c.exitCode !== null || c.signalCode !== null)) return `nucleon agent exited (${c.exitCode ?? c.signalCode}): ${this.agent!.log.lines.slice(-5).join(' | ')}`;
    return undefined;
  }

  async restart(taps: Set<string>, until: number): Promise<Resync> {
    const t = Date.now();
    await this.node!.stopProcess(this.agent!, STOP_GRACE_MS);
    const stopMs = Date.now() - t;
    const launch = this.spawn();
    const res: Resync = { devices: taps.size, lowerBound: false, stopMs };
    for (;;) {
      let up = 0;
      for (const j of this.agent!.log.json) {
        if (j['msg'] !== 'reported device status') continue;
        up += typeof j['up'] === 'number' ? j['up'] : 0;
        res.firstMs ??= Date.parse(String(j['time'])) - launch;
        if (up >= taps.size) { res.endMs = Date.parse(String(j['time'])) - launch; return res; }
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
    // NUCLEON_BENCH_LOG=<file>: the agent's log lines (last run only) for a closer look
    const keep = process.env['NUCLEON_BENCH_LOG'];
    if (keep && this.agent) writeFileSync(keep, this.agent.log.lines.join('\n') + '\n');
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
  private readonly paths = pythonNodePaths(this.host);

  async start(): Promise<void> {
    checkAbort();
    this.started = true;
    await startPythonAgents({ host: this.host, launchFile: 'linuxbridge.launch', logs: this.paths.logs, failed: () => this.failed(), checkAbort });
  }

  agentPid(): number | undefined { return readPidFile(this.host, 'linuxbridge.pid'); }

  failed(): string | undefined {
    return pythonAgentsFailed(this.host, ['linuxbridge'], this.paths.logs);
  }

  async restart(taps: Set<string>, until: number): Promise<Resync> {
    const pid = this.agentPid();
    if (pid === undefined) throw new Error('python linuxbridge agent: no pid file');
    const kin = processTree(pid);
    const t = Date.now();
    process.kill(pid, 'SIGTERM');
    while (pidAlive(pid) && Date.now() - t < STOP_GRACE_MS) await sleep(50);
    if (pidAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    const stopMs = Date.now() - t;
    // privsep daemons of the old agent (its process group, carrying this node's config)
    await sleep(300);
    for (const k of kin) if (k !== pid && pidAlive(k) && cmdline(k).includes(this.paths.nodeConf)) { try { process.kill(k, 'SIGTERM'); } catch { /* gone */ } }
    const logFile = join(this.paths.logs, 'linuxbridge.log');
    let offset = existsSync(logFile) ? statSync(logFile).size : 0;
    checkAbort();
    const up = harness(['up', '--python-agents-only', '--no-wait'], this.host);
    const code = await up.done;
    if (code !== 0) throw new Error(`harness up (restart) failed (${code}): ${up.output.slice(-10).join(' | ')}`);
    const launch = readPidFile(this.host, 'linuxbridge.launch');
    if (launch === undefined) throw new Error('python linuxbridge agent: no launch file after restart');
    const res: Resync = { devices: taps.size, lowerBound: true, stopMs };
    const seen: number[] = [];
    const seenDev = new Set<string>();
    let partial = '';
    while (seenDev.size < taps.size) {
      checkAbort();
      const why = this.failed();
      if (why) throw new Error(why);
      if (Date.now() > until) throw new Error(`python: ${seenDev.size}/${taps.size} devices processed after restart before the deadline`);
      const size = existsSync(logFile) ? statSync(logFile).size : 0;
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        const fd = openSync(logFile, 'r');
        try { readSync(fd, buf, 0, buf.length, offset); } finally { closeSync(fd); }
        offset = size;
        const lines = (partial + buf.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) {
          const m = PY_LINE.exec(l);
          if (!m || !taps.has(m[8]!) || seenDev.has(m[8]!)) continue;
          seenDev.add(m[8]!);
          // oslo.log writes local time
          seen.push(osloLogTime(m) - launch);
        }
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
    const down = harness(['down', '--python-agents-only'], this.host);
    if ((await down.done) !== 0) console.error(`harness down failed: ${down.output.slice(-10).join(' | ')}`);
    this.started = false;
  }
}

// ------------------------------------------------------------------ one side
async function runSide(side: Side, net: string, r: SideResult, deadline: number): Promise<void> {
  const until = (ms: number) => Math.min(deadline, Date.now() + ms);
  r.load = loadavg()[0];
  await side.start();
  checkAbort();
  await run('ip', ['netns', 'add', side.vmNs]);
  vmNamespaces.add(side.vmNs);

  for (let i = 0; i < SINGLE_RUNS; i++) {
    const [p] = await createPorts(1, side.host, net);
    const { t0 } = await plug(side, [p!], net);
    const seen = await pollActive(net, [p!.id], t0, until(30_000), () => side.failed());
    const ms = seen.get(p!.id);
    if (ms !== undefined) r.single.push(ms);
    else r.errors.push(`1-port run ${i + 1}: not ACTIVE within ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await run('ip', ['-n', side.nodeNs, 'link', 'del', tapOf(p!.id)]).catch(() => undefined);
    await deletePorts([p!.id]);
    await sleep(1000); // let the agent see the tap go before the next run
  }

  const tc = Date.now();
  const ports = await createPorts(N, side.host, net);
  r.manyCreateMs = Date.now() - tc;
  await sleep(1000);
  const { t0, plugMs } = await plug(side, ports, net);
  r.manyPlugMs = plugMs;
  const seen = await pollActive(net, ports.map((p) => p.id), t0, until(120_000), () => side.failed());
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

async function teardownSide(side: Side): Promise<void> {
  await side.teardown().catch((e: unknown) => console.error(`${side.label} teardown: ${String(e)}`));
  await deletePorts([...createdPorts]);
  if (vmNamespaces.delete(side.vmNs)) await run('ip', ['netns', 'del', side.vmNs]).catch(() => undefined);
  await deleteAgentRows([side.host]);
}

// ------------------------------------------------------------------ report
const sec = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const mb = (kb?: number) => (kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MiB`);
function ratio(py?: number, nu?: number, atLeast = false): string {
  if (py === undefined || !nu) return '-';
  const x = py / nu;
  return `${atLeast ? '>=' : ''}${x.toFixed(x < 10 ? 1 : 0)}x`;
}

function report(nu: SideResult, py: SideResult): void {
  const rows: string[][] = [];
  const add = (label: string, n?: number, p?: number, fmt = sec, atLeast = false) =>
    rows.push([label, fmt(n), `${atLeast && p !== undefined ? '>=' : ''}${fmt(p)}`, ratio(p, n, atLeast)]);
  add(`tap->ACTIVE 1 port (median of ${SINGLE_RUNS})`, median(nu.single), median(py.single));
  rows.push(['  1-port runs', nu.single.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', py.single.map((v) => (v / 1000).toFixed(2)).join(', ') || '-', '']);
  const sn = stats(nu.many), sp = stats(py.many);
  add(`${N} ports: min`, sn?.min, sp?.min);
  add(`${N} ports: median`, sn?.median, sp?.median);
  add(`${N} ports: p90`, sn?.p90, sp?.p90);
  add(`${N} ports: max = all ACTIVE`, nu.allActiveMs ?? sn?.max, py.allActiveMs ?? sp?.max);
  add(`restart: first device (see below)`, nu.resync?.firstMs, py.resync?.firstMs, sec, true);
  add(`restart: all ${N} reported up`, nu.resync?.endMs, py.resync?.endMs, sec, true);
  add(`RSS with ${N} ports (tree)`, nu.rss?.rssKb, py.rss?.rssKb, mb);
  rows.push(['  processes in the tree', String(nu.rss?.procs ?? '-'), String(py.rss?.procs ?? '-'), '']);
  console.log(formatTable(['linuxbridge agent', 'nucleon', 'python', 'python/nucleon'], rows));
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
    `1-min load average at the start of each side: nucleon ${nu.load?.toFixed(1) ?? '-'}, python ${py.load?.toFixed(1) ?? '-'} (${cpus().length} CPUs).`,
  ].join('\n'));
  for (const [label, r] of [['nucleon', nu], ['python', py]] as const) for (const e of r.errors) console.log(`${label} FAILED: ${e}`);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const started = Date.now();
  const deadline = started + WATCHDOG_MS - CLEANUP_RESERVE_MS;
  if (!existsSync(join(REPO, 'dist/agents/linuxbridge/main.js'))) throw new Error('dist/agents/linuxbridge/main.js missing: npm run build');
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
    console.log(`nucleon: netns/host ${nuSide.host}; Python: netns/host ${pySide.host}; bench VMs ${nuSide.vmNs}, ${pySide.vmNs}`);
    const net = await createNetwork();
    // NUCLEON_BENCH_ONLY=nucleon|python: one side only (for looking into one agent)
    const only = process.env['NUCLEON_BENCH_ONLY'];
    for (const [side, r] of [[nuSide, nu], [pySide, py]] as const) {
      if (only && only !== side.label) continue;
      if (aborted !== undefined) break;
      try {
        await runSide(side, net, r, deadline);
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
    console.log(`linuxbridge bench done in ${((Date.now() - started) / 1000).toFixed(0)} s (cleaned up)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
