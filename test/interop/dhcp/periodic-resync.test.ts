/**
 * nucleon-dhcp-agent's periodic resync with many served networks, against the real
 * neutron-server: how long the periodic pass takes, how long a new port waits for its
 * lease when it is created while a pass runs (a clean pass, and a pass that repairs
 * hand-deleted namespaces), and that drift of every kind (namespace, veth, address,
 * dnsmasq, haproxy) is repaired within a resync interval.
 *
 * Figures are printed (`# ...` lines). A new port must be served by the first apply after
 * its notification (an order read from the agent's log, not a duration); the only timed
 * bounds are generous waits (a few intervals for a repair). NUCLEON_DHCP_RESYNC_NETWORKS sets
 * the number of networks (default 20), NUCLEON_DHCP_RESYNC_DEBUG=1 runs the agent with
 * debug logging and prints where a periodic pass spends its time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm, dhcpLease } from '../../harness/vm.js';

const run = promisify(execFile);
const PROJECT = 'nucleon-test';
const N = Math.max(6, Math.min(200, Number(process.env['NUCLEON_DHCP_RESYNC_NETWORKS'] ?? 20) || 20));
const DEBUG = process.env['NUCLEON_DHCP_RESYNC_DEBUG'] === '1';
/** [nucleon] resync_interval of the agent under test, seconds. */
const RESYNC_S = 5;

let server: NeutronServer;
let node: TestNode;
let lb: SpawnedProcess | undefined;
let dhcp: SpawnedProcess | undefined;
const conf = new ConfigDir();
const host = testName('dr');
const nets: string[] = [];
const ports: string[] = [];
const vms: TestVm[] = [];
let agentId = '';
const state = () => join(conf.dir, 'state');
const confDir = (net: string) => join(state(), 'dhcp', net);

interface Port { id: string; mac_address: string; fixed_ips: Array<{ ip_address: string; subnet_id: string }> }
interface ApplyLine { end: number; start: number; durationMs: number; fullSync: boolean; keys: number; ops: number | undefined; deferred: number; reason: string[] }

function pidFrom(file: string): number | undefined {
  try { return Number(readFileSync(file, 'utf8').trim()) || undefined; } catch { return undefined; }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try { return !/^State:\s+[ZX]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); } catch { return false; }
}

const dnsmasqPid = (net: string) => pidFrom(join(confDir(net), 'pid'));
const haproxyPid = (net: string) => pidFrom(join(state(), 'external', 'pids', `${net}.pid.haproxy`));

/** dnsmasq runs and lives in the namespace now named qdhcp-<net> (not a deleted one). */
function dnsmasqServes(net: string): boolean {
  const pid = dnsmasqPid(net);
  if (!alive(pid)) return false;
  try { return statSync(`/proc/${pid}/ns/net`).ino === statSync(`/run/netns/qdhcp-${net}`).ino; } catch { return false; }
}

function applies(): ApplyLine[] {
  return (dhcp?.log.json ?? []).filter((l) => l['msg'] === 'reconcile apply').map((l) => {
    const end = Date.parse(String(l['time']));
    const durationMs = Number(l['durationMs']);
    return { end, start: end - durationMs, durationMs, fullSync: l['fullSync'] === true, keys: Number(l['keys']), ops: typeof l['ops'] === 'number' ? l['ops'] : undefined, deferred: typeof l['deferred'] === 'number' ? l['deferred'] : 0, reason: Array.isArray(l['reason']) ? l['reason'].map(String) : [] };
  });
}

const periodic = () => applies().filter((a) => a.fullSync && a.reason.includes('periodic'));

/** Waits for a periodic pass that ends after `since`; returns it. */
function nextPeriodic(since: number, timeoutMs = (RESYNC_S * 4 + 60) * 1000): Promise<ApplyLine> {
  return waitFor(() => periodic().find((a) => a.end > since), { timeoutMs, intervalMs: 50, description: 'a periodic resync pass' });
}

interface Pass { start: number; end: number; busyMs: number; slices: number; ops: number }

/**
 * A periodic pass may be done in slices: its full-sync apply hands back the rest, the
 * next applies continue it. The pass ends with the first apply that defers nothing.
 */
function passOf(p: ApplyLine): Pass {
  const after = applies().filter((a) => a.start >= p.start).sort((x, y) => x.start - y.start);
  let end = p.end, busyMs = 0, slices = 0, ops = 0;
  for (const a of after) {
    busyMs += a.durationMs;
    slices += 1;
    ops += a.ops ?? 0;
    end = a.end;
    if (a.deferred === 0) break;
  }
  return { start: p.start, end, busyMs, slices, ops };
}

/** When the pass after `p` should start: one interval after p's start, never before p ended. */
function predictedStart(p: ApplyLine): number {
  return Math.max(p.start + RESYNC_S * 1000, p.end + 50);
}

const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

async function exec(argv: string[]): Promise<string> {
  return (await run(argv[0]!, argv.slice(1))).stdout;
}

async function ns(net: string): Promise<boolean> {
  return existsSync(`/run/netns/qdhcp-${net}`);
}

/**
 * Creates a compute port on `net` bound to our host at `at` (epoch ms), plugs a VM for
 * it and measures POST -> hosts file lists its MAC and POST -> udhcpc lease.
 */
async function leaseFor(net: string, label: string): Promise<{ hostsMs: number; leaseMs: number; servedOnNotice: boolean; notice: string }> {
  const t0 = Date.now();
  const p = (await neutronApi<{ port: Port }>('/ports', 'POST', { port: { network_id: net, project_id: PROJECT, 'binding:host_id': host, device_owner: 'compute:nova', device_id: crypto.randomUUID(), port_security_enabled: false } })).port;
  ports.push(p.id);
  const hostsAt = waitFor(() => readFileSync(join(confDir(net), 'host'), 'utf8').includes(p.mac_address) ? Date.now() : undefined, { timeoutMs: 30_000, intervalMs: 10, description: `hosts file with ${p.mac_address}` });
  const vm = await TestVm.plug(node, { netns: deviceName(`v${vms.length}`), portId: p.id, networkId: net, mac: p.mac_address });
  vms.push(vm);
  const lease = await waitFor(async () => { const l = await dhcpLease(vm, 12); return l?.ip === p.fixed_ips[0]!.ip_address ? Date.now() : undefined; }, { timeoutMs: 40_000, intervalMs: 100, description: `a lease for ${label}` });
  const hostsMs = (await hostsAt) - t0;
  const leaseMs = lease - t0;
  console.log(`# ${label}: port POST -> hosts file ${hostsMs} ms, -> lease ${leaseMs} ms (udhcpc DISCOVERs 1 s apart)`);
  // The agent's applies between the POST and the hosts file: what the port waited behind.
  const during = applies().filter((a) => a.end >= t0 && a.start <= t0 + hostsMs);
  console.log(`#   applies meanwhile (start relative to the POST): ${during.map((a) => `${a.start - t0} ms ${a.fullSync ? (a.reason.includes('periodic') ? 'periodic' : 'full') : 'incremental'} ${a.durationMs} ms, ${a.keys} keys${a.deferred ? `, ${a.deferred} deferred` : ''}`).join(' | ')}`);
  return { hostsMs, leaseMs, ...servedOnNotice(net, t0) };
}

/**
 * Was the port served without waiting behind the periodic pass's work? From the agent's
 * own log lines, in order: dnsmasq of `net` reloaded (or started) no later than the end
 * of the first apply whose reasons include port_create_end. (A pass running when the
 * notice came may serve it itself: then that later apply finds nothing to do.) An order,
 * not a duration: load stretches both alike, where a timed bound failed once on a
 * machine shared with benchmarks.
 */
function servedOnNotice(net: string, t0: number): { servedOnNotice: boolean; notice: string } {
  const reload = (dhcp?.log.json ?? []).find((l) => l['network_id'] === net && (l['msg'] === 'dnsmasq reloaded' || l['msg'] === 'dnsmasq running') && Date.parse(String(l['time'])) >= t0);
  const at = reload ? Date.parse(String(reload['time'])) : undefined;
  const first = applies().filter((a) => a.end >= t0 && a.reason.includes('port_create_end')).sort((x, y) => x.end - y.end)[0];
  const notice = `${first ? `first apply for port_create_end ${first.start - t0}..${first.end - t0} ms, ${first.keys} keys${first.deferred ? `, ${first.deferred} deferred` : ''}` : 'no apply for port_create_end'}; dnsmasq reloaded at ${at === undefined ? '-' : at - t0} ms (after the POST)`;
  return { servedOnNotice: at !== undefined && (first === undefined || at <= first.end), notice };
}

/** With debug logging: where the commands of the pass [start, end] spent their time. */
function profile(p: Pass): void {
  if (!DEBUG || !dhcp) return;
  const by = new Map<string, { n: number; ms: number }>();
  for (const l of dhcp.log.json) {
    const t = Date.parse(String(l['time']));
    if (t < p.start || t > p.end || l['msg'] !== 'command') continue;
    const argv = (l['argv'] as string[]).filter((a) => !/^qdhcp-|^[0-9a-f-]{36}$/.test(a));
    const key = argv.slice(0, argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'exec' ? 6 : 4).join(' ');
    const e = by.get(key) ?? { n: 0, ms: 0 };
    e.n += 1;
    e.ms += Number(l['durationMs']);
    by.set(key, e);
  }
  const rpc = dhcp.log.json.filter((l) => l['msg'] === 'RPC call sent' && Date.parse(String(l['time'])) >= p.start && Date.parse(String(l['time'])) <= p.end).map((l) => String(l['method']));
  console.log(`#   pass ${p.end - p.start} ms (${p.slices} slices, ${p.busyMs} ms busy): RPC calls ${rpc.length} (${[...new Set(rpc)].join(', ')})`);
  for (const [k, v] of [...by].sort((a, b) => b[1].ms - a[1].ms)) console.log(`#   ${v.n} x ${k}: ${v.ms} ms total`);
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('r'));
  await node.exec(['ip', 'link', 'add', deviceName('vt0'), 'type', 'veth', 'peer', 'name', deviceName('vt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.247.1/24', 'dev', deviceName('vt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('vt0'), 'up']);
  const base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: state(), interface_driver: 'linuxbridge', debug: DEBUG }, agent: { report_interval: 5 }, nucleon: { resync_interval: RESYNC_S } });
  lb = startDaemon(node, 'linuxbridge', [base, conf.write('linuxbridge_agent.ini', { vxlan: { enable_vxlan: true, local_ip: '172.31.247.1' }, securitygroup: { enable_security_group: false } })]);
  dhcp = startDaemon(node, 'dhcp', [base, conf.write('dhcp_agent.ini', { DEFAULT: { enable_isolated_metadata: true } })]);
  await waitForLog(lb, 'registered with neutron-server');
  await waitForLog(dhcp, 'registered with neutron-server');
  agentId = (await neutronApi<{ agents: Array<{ id: string }> }>(`/agents?host=${host}&agent_type=DHCP%20agent`)).agents[0]!.id;
  // One at a time: concurrent dhcp-networks POSTs deadlock in the server (DBDeadlock).
  // Scheduled before the subnet exists, so the auto-scheduler adds no other agent.
  for (let i = 0; i < N; i++) {
    const net = (await neutronApi<{ network: { id: string } }>('/networks', 'POST', { network: { name: testName(`rs${i}`), project_id: PROJECT } })).network.id;
    nets.push(net);
    await neutronApi(`/agents/${agentId}/dhcp-networks`, 'POST', { network_id: net });
    await neutronApi('/subnets', 'POST', { subnet: { network_id: net, ip_version: 4, cidr: `10.91.${i}.0/24`, enable_dhcp: true, project_id: PROJECT } });
  }
  await waitFor(() => nets.every(dnsmasqServes), { timeoutMs: 60_000 + N * 2_000, intervalMs: 500, description: `dnsmasq serving all ${N} networks` });
});

after(async () => {
  for (const p of [dhcp, lb]) if (p) await node?.stopProcess(p, 10_000);
  for (const v of vms) await v.unplug();
  for (const p of ports) await neutronApi(`/ports/${p}`, 'DELETE').catch(() => undefined);
  for (const n of nets) await neutronApi(`/networks/${n}`, 'DELETE').catch(() => undefined);
  await node?.cleanup();
  // dnsmasq and haproxy outlive the agent by design; ConfigDir.remove ends them by our dir.
  conf.remove();
  const left = new Set(nets.map((n) => `qdhcp-${n}`));
  for (const n of JSON.parse(execFileSync('ip', ['-json', 'netns', 'list']).toString() || '[]') as Array<{ name: string }>) {
    if (left.has(n.name)) execFileSync('ip', ['netns', 'del', n.name]);
  }
  await deleteAgents({ host }).catch(() => undefined);
});

test(`periodic resync over ${N} served networks: duration printed`, async () => {
  const first = await nextPeriodic(Date.now());
  const seen = [first];
  while (seen.length < 3) seen.push(await nextPeriodic(seen[seen.length - 1]!.end));
  await new Promise((r) => setTimeout(r, 3000)); // let the last pass's slices finish
  const passes = seen.map(passOf);
  for (const p of passes) profile(p);
  console.log(`# periodic pass with ${N} networks: ${passes.map((p) => `${p.end - p.start} ms (${p.slices} slice${p.slices > 1 ? 's' : ''}, longest apply ${Math.max(...applies().filter((a) => a.start >= p.start && a.end <= p.end).map((a) => a.durationMs))} ms)`).join(', ')}; ops ${passes.map((p) => p.ops).join(', ')}`);
  const between = applies().filter((a) => a.end > first.start && a.end <= seen[2]!.end && !a.fullSync);
  if (between.length > 0) console.log(`#   plus ${between.length} incremental applies meanwhile: ${between.map((a) => `${a.durationMs} ms/${a.keys} keys`).join(', ')}`);
});

test('a port created when a periodic pass starts gets its lease promptly', async () => {
  const p = await nextPeriodic(Date.now());
  await sleepUntil(predictedStart(p) + 20);
  const r = await leaseFor(nets[0]!, 'port created at the start of a clean periodic pass');
  assert.ok(r.servedOnNotice, `the port is served by the first apply after its notification: ${r.notice}`);
});

test('a port created while a periodic pass repairs hand-deleted namespaces gets its lease promptly', async () => {
  const victims = nets.slice(2, 2 + Math.floor(N / 2));
  const p = await nextPeriodic(Date.now());
  const at = predictedStart(p);
  await sleepUntil(at - 300);
  for (const v of victims) await exec(['ip', 'netns', 'del', `qdhcp-${v}`]);
  await sleepUntil(at + 50);
  const t0 = Date.now();
  const r = await leaseFor(nets[1]!, `port created while ${victims.length} deleted namespaces are repaired`);
  await waitFor(() => victims.every(dnsmasqServes), { timeoutMs: (RESYNC_S * 3 + 30) * 1000, intervalMs: 100, description: 'deleted namespaces rebuilt with dnsmasq inside' });
  console.log(`# ${victims.length} deleted namespaces rebuilt, dnsmasq in each, ${Date.now() - (at - 300)} ms after the deletion (${Date.now() - t0} ms after the port POST)`);
  assert.ok(r.servedOnNotice, `the port is served by the first apply after its notification, not after the repairs: ${r.notice}`);
});

test('drift is repaired within a resync interval: namespace, veth, address, dnsmasq, haproxy', async () => {
  const [a, b, c, d, e] = nets.slice(-5) as [string, string, string, string, string];
  // The DHCP port's ns- device and its address in b, the tap of c in the node.
  const bDev = (await exec(['ip', '-n', `qdhcp-${b}`, '-o', 'link', 'show'])).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').find((n) => n.startsWith('ns-'))!;
  const bAddr = (await exec(['ip', '-n', `qdhcp-${b}`, '-o', '-4', 'addr', 'show', 'dev', bDev])).split('\n').map((l) => l.split(/\s+/)[3] ?? '').find((x) => x.startsWith('10.91.') || x.startsWith('169.254.'))!;
  const cTap = (await exec(['ip', '-n', `qdhcp-${c}`, '-o', 'link', 'show'])).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').find((n) => n.startsWith('ns-'))!.replace(/^ns-/, 'tap');
  const dPid = dnsmasqPid(d);
  const ePid = haproxyPid(e);
  assert.ok(alive(dPid) && alive(ePid), 'dnsmasq and haproxy run before the drift');
  const t0 = Date.now();
  await exec(['ip', 'netns', 'del', `qdhcp-${a}`]);
  await exec(['ip', '-n', `qdhcp-${b}`, 'addr', 'del', bAddr, 'dev', bDev]);
  await exec(['ip', '-n', node.netns, 'link', 'del', cTap]);
  process.kill(dPid!, 'SIGKILL');
  process.kill(ePid!, 'SIGKILL');
  const repaired = async () => dnsmasqServes(a)
    && (await exec(['ip', '-n', `qdhcp-${b}`, '-o', 'addr', 'show', 'dev', bDev])).includes(bAddr)
    && (await exec(['ip', '-n', node.netns, '-o', 'link', 'show', 'dev', cTap]).catch(() => '')).includes('UP')
    && dnsmasqServes(c) && dnsmasqServes(d) && dnsmasqPid(d) !== dPid
    && alive(haproxyPid(e)) && haproxyPid(e) !== ePid;
  await waitFor(repaired, { timeoutMs: (RESYNC_S * 2 + 20) * 1000, intervalMs: 200, description: 'every drift repaired' });
  console.log(`# drift (deleted namespace, address, veth; killed dnsmasq, haproxy) repaired ${Date.now() - t0} ms after it was made (resync_interval ${RESYNC_S} s)`);
  assert.ok(await ns(a));
});
