/**
 * RPC call throughput and latency on the local broker, side by side:
 *   nucleon client → nucleon server
 *   nucleon client → Python oslo.messaging server
 *   Python client  → Python oslo.messaging server (the reference)
 * Sequential calls (one outstanding at a time, like an agent's loop), N each,
 * after a short warm-up. Prints a table with ratios against Python → Python.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { OsloConnection, OsloRpcServer, OsloRpcClient } from '../shared/rpc/index.js';
import { replyWaiterFor } from '../shared/rpc/reply-waiter.js';
import { RawBroker, runPrefix } from '../test/integration/rpc/helpers.js';
import { PyPeer } from '../test/interop/rpc/py-peer.js';

const N = Number(process.env['RPC_BENCH_CALLS'] ?? 2000);
const WARMUP = 100;
const URL = process.env['NUCLEON_TEST_TRANSPORT_URL'] ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const ARGS = { device: 'tap0123456789a', agent_id: 'lb0242ac110002', host: 'bench' };

interface Row {
  name: string;
  calls: number;
  totalS: number;
  latencies: number[];
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeCalls(client: OsloRpcClient, server: string): Promise<Row & { name: '' }> {
  for (let i = 0; i < WARMUP; i++) await client.call('echo', ARGS, { server });
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    await client.call('echo', ARGS, { server });
    lat.push(performance.now() - s);
  }
  return { name: '', calls: N, totalS: (performance.now() - t0) / 1000, latencies: lat };
}

async function main(): Promise<void> {
  const started = Date.now();
  const logger = pino({ level: 'warn' });
  const prefix = runPrefix();
  const exchange = `${prefix}-ex`;
  const topic = `${prefix}-bench`;
  const conn = new OsloConnection({ transportUrl: URL, controlExchange: exchange, logger, connectionName: 'rpc-bench' });
  conn.start();
  await conn.waitConnected(10_000);
  const server = new OsloRpcServer(conn, {
    topic,
    server: 'nhost',
    logger,
    endpoints: [{ version: '1.9', methods: { echo: (_c, a) => ({ device: a['device'], exists: true }) } }],
  });
  await server.start();
  const client = new OsloRpcClient(conn, { topic, timeoutMs: 30_000, logger });
  const pyServer = new PyPeer({ url: URL, exchange, topic, server: 'pyhost' });
  let pyClient: PyPeer | null = null;
  const rows: Row[] = [];
  try {
    rows.push({ ...(await timeCalls(client, 'nhost')), name: 'nucleon → nucleon' });
    const ready = await pyServer.ready();
    if (ready.event !== 'ready') throw new Error(`python server failed: ${JSON.stringify(ready)}`);
    rows.push({ ...(await timeCalls(client, 'pyhost')), name: 'nucleon → Python' });
    pyClient = new PyPeer({
      url: URL,
      exchange,
      topic,
      ops: [
        { op: 'bench', method: 'echo', args: ARGS, n: WARMUP, server: 'pyhost' },
        { op: 'bench', method: 'echo', args: ARGS, n: N, server: 'pyhost' },
      ],
    });
    await pyClient.done(120_000);
    const r = pyClient.results()[1];
    if (!r || r['ok'] !== true) throw new Error(`python client failed: ${JSON.stringify(r)}`);
    const res = r['result'] as { latencies_ms: number[]; total_s: number };
    rows.push({ name: 'Python → Python', calls: N, totalS: res.total_s, latencies: res.latencies_ms });
  } finally {
    await pyClient?.stop();
    await pyServer.stop();
    await server.stop();
    const replyQ = replyWaiterFor(conn).queueName;
    await conn.close();
    const raw = await RawBroker.open();
    await raw.deleteAll(
      [topic, `${topic}.nhost`, `${topic}.pyhost`, replyQ, ...server.queues, ...pyServer.queues(), ...(pyClient?.queues() ?? [])],
      [exchange, `${topic}_fanout`],
    );
    await raw.close();
  }

  const ref = rows.find((r) => r.name === 'Python → Python')!;
  const refRate = ref.calls / ref.totalS;
  const refP50 = pct([...ref.latencies].sort((a, b) => a - b), 50);
  const fmt = (n: number, w: number, d = 2): string => n.toFixed(d).padStart(w);
  console.log(`RPC call, sequential, ${N} calls each (+${WARMUP} warm-up), local RabbitMQ`);
  console.log(`${'path'.padEnd(20)} ${'calls/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'rate vs Py→Py'.padStart(14)} ${'p50 vs Py→Py'.padStart(13)}`);
  for (const r of rows) {
    const s = [...r.latencies].sort((a, b) => a - b);
    const rate = r.calls / r.totalS;
    console.log(
      `${r.name.padEnd(20)} ${fmt(rate, 9, 0)} ${fmt(pct(s, 50), 8)} ${fmt(pct(s, 99), 8)} ${fmt(rate / refRate, 13)}x ${fmt(pct(s, 50) / refP50, 12)}x`,
    );
  }
  console.log(`total run time ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
