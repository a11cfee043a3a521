/**
 * `interface_driver = openvswitch` against a real private OVS (netdev datapath): the
 * DHCP agent's kernel planner (planDhcpKernel) plugs a DHCP port into the integration
 * bridge and the namespace; a second apply is a no-op; traffic (ICMP and TCP) reaches
 * the namespace once the port is wired as the OVS agent would; a veth re-created
 * behind our back is re-plugged and forwards again; unplug removes the port and the
 * pair; the full-sync sweep removes a stale port of ours and leaves foreign ones.
 *
 * Where: the agents' kernel code puts the tap in the root namespace, so this OVS runs
 * in the root namespace too (startOvs without netns), with a per-run bridge name
 * (its netdev bridge port is a root tap of that name, deleted at the end: it outlives
 * vswitchd). Every veth made here has one end in a namespace this test deletes, so
 * deleting the namespaces removes the root ends; nothing of the host is touched.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import { readLinks } from '../../../shared/drivers/ip-links.js';
import { applyPlugPlan, OvsInterfaceDriver, type PlugPlan } from '../../../shared/drivers/interface-driver/index.js';
import { dhcpDevices, dhcpNamespace, planDhcpKernel, type DesiredDhcpNetns } from '../../../agents/dhcp/kernel.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { deviceName, testName } from '../../harness/names.js';
import { OvsNetns } from '../ovs/netns.js';
import { dropNamespaces, ifaceRow, linkIn, portRow, readDhcpNs } from './helpers.js';

const runner = new ExecaCommandRunner();
const nets = new OvsNetns();
const BR = deviceName('int');
const HOST = testName('host');
const MTU = 1400;
const made: string[] = [];
let ovs: OvsInstance | undefined;
let driver: OvsInterfaceDriver;
let executor: Executor;

const net1: DesiredDhcpNetns = { networkId: randomUUID(), portId: randomUUID(), mac: 'fa:16:3e:10:00:02', mtu: MTU, cidrs: ['10.93.0.2/24'], gateway: '10.93.0.1', metadata: false };
const KEY1 = `network:${net1.networkId}`;
const dev1 = dhcpDevices(net1.portId);
const ns1 = dhcpNamespace(net1.networkId);

/** One serve() of the DHCP agent, kernel part: read, plan with the driver, apply. */
async function serve(d: DesiredDhcpNetns): Promise<PlugPlan> {
  const netns = dhcpNamespace(d.networkId);
  if (!made.includes(netns)) made.push(netns);
  const plan = await planFor(d);
  const r = await applyPlugPlan(executor, runner, plan);
  assert.deepEqual(r.failed.map((f) => `${f.key}: ${f.error.message}`), [], ovs?.logs());
  assert.deepEqual(r.commandFailures.map((f) => f.error.message), []);
  return plan;
}

async function planFor(d: DesiredDhcpNetns): Promise<PlugPlan> {
  const netns = dhcpNamespace(d.networkId);
  const { ns } = dhcpDevices(d.portId);
  const [actual, root, state] = await Promise.all([readDhcpNs(runner, netns), readLinks(runner), driver.readState()]);
  if (actual.links.has(ns)) actual.offload = await driver.readOffload(netns, [ns], state);
  return planDhcpKernel(d, actual, root, driver, state);
}

async function ping(from: string, ip: string): Promise<boolean> {
  const r = await nets.exec(from, ['ping', '-c', '2', '-i', '0.2', '-W', '2', ip], { reject: false });
  return r.exitCode === 0;
}

/** Wiring is committed when ovs-vsctl returns; vswitchd revalidates its flow cache a moment later. */
async function pingSoon(from: string, ip: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) if (await ping(from, ip)) return true;
  return false;
}

/** What the OVS agent does once it wires a port: a local VLAN, no dead-VLAN trunk. */
async function wire(port: string, tag: number): Promise<void> {
  await ovs!.vsctl(['set', 'Port', port, `tag=${tag}`, '--', 'clear', 'Port', port, 'vlan_mode', '--', 'clear', 'Port', port, 'trunks']);
}

let vm = '';
const VM_TAP = deviceName('vm');

before(async () => {
  ovs = await startOvs({ name: 'ifdrv' });
  await ovs.vsctl(['add-br', BR, '--', 'set', 'Bridge', BR, 'datapath_type=netdev']);
  // [ovs] datapath_type left at 'system': the driver must see netdev on the bridge itself.
  driver = new OvsInterfaceDriver({ runner, integrationBridge: BR, ovsdbConnection: ovs.dbUrl, ovsdbTimeoutSec: 10, datapathType: 'system', owner: { agent: 'dhcp', host: HOST } });
  executor = new Executor({ runner, ...driver.executorOptions });
  // A "VM" on the same network, plugged and wired as nova + the OVS agent would.
  vm = await nets.add('vm');
  await execa('ip', ['link', 'add', VM_TAP, 'mtu', String(MTU), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm]);
  await execa('ip', ['link', 'set', VM_TAP, 'up']);
  await nets.ip(vm, ['link', 'set', 'eth0', 'up']);
  await nets.ip(vm, ['addr', 'add', '10.93.0.5/24', 'dev', 'eth0']);
  await nets.exec(vm, ['ethtool', '-K', 'eth0', 'rx', 'off', 'tx', 'off']);
  await ovs.vsctl(['add-port', BR, VM_TAP, 'tag=7']);
});

after(async () => {
  try {
    await dropNamespaces(made);
    await nets.cleanup();
  } finally {
    await ovs?.vsctl(['--if-exists', 'del-br', BR]).catch(() => undefined);
    await ovs?.stop();
    // The netdev bridge port is a tap that outlives vswitchd (it stays in the root
    // namespace after the daemon exits): ours by its per-run name.
    await execa('ip', ['link', 'del', BR], { reject: false });
  }
});

test('a DHCP port is plugged: br-int port with the external_ids, on the dead VLAN; veth at the MTU; offload and IPv6 off', async () => {
  const plan = await serve(net1);
  assert.deepEqual(plan.detach, []);
  const iface = await ifaceRow(ovs!, dev1.tap);
  assert.deepEqual(iface.externalIds, {
    'iface-id': net1.portId, 'iface-status': 'active', 'attached-mac': net1.mac,
    'nucleon-owner': 'dhcp', 'nucleon-host': HOST, 'nucleon-resource': KEY1,
  });
  assert.ok(iface.ofport > 0, `ofport ${iface.ofport}, error ${iface.error}`);
  assert.equal(iface.error, '');
  assert.ok((await ovs!.vsctl(['list-ports', BR])).split('\n').includes(dev1.tap));
  assert.deepEqual(await portRow(ovs!, dev1.tap), { tag: 4095, vlanMode: 'trunk', trunks: [4095] });
  const tap = await linkIn(undefined, dev1.tap);
  const inner = await linkIn(ns1, dev1.ns);
  assert.equal(tap?.mtu, MTU);
  assert.equal(inner?.mtu, MTU);
  assert.equal(inner?.address, net1.mac);
  assert.ok(tap?.flags.includes('UP') && inner?.flags.includes('UP'));
  const k = (await nets.exec(ns1, ['ethtool', '-k', dev1.ns])).stdout;
  assert.match(k, /^tx-checksumming: off/m);
  assert.match(k, /^rx-checksumming: off/m);
  assert.equal(readFileSync(`/proc/sys/net/ipv6/conf/${dev1.tap}/disable_ipv6`, 'utf8').trim(), '1');
});

test('re-apply is a no-op: nothing to detach, no op, no command', async () => {
  const plan = await planFor(net1);
  assert.deepEqual(plan, { detach: [], ops: [], commands: [] });
});

test('until the OVS agent wires it nothing passes; wired, ICMP and TCP reach the DHCP namespace', async () => {
  assert.equal(await ping(vm, '10.93.0.2'), false, 'the dead VLAN drops it');
  // The probe above left a FAILED neighbour entry behind; start clean.
  await nets.ip(vm, ['neigh', 'flush', 'dev', 'eth0']);
  await wire(dev1.tap, 7);
  assert.ok(await pingSoon(vm, '10.93.0.2'), `ping failed\n${await ovs!.appctl(['dpif/show'])}`);
  // TCP needs tx offload off on both namespace ends (KERNEL.md §1): the driver did ours.
  const server = spawn('ip', ['netns', 'exec', ns1, 'busybox', 'nc', '-l', '-p', '5093'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let got = '';
  server.stdout.on('data', (b: Buffer) => { got += b.toString(); });
  const exited = new Promise((res) => server.once('exit', res));
  try {
    let sent = false;
    for (let i = 0; i < 20 && !sent; i++) {
      const c = await nets.exec(vm, ['sh', '-c', 'echo over-the-dhcp-port | busybox nc -w 3 10.93.0.2 5093'], { reject: false });
      sent = c.exitCode === 0;
      if (!sent) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(sent, 'TCP connect + send');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 3000); })]);
    clearTimeout(timer);
    assert.equal(got.trim(), 'over-the-dhcp-port');
  } finally {
    if (server.exitCode === null && server.pid !== undefined) {
      try { process.kill(server.pid, 'SIGKILL'); } catch { /* gone */ }
      await exited;
    }
  }
});

test('a veth deleted behind our back is rebuilt and re-plugged (del-port committed on its own first): traffic flows again', async () => {
  await nets.ip(ns1, ['link', 'del', dev1.ns]);
  const plan = await serve(net1);
  assert.deepEqual(plan.detach.map((o) => o.kind === 'ovs.vsctl' && o.commands), [[{ cmd: 'del-port', port: dev1.tap, ifExists: true }]]);
  const iface = await ifaceRow(ovs!, dev1.tap);
  assert.ok(iface.ofport > 0 && iface.error === '', JSON.stringify(iface));
  assert.equal((await portRow(ovs!, dev1.tap)).tag, 4095, 'a re-plugged port starts dead again');
  await wire(dev1.tap, 7);
  assert.ok(await pingSoon(vm, '10.93.0.2'), `ping after re-plug failed\n${await ovs!.appctl(['dpif/show'])}`);
  assert.deepEqual(await planFor(net1), { detach: [], ops: [], commands: [] });
});

test('unplug (the network is no longer served): the namespace goes, then the br-int port; a second unplug plans nothing', async () => {
  await execa('ip', ['netns', 'del', ns1]);
  const ops = driver.unplugStale(KEY1, new Set(), await driver.readState(), await readLinks(runner));
  // The kernel tears a deleted namespace down asynchronously: for a moment the root end of
  // the veth may still be there, and then the plan rightly deletes it too.
  assert.deepEqual(ops.filter((o) => o.kind !== 'link.del'), [{ kind: 'ovs.vsctl', key: KEY1, commands: [{ cmd: 'del-port', port: dev1.tap, ifExists: true }] }]);
  assert.deepEqual(ops.filter((o) => o.kind === 'link.del'), ops.some((o) => o.kind === 'link.del') ? [{ kind: 'link.del', key: KEY1, name: dev1.tap }] : []);
  const r = await executor.apply(ops);
  assert.deepEqual(r.failed, []);
  assert.ok(!(await ovs!.vsctl(['list-ports', BR])).split('\n').includes(dev1.tap));
  assert.equal(await linkIn(undefined, dev1.tap), undefined, 'the tap went with its namespace end');
  assert.deepEqual(driver.unplugStale(KEY1, new Set(), await driver.readState(), await readLinks(runner)), []);
});

test('full-sync sweep: a stale port of ours goes; a foreign port and another host\'s port stay', async () => {
  const net2: DesiredDhcpNetns = { ...net1, networkId: randomUUID(), portId: randomUUID(), mac: 'fa:16:3e:10:00:03' };
  const dev2 = dhcpDevices(net2.portId);
  await serve(net2);
  // The agent was down when net2 went: its namespace is gone, its port is not.
  await execa('ip', ['netns', 'del', dhcpNamespace(net2.networkId)]);
  const helper = await nets.add('fx');
  const foreign = deviceName('fx');
  const otherHost = deviceName('oh');
  for (const name of [foreign, otherHost]) await execa('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', name, 'netns', helper]);
  await ovs!.vsctl(['add-port', BR, foreign, '--', 'set', 'Interface', foreign, 'external_ids:iface-id=someone-elses']);
  await ovs!.vsctl(['add-port', BR, otherHost, '--', 'set', 'Interface', otherHost, 'external_ids:nucleon-owner=dhcp', 'external_ids:nucleon-host=another-host', `external_ids:nucleon-resource=network:${randomUUID()}`]);

  const state = await driver.readState();
  const ops = driver.sweep(new Set([KEY1]), state, await readLinks(runner));
  assert.deepEqual(ops.map((o) => o.kind === 'ovs.vsctl' && o.commands[0]?.cmd === 'del-port' && o.commands[0].port), [dev2.tap]);
  assert.deepEqual((await executor.apply(ops)).failed, []);
  const ports = (await ovs!.vsctl(['list-ports', BR])).split('\n');
  assert.ok(!ports.includes(dev2.tap), 'stale port of ours swept');
  assert.ok(ports.includes(foreign) && ports.includes(otherHost) && ports.includes(VM_TAP), `foreign ports kept: ${ports.join(' ')}`);
  assert.deepEqual(driver.sweep(new Set([KEY1]), await driver.readState(), await readLinks(runner)), [], 'a second sweep plans nothing');
});
