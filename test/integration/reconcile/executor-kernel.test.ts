import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { ipJson, NetnsFixture, type JsonAddr, type JsonLink, type JsonRoute } from './netns-fixture.js';

const fx = new NetnsFixture();
const runner = new ExecaCommandRunner();
const ex = new Executor({ runner });
let nsA = '';
let nsB = '';

before(() => {
  nsA = fx.name('a');
  nsB = fx.name('b');
});
after(async () => {
  await fx.cleanup();
});

/** A router-ish namespace wired to a "host" namespace: bridge + 2 veth pairs. */
function topology(): Op[] {
  const k = 'network:n1';
  const p = 'port:p1';
  return [
    { kind: 'netns.add', key: k, name: nsA },
    { kind: 'netns.add', key: k, name: nsB },
    { kind: 'link.add', key: k, netns: nsA, name: 'brq1', link: { type: 'bridge', stp: false, forwardDelay: 0 } },
    { kind: 'link.add', key: p, netns: nsA, name: 'tap1', mtu: 1450, link: { type: 'veth', peer: 'qr-1', peerNetns: nsB } },
    { kind: 'link.add', key: p, netns: nsA, name: 'tap2', link: { type: 'veth', peer: 'qg-1' } },
    { kind: 'link.set', key: p, netns: nsA, name: 'qg-1', moveTo: nsB, up: true, address: 'fa:16:3e:00:00:02' },
    { kind: 'link.set', key: p, netns: nsA, name: 'tap1', master: 'brq1', up: true },
    { kind: 'link.set', key: p, netns: nsA, name: 'tap2', master: 'brq1', up: true },
    { kind: 'link.set', key: k, netns: nsA, name: 'brq1', up: true },
    { kind: 'link.set', key: p, netns: nsB, name: 'qr-1', up: true, mtu: 1450 },
    { kind: 'addr.add', key: k, netns: nsA, dev: 'brq1', cidr: '10.50.0.1/24' },
    { kind: 'addr.add', key: p, netns: nsB, dev: 'qr-1', cidr: '10.50.0.2/24' },
    { kind: 'addr.add', key: p, netns: nsB, dev: 'qr-1', cidr: 'fd00:50::2/64' },
    { kind: 'addr.add', key: p, netns: nsB, dev: 'qg-1', cidr: '198.51.100.2/24' },
    { kind: 'route.replace', key: p, netns: nsB, dst: '10.60.0.0/16', via: '10.50.0.1', proto: 77, metric: 10 },
    { kind: 'route.replace', key: p, netns: nsB, dst: 'default', via: '198.51.100.1', dev: 'qg-1' },
    { kind: 'neigh.replace', key: p, netns: nsB, ip: '10.50.0.9', lladdr: 'fa:16:3e:00:00:09', dev: 'qr-1' },
    { kind: 'sysctl.set', key: 'router:r1', netns: nsB, name: 'net.ipv4.ip_forward', value: '1' },
  ];
}

test('a bridge, veth pairs (one created into, one moved into another namespace), addresses and routes in one apply', async () => {
  const r = await ex.apply(topology());
  assert.deepEqual(r.failed.map((f) => `${f.key}: ${f.error.message}`), []);
  assert.equal(r.applied, topology().length);
  // netns batch, nsA batch, nsB batch, sysctl: 4 processes for 18 ops.
  assert.equal(r.commands, 4);

  const linksA = await ipJson<JsonLink[]>(nsA, ['link', 'show']);
  const byName = (ls: JsonLink[], n: string): JsonLink | undefined => ls.find((l) => l.ifname === n);
  assert.equal(byName(linksA, 'tap1')?.master, 'brq1');
  assert.equal(byName(linksA, 'tap2')?.master, 'brq1');
  assert.equal(byName(linksA, 'tap1')?.mtu, 1450);
  assert.ok(byName(linksA, 'brq1')?.flags.includes('UP'));
  assert.equal(byName(linksA, 'qg-1'), undefined, 'moved away');

  const linksB = await ipJson<JsonLink[]>(nsB, ['link', 'show']);
  assert.ok(byName(linksB, 'qr-1')?.flags.includes('UP'));
  assert.equal(byName(linksB, 'qg-1')?.address, 'fa:16:3e:00:00:02');

  const addrsB = await ipJson<JsonAddr[]>(nsB, ['addr', 'show']);
  const locals = addrsB.flatMap((a) => a.addr_info.map((i) => `${a.ifname} ${i.local}/${i.prefixlen}`));
  for (const want of ['qr-1 10.50.0.2/24', 'qr-1 fd00:50::2/64', 'qg-1 198.51.100.2/24']) assert.ok(locals.includes(want), `${want} in ${locals.join(', ')}`);

  const routes = await ipJson<JsonRoute[]>(nsB, ['route', 'show']);
  const r60 = routes.find((x) => x.dst === '10.60.0.0/16');
  assert.equal(r60?.gateway, '10.50.0.1');
  assert.equal(String(r60?.protocol), '77');
  assert.equal(r60?.metric, 10);
  assert.equal(routes.find((x) => x.dst === 'default')?.gateway, '198.51.100.1');
  const neigh = await ipJson<Array<{ dst: string; lladdr: string; state: string[] }>>(nsB, ['neigh', 'show', 'dev', 'qr-1']);
  assert.deepEqual(neigh.map((n) => [n.dst, n.lladdr, n.state[0]]), [['10.50.0.9', 'fa:16:3e:00:00:09', 'PERMANENT']]);
  const fwd = await execa('ip', ['netns', 'exec', nsB, 'sysctl', '-n', 'net.ipv4.ip_forward']);
  assert.equal(fwd.stdout.trim(), '1');
  // Connectivity through the bridge.
  await execa('ip', ['netns', 'exec', nsB, 'busybox', 'ping', '-c1', '-W1', '10.50.0.1']);
});

test('re-applying the same ops succeeds (EXISTS on add is success, the rest is replace/set)', async () => {
  // Skip the moveTo op: after the first apply qg-1 lives in nsB (a planner would not emit it).
  const ops = topology().filter((o) => !(o.kind === 'link.set' && o.moveTo !== undefined));
  const r = await ex.apply(ops);
  assert.deepEqual(r.failed.map((f) => `${f.key}: ${f.error.message}`), []);
  assert.equal(r.applied, ops.length);
});

test('one bad line: the other ops are applied, the bad op is attributed to its key with stderr', async () => {
  const ops: Op[] = [
    { kind: 'addr.add', key: 'port:good1', netns: nsB, dev: 'qr-1', cidr: '10.51.0.2/24' },
    { kind: 'addr.add', key: 'port:bad', netns: nsB, dev: 'nosuch0', cidr: '10.52.0.2/24' },
    { kind: 'link.add', key: 'port:unsupported', netns: nsB, name: 'dm0', link: { type: 'vlan', parent: 'qr-1', vlanId: 5 } },
    { kind: 'route.replace', key: 'port:good2', netns: nsB, dst: '10.61.0.0/16', via: '10.51.0.1' },
    // Deletes of missing things are success.
    { kind: 'route.del', key: 'port:gone', netns: nsB, dst: '10.99.0.0/16' },
    { kind: 'addr.del', key: 'port:gone', netns: nsB, dev: 'qr-1', cidr: '10.98.0.1/24' },
    { kind: 'neigh.del', key: 'port:gone', netns: nsB, ip: '10.50.0.77', dev: 'qr-1' },
    { kind: 'link.del', key: 'port:gone', netns: nsB, name: 'gone0' },
  ];
  const r = await ex.apply(ops);
  const failed = new Map(r.failed.map((f) => [f.key, f.error]));
  assert.deepEqual([...failed.keys()].sort(), ['port:bad', 'port:unsupported']);
  const bad = failed.get('port:bad');
  assert.ok(bad instanceof CommandError);
  assert.equal(bad.kind, 'NOT_FOUND');
  assert.match(bad.stderr, /Cannot find device "nosuch0"/);
  assert.deepEqual(bad.argv, ['ip', '-n', nsB, 'addr', 'add', '10.52.0.2/24', 'dev', 'nosuch0']);
  // The CI kernel has no 8021q: FATAL, not mistaken for something tolerable.
  assert.equal(failed.get('port:unsupported')?.kind, 'FATAL');
  const routes = await ipJson<JsonRoute[]>(nsB, ['route', 'show']);
  assert.ok(routes.some((x) => x.dst === '10.61.0.0/16'), 'route after the bad line applied');
});

test('a failing neigh replace (kills the batch) is isolated to its key', async () => {
  // An IPv6 neighbour on a device with IPv6 disabled is rejected by the kernel
  // ("Error: IPv6 is disabled on this device."), and iproute2 then exit(2)s the batch.
  const setup = await ex.apply([
    { kind: 'link.add', key: 'n:setup', netns: nsB, name: 'v6off', link: { type: 'veth', peer: 'v6offp' } },
    { kind: 'sysctl.set', key: 'n:setup', netns: nsB, name: 'net.ipv6.conf.v6off.disable_ipv6', value: '1' },
  ]);
  assert.deepEqual(setup.failed, []);
  const ops: Op[] = [
    { kind: 'neigh.replace', key: 'n:ok1', netns: nsB, ip: '10.50.0.11', lladdr: 'fa:16:3e:00:00:11', dev: 'qr-1' },
    { kind: 'neigh.replace', key: 'n:bad', netns: nsB, ip: 'fd00:50::12', lladdr: 'fa:16:3e:00:00:12', dev: 'v6off' },
    { kind: 'neigh.replace', key: 'n:ok2', netns: nsB, ip: '10.50.0.13', lladdr: 'fa:16:3e:00:00:13', dev: 'qr-1' },
    { kind: 'addr.add', key: 'n:addr', netns: nsB, dev: 'qr-1', cidr: '10.53.0.2/24' },
  ];
  const r = await ex.apply(ops);
  assert.deepEqual(r.failed.map((f) => f.key), ['n:bad']);
  assert.match((r.failed[0]?.error as CommandError).stderr, /IPv6 is disabled/);
  const neigh = await ipJson<Array<{ dst: string }>>(nsB, ['neigh', 'show', 'dev', 'qr-1']);
  const dsts = neigh.map((n) => n.dst);
  assert.ok(dsts.includes('10.50.0.11') && dsts.includes('10.50.0.13'), dsts.join(','));
});

test('vxlan with fdb entries (bridge batch), then deletes in reverse order down to the namespaces', async () => {
  const k = 'network:vx';
  const add: Op[] = [
    { kind: 'link.add', key: k, netns: nsA, name: 'vxlan-42', link: { type: 'vxlan', vni: 42, local: '10.50.0.1', dev: 'brq1', dstport: 4789, ttl: 32, nolearning: true, proxy: true } },
    { kind: 'link.set', key: k, netns: nsA, name: 'vxlan-42', up: true },
    { kind: 'fdb.append', key: k, netns: nsA, mac: '00:00:00:00:00:00', dev: 'vxlan-42', dst: '10.50.0.2' },
    { kind: 'fdb.append', key: k, netns: nsA, mac: 'fa:16:3e:00:00:21', dev: 'vxlan-42', dst: '10.50.0.2' },
  ];
  let r = await ex.apply(add);
  assert.deepEqual(r.failed.map((f) => f.error.message), []);
  const fdb = await execa('bridge', ['-n', nsA, 'fdb', 'show', 'dev', 'vxlan-42']);
  assert.match(fdb.stdout, /00:00:00:00:00:00 dst 10\.50\.0\.2/);
  assert.match(fdb.stdout, /fa:16:3e:00:00:21 dst 10\.50\.0\.2/);
  const details = await ipJson<Array<{ linkinfo: { info_data: { id: number; port: number; learning: boolean } } }>>(nsA, ['-details', 'link', 'show', 'vxlan-42']);
  assert.deepEqual([details[0]?.linkinfo.info_data.id, details[0]?.linkinfo.info_data.port, details[0]?.linkinfo.info_data.learning], [42, 4789, false]);

  r = await ex.apply([
    { kind: 'netns.del', key: k, name: nsB },
    { kind: 'link.del', key: k, netns: nsA, name: 'vxlan-42' },
    { kind: 'fdb.del', key: k, netns: nsA, mac: 'fa:16:3e:00:00:21', dev: 'vxlan-42', dst: '10.50.0.2' },
    { kind: 'addr.del', key: k, netns: nsA, dev: 'brq1', cidr: '10.50.0.1/24' },
  ]);
  assert.deepEqual(r.failed.map((f) => f.error.message), []);
  const ns = (await execa('ip', ['netns', 'list'])).stdout;
  assert.ok(!ns.includes(nsB));
  const addrs = await ipJson<JsonAddr[]>(nsA, ['addr', 'show', 'dev', 'brq1']);
  assert.deepEqual(addrs[0]?.addr_info.filter((a) => a.family === 'inet'), []);
  // Deleting again: everything is already gone, which is success.
  r = await ex.apply([
    { kind: 'netns.del', key: k, name: nsB },
    { kind: 'link.del', key: k, netns: nsB, name: 'qr-1' },
    { kind: 'link.del', key: k, netns: nsA, name: 'vxlan-42' },
  ]);
  assert.deepEqual(r.failed.map((f) => f.error.message), []);
});
