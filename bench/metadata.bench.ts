/**
 * Metadata proxy throughput, side by side: nucleon-metadata-agent vs Debian's
 * neutron-metadata-agent, same machine, same run, one after the other.
 *
 * Both agents run on the host (neither creates kernel objects: a unix socket in a
 * temp dir and AMQP), against the same fake q-plugin (get_ports answered by an
 * OsloRpcServer in this process on a per-run control exchange) and the same test
 * Nova (test/integration/metadata/fake-nova-main.js, its own process, checking the
 * signature). Both with `[cache] enabled = True, backend = dogpile.cache.memory`,
 * and nucleon once more with `dogpile.cache.redis` on 127.0.0.1:6379. The Python
 * agent keeps its default metadata_workers (cpu_count // 2).
 *
 *   load   100 concurrent clients on the agent's unix socket, each sending its next
 *          request when the previous answer is complete, for 5 s, one connection per
 *          request (as haproxy's http-server-close), X-Neutron-Network-ID +
 *          X-Forwarded-For of 20 VMs in turn, GET /latest/meta-data/instance-id.
 *          Before the clock starts, one request per VM warms the lookup cache.
 *   RSS    VmRSS summed over the agent's process tree right after the load.
 *
 * The load generator shares the machine's cores with the agent and Nova: the
 * absolute figures are this machine's, the ratios are the point. Everything
 * started is stopped by PID, the temp dir and the broker objects removed, also on
 * SIGINT/SIGTERM and after a watchdog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakePlugin, type FakePort } from '../test/integration/metadata/fake-plugin.js';
import { RawBroker } from '../test/integration/rpc/helpers.js';
import { REPO } from './lib/harness.js';
import { pidAlive, treeRss } from './lib/proc.js';
import { unixLoad, type LoadResult } from './lib/unix-load.js';
import { formatTable, sleep } from './lib/util.js';

const BROKER = 'rabbit://guest:guest@127.0.0.1:5672/';
const CONCURRENCY = 100;
const DURATION_MS = 5000;
const VMS = 20;
const WATCHDOG_MS = 180_000;
const SECRET = `bench-${randomUUID()}`;
const exchange = `nucleon-bench-md-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'nucleon-bench-md-'));
const logger = pino({ level: 'warn' });
const netId = randomUUID();
const vms: FakePort[] = Array.from({ length: VMS }, (_, i) => ({
  id: randomUUID(), device_id: randomUUID(), device_owner: 'compute:nova', network_id: netId, tenant_id: 'bench', mac_address: 'fa:16:3e:00:00:01', ips: [`10.50.0.${10 + i}`],
}));
const plugin = new FakePlugin(vms);
const children: ChildProcess[] = [];
let aborted = false;

type Which = 'nucleon' | 'nucleon-redis' | 'python';
interface Result { which: Which; load: LoadResult; rssKb: number; procs: number }

/** Its own process group, so the Python agent's worker goes with it; logs go to --log-file. */
function spawnGroup(argv: string[]): ChildProcess {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 15_000);
  await exited;
  clearTimeout(t);
}

function startNova(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('node', [join(REPO, 'dist/test/integration/metadata/fake-nova-main.js'), '127.0.0.1', '0', SECRET], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => { const m = /listening (\d+)/.exec(b.toString()); if (m) resolve({ child, port: Number(m[1]) }); });
    child.once('exit', () => reject(new Error('test Nova exited')));
  });
}

function writeConfig(which: Which, novaPort: number): string[] {
  const d = join(dir, which);
  mkdirSync(join(d, 'lock'), { recursive: true });
  const base = join(d, 'neutron.conf');
  writeFileSync(base, `[DEFAULT]\nhost = nt-bench-md-${which}\ntransport_url = ${BROKER}\ncontrol_exchange = ${exchange}\nstate_path = ${d}\n\n[agent]\nreport_interval = 30\n\n[oslo_concurrency]\nlock_path = ${d}/lock\n`);
  const cache = which === 'nucleon-redis'
    ? 'enabled = True\nbackend = dogpile.cache.redis\nbackend_argument = url:redis://127.0.0.1:6379/0\nexpiration_time = 600\n'
    : 'enabled = True\nbackend = dogpile.cache.memory\nexpiration_time = 600\n';
  const ini = join(d, 'metadata_agent.ini');
  writeFileSync(ini, `[DEFAULT]\nnova_metadata_host = 127.0.0.1\nnova_metadata_port = ${novaPort}\nmetadata_proxy_shared_secret = ${SECRET}\nmetadata_proxy_socket = ${d}/metadata_proxy\n\n[cache]\n${cache}`);
  return [base, ini];
}

const headersFor = (i: number) => ({ 'X-Neutron-Network-ID': netId, 'X-Forwarded-For': vms[i % VMS]!.ips[0]! });

async function warm(socketPath: string): Promise<void> {
  const until = Date.now() + 90_000;
  while (!existsSync(socketPath)) {
    if (Date.now() > until || aborted) throw new Error(`no socket at ${socketPath}`);
    await sleep(200);
  }
  for (let i = 0; i < VMS; i++) {
    for (;;) {
      const r = await unixLoad({ socketPath, concurrency: 1, durationMs: 1, next: () => ({ path: '/latest/meta-data/instance-id', headers: headersFor(i) }) });
      if (r.statuses['200']) break;
      if (Date.now() > until || aborted) throw new Error(`agent at ${socketPath} never answered 200 (${JSON.stringify(r.statuses)})`);
      await sleep(300);
    }
  }
}

async function measure(which: Which, novaPort: number): Promise<Result> {
  const files = writeConfig(which, novaPort);
  const socketPath = join(dir, which, 'metadata_proxy');
  const args = files.flatMap((f) => ['--config-file', f]);
  const child = which === 'python'
    ? spawnGroup(['/usr/bin/neutron-metadata-agent', ...args, '--log-file', join(dir, which, 'agent.log')])
    : spawnGroup(['node', join(REPO, 'dist/agents/metadata/main.js'), ...args, '--log-file', join(dir, which, 'agent.log')]);
  try {
    await warm(socketPath);
    await sleep(500);
    const load = await unixLoad({ socketPath, concurrency: CONCURRENCY, durationMs: DURATION_MS, next: (i) => ({ path: '/latest/meta-data/instance-id', headers: headersFor(i) }) });
    const rss = child.pid !== undefined && pidAlive(child.pid) ? treeRss(child.pid) : { rssKb: 0, procs: 0 };
    return { which, load, rssKb: rss.rssKb, procs: rss.procs };
  } finally {
    await stopGroup(child);
  }
}

async function cleanup(): Promise<void> {
  for (const c of children) await stopGroup(c);
  await plugin.stop().catch(() => undefined);
  const raw = await RawBroker.open().catch(() => undefined);
  if (raw) {
    await raw.deleteAll([...plugin.queues, 'q-reports-plugin'], [exchange, 'q-plugin_fanout']);
    await raw.close().catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
}

function print(results: Result[]): void {
  const py = results.find((r) => r.which === 'python');
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(1)}x` : '-');
  const rows = results.map((r) => [
    r.which, r.load.rps.toFixed(0), r.load.p50Ms.toFixed(1), r.load.p99Ms.toFixed(1), String(r.load.errors), `${(r.rssKb / 1024).toFixed(0)} MB (${r.procs})`,
    r.which === 'python' ? '-' : ratio(r.load.rps, py?.load.rps), r.which === 'python' ? '-' : ratio(py?.load.p99Ms ?? 0, r.load.p99Ms), r.which === 'python' ? '-' : ratio(py?.rssKb ?? 0, r.rssKb),
  ]);
  console.log(`metadata proxy, ${CONCURRENCY} concurrent clients, ${DURATION_MS / 1000} s each, ${VMS} VMs, ${cpus().length} CPUs`);
  console.log(formatTable(['agent', 'req/s', 'p50 ms', 'p99 ms', 'non-200', 'RSS (procs)', 'req/s vs py', 'p99 py/x', 'RSS py/x'], rows));
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => { aborted = true; console.error('watchdog: stopping'); void cleanup().then(() => process.exit(2)); }, WATCHDOG_MS);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { aborted = true; void cleanup().then(() => process.exit(130)); });
  try {
    await plugin.start({ transportUrl: BROKER, exchange, logger });
    const nova = await startNova();
    const results: Result[] = [];
    for (const which of ['nucleon', 'nucleon-redis', 'python'] as const) {
      if (aborted) break;
      results.push(await measure(which, nova.port));
      await sleep(1000);
    }
    print(results);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
