/**
 * Start-up cost, side by side: the four nucleon daemons (linuxbridge, dhcp, l3, metadata)
 * vs Debian's Python agents, on the harness neutron-server, in one run.
 *
 *   registration  process launch -> the agent's row in GET /v2.0/agents is alive with a
 *                 started_at at/after the launch (API polled every 100 ms, so ~0.1 s
 *                 resolution plus one API round trip); for nucleon also the time of its
 *                 own "registered with neutron-server" log line.
 *   RSS           sum of VmRSS over the daemon's process tree ~10 s after the last of the
 *                 four registered: the process, its descendants and the members of its
 *                 process group (Python's privsep daemons fork away from their parent
 *                 but stay in the agent's group).
 *
 * The phases run one after the other (nucleon, then Python) so they do not compete for
 * the CPU. nucleon runs in a TestNode netns "<prefix>-nu" (host of the same name), the
 * Python agents in "<prefix>-py" through `test/harness/neutron-server.sh up
 * --python-agents-only` (NUCLEON_PY_NODE). Everything is stopped by PID, the namespaces
 * deleted, and the agent rows of both hosts deleted. Bounded by a 170 s watchdog.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestNode, type SpawnedProcess } from '../test/harness/node-netns.js';
import { runPrefix } from '../test/harness/names.js';
import { treeRss } from './lib/proc.js';
import { agents, API, deleteAgentRows, neutronTime, type AgentRow } from './lib/api.js';
import { runMain } from './lib/bench-main.js';
import { harness, LOG_DIR, readPidFile, REPO, STATE_DIR } from './lib/harness.js';
import { addUplinks, spawnAgent, writeLinuxbridgeIni, writeNeutronConf, type NucleonAgent } from './lib/nucleon-node.js';
import { formatTable, sleep } from './lib/util.js';

const POLL_MS = 100;
const SETTLE_MS = 10_000;
const NUCLEON_TIMEOUT_MS = 30_000;
const PYTHON_TIMEOUT_MS = 90_000;
const WATCHDOG_MS = 170_000;

interface Kind { key: NucleonAgent; type: string; ini: string }
const KINDS: Kind[] = [
  { key: 'linuxbridge', type: 'Linux bridge agent', ini: 'linuxbridge_agent.ini' },
  { key: 'dhcp', type: 'DHCP agent', ini: 'dhcp_agent.ini' },
  { key: 'l3', type: 'L3 agent', ini: 'l3_agent.ini' },
  { key: 'metadata', type: 'Metadata agent', ini: 'metadata_agent.ini' },
];

interface Result {
  regMs?: number;      // launch -> seen alive via the API
  logRegMs?: number;   // launch -> own log line (nucleon only)
  rssKb?: number;
  procs?: number;
}
type Side = Map<string, Result>;

// ------------------------------------------------------------------ API
/** Polls every 100 ms until each kind has a row on `host` alive and started since its launch. */
async function pollRegistration(host: string, launchOf: (k: Kind) => number | undefined, side: Side,
  timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (KINDS.some((k) => side.get(k.key)?.regMs === undefined)) {
    const why = failed();
    if (why) throw new Error(why);
    if (Date.now() > end) {
      const missing = KINDS.filter((k) => side.get(k.key)?.regMs === undefined).map((k) => k.key);
      throw new Error(`${host}: no registration within ${timeoutMs / 1000} s for ${missing.join(', ')}`);
    }
    const t = Date.now();
    let rows: AgentRow[] = [];
    try { rows = await agents([host]); } catch { /* API hiccup: next poll */ }
    const seen = Date.now();
    for (const k of KINDS) {
      const r = side.get(k.key)!;
      const launch = launchOf(k);
      if (r.regMs !== undefined || launch === undefined) continue;
      const row = rows.find((a) => a.agent_type === k.type && a.alive && a.started_at !== null);
      // started_at has whole seconds: compare with the launch second
      if (row && neutronTime(row.started_at!) >= Math.floor(launch / 1000) * 1000) r.regMs = seen - launch;
    }
    await sleep(Math.max(0, POLL_MS - (Date.now() - t)));
  }
}

// ------------------------------------------------------------------ nucleon phase
function writeNucleonConfigs(dir: string, host: string): void {
  writeNeutronConf(dir, host);
  writeLinuxbridgeIni(dir);
  writeFileSync(join(dir, 'dhcp_agent.ini'), `[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = True
`);
  writeFileSync(join(dir, 'l3_agent.ini'), `[DEFAULT]
interface_driver = linuxbridge
agent_mode = legacy
`);
  writeFileSync(join(dir, 'metadata_agent.ini'), `[DEFAULT]
nova_metadata_host = 127.0.0.1
nova_metadata_port = 8775
metadata_proxy_shared_secret = register-bench
metadata_workers = 1
`);
}

async function nucleonPhase(node: TestNode, host: string, dir: string, side: Side): Promise<void> {
  await addUplinks(node);
  writeNucleonConfigs(dir, host);
  const procs = new Map<string, { p: SpawnedProcess; launch: number }>();
  for (const k of KINDS) {
    const launch = Date.now();
    const p = spawnAgent(node, k.key, [join(dir, 'neutron.conf'), join(dir, k.ini)]);
    procs.set(k.key, { p, launch });
  }
  await pollRegistration(host, (k) => procs.get(k.key)?.launch, side, NUCLEON_TIMEOUT_MS, () => {
    for (const [key, { p }] of procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return `nucleon ${key} exited: ${p.log.lines.slice(-5).join(' | ')}`;
    }
    return undefined;
  });
  for (const [key, { p, launch }] of procs) {
    const line = p.log.json.find((j) => j['msg'] === 'registered with neutron-server');
    if (line && typeof line['time'] === 'string') side.get(key)!.logRegMs = Date.parse(line['time']) - launch;
  }
  const lastReg = Math.max(...KINDS.map((k) => procs.get(k.key)!.launch + side.get(k.key)!.regMs!));
  await sleep(Math.max(0, lastReg + SETTLE_MS - Date.now()));
  for (const [key, { p }] of procs) Object.assign(side.get(key)!, treeRss(p.pid));
}

// ------------------------------------------------------------------ Python phase
async function pythonPhase(pyNode: string, side: Side): Promise<void> {
  const read = (f: string): number | undefined => readPidFile(pyNode, f);
  const up = harness(['up', '--python-agents-only', '--no-wait'], pyNode);
  let upExit: number | null | undefined;
  void up.done.then((c) => { upExit = c; });
  await pollRegistration(pyNode, (k) => read(`${k.key}.launch`), side, PYTHON_TIMEOUT_MS, () =>
    (upExit !== undefined && upExit !== 0 ? `harness up --python-agents-only failed (${upExit}):\n${up.output.slice(-15).join('\n')}` : undefined));
  await up.done;
  const lastReg = Math.max(...KINDS.map((k) => read(`${k.key}.launch`)! + side.get(k.key)!.regMs!));
  await sleep(Math.max(0, lastReg + SETTLE_MS - Date.now()));
  for (const k of KINDS) {
    const pid = read(`${k.key}.pid`);
    if (pid !== undefined) Object.assign(side.get(k.key)!, treeRss(pid));
  }
}

// ------------------------------------------------------------------ report
function fmtS(ms?: number): string { return ms === undefined ? '-' : (ms / 1000).toFixed(2); }
function fmtMb(kb?: number): string { return kb === undefined ? '-' : (kb / 1024).toFixed(1); }
function ratio(py?: number, nu?: number): string { return py === undefined || !nu ? '-' : `${(py / nu).toFixed(1)}x`; }

function report(nu: Side, py: Side): void {
  const head = ['agent', 'reg nucleon s', '(own log) s', 'reg Python s', 'Py/nu', 'RSS nucleon MB', 'RSS Python MB', 'Py/nu', 'procs nu/Py'];
  const rows = KINDS.map((k) => {
    const n = nu.get(k.key)!, p = py.get(k.key)!;
    return [k.key, fmtS(n.regMs), fmtS(n.logRegMs), fmtS(p.regMs), ratio(p.regMs, n.regMs),
      fmtMb(n.rssKb), fmtMb(p.rssKb), ratio(p.rssKb, n.rssKb), `${n.procs ?? '-'}/${p.procs ?? '-'}`];
  });
  const sum = (s: Side, f: keyof Result) => KINDS.reduce((a, k) => a + (s.get(k.key)![f] ?? 0), 0);
  rows.push(['total (4)', '', '', '', '', fmtMb(sum(nu, 'rssKb')), fmtMb(sum(py, 'rssKb')), ratio(sum(py, 'rssKb'), sum(nu, 'rssKb')),
    `${sum(nu, 'procs')}/${sum(py, 'procs')}`]);
  console.log(formatTable(head, rows));
  console.log(`reg = launch -> agent row alive with started_at >= launch (API polled every ${POLL_MS} ms); ` +
    `RSS = VmRSS of process + descendants + process group, ${SETTLE_MS / 1000} s after the last registration; MB = MiB`);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const started = Date.now();
  const prefix = runPrefix();
  const nuHost = `${prefix}-nu`;
  const pyNode = `${prefix}-py`;
  for (const k of KINDS) {
    if (!existsSync(join(REPO, `dist/agents/${k.key}/main.js`))) throw new Error(`dist/agents/${k.key}/main.js missing: npm run build`);
  }
  await agents([nuHost]).catch((e: unknown) => { throw new Error(`neutron-server API ${API} not reachable (test/harness/neutron-server.sh up): ${String(e)}`); });
  const nu: Side = new Map(KINDS.map((k) => [k.key, {}]));
  const py: Side = new Map(KINDS.map((k) => [k.key, {}]));
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-register-bench-'));
  let node: TestNode | undefined;
  let pyStarted = false;
  let ok = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    if (node) await node.cleanup().catch((e: unknown) => console.error(`nucleon node cleanup: ${String(e)}`));
    if (pyStarted) {
      const down = harness(['down', '--python-agents-only'], pyNode);
      if ((await down.done) !== 0) console.error(`harness down failed:\n${down.output.slice(-10).join('\n')}`);
    }
    await deleteAgentRows([nuHost, pyNode]);
    rmSync(dir, { recursive: true, force: true });
  })());
  const abort = (why: string) => { console.error(why); void cleanup().finally(() => process.exit(1)); };
  const watchdog = setTimeout(() => abort(`register bench: watchdog after ${WATCHDOG_MS / 1000} s, cleaning up`), WATCHDOG_MS);
  process.once('SIGINT', () => abort('interrupted, cleaning up'));
  process.once('SIGTERM', () => abort('terminated, cleaning up'));
  try {
    console.log(`nucleon: netns/host ${nuHost}; Python: netns/host ${pyNode} (harness ${STATE_DIR})`);
    node = await TestNode.create(nuHost);
    await nucleonPhase(node, nuHost, dir, nu);
    await node.cleanup();
    node = undefined;
    await deleteAgentRows([nuHost]);
    pyStarted = true;
    await pythonPhase(pyNode, py);
    report(nu, py);
    ok = true;
  } finally {
    await cleanup();
    clearTimeout(watchdog);
    // the Python agents' logs of this run: kept only when something failed
    if (ok) rmSync(join(LOG_DIR, 'python', pyNode), { recursive: true, force: true });
    else if (pyStarted) console.error(`Python agent logs: ${join(LOG_DIR, 'python', pyNode)}`);
    console.log(`register bench done in ${((Date.now() - started) / 1000).toFixed(0)} s (cleaned up)`);
  }
}

runMain(main);
