/**
 * nucleon-l3-agent with `interface_driver = openvswitch` on an OVS node, against the real
 * neutron-server: one node namespace running a private Open vSwitch (netdev datapath),
 * nucleon-ovs-agent (VXLAN tenant networks, bridge_mappings <physnet>:br-ex, br-ex on a
 * veth whose peer is in an "external" namespace) and nucleon-l3-agent (legacy router).
 * - the router's qr-/qg- root ends are plugged into br-int by the L3 agent (on the dead
 *   VLAN) and tagged with a local VLAN by the OVS agent; router and VM ports go ACTIVE;
 * - the VM (os-vif style tap on br-int) pings its gateway and reaches the external host
 *   through SNAT (the external side sees the router's gateway address); a 2 MB TCP
 *   transfer arrives whole (full-size segments: MTU and checksum offload on netdev);
 * - a floating IP makes the VM reachable from outside (ping, a 2 MB TCP transfer);
 *   disassociating it cuts that;
 * - a restart of the L3 agent loses no ping through the router;
 * - drift: a router port deleted from br-int by hand is plugged back; removed interfaces
 *   and a cleared gateway leave br-int, re-added ones are plugged and tagged;
 * - deleting the router removes its namespace and its br-int ports.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ensureNeutronServer, deleteAgents, neutronApi, waitFor, type NeutronServer } from '../../harness/neutron.js';
import { deviceName, testName } from '../../harness/names.js';
import { TestNode, type SpawnedProcess } from '../../harness/node-netns.js';
import { ConfigDir, startDaemon, waitForLog } from '../../harness/daemons.js';
import { TestVm } from '../../harness/vm.js';
import { createRouterScenario, SourceAddressListener } from '../../harness/router-scenario.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';

const run = promisify(execFile);
const PROJECT = 'nucleon-test';
const DEAD_VLAN = 4095;
/** A physnet of this run's own: a physnet carries one flat network, so tests must not share one. */
const PHYSNET = testName('l3ophys');
let server: NeutronServer;
let node: TestNode | undefined;
let ovs: OvsInstance | undefined;
let ovsAgent: SpawnedProcess | undefined;
let l3: SpawnedProcess | undefined;
let l3Files: string[] = [];
/** Every L3 agent process of this run (a restart starts a new one), for the debug dump. */
const l3Runs: SpawnedProcess[] = [];
const conf = new ConfigDir();
const host = testName('l3o');
const ext = deviceName('ox');
let extMade = false;
const phys = deviceName('oph');
const created: Array<{ kind: string; id: string }> = [];
let vm: TestVm | undefined;
let routerId = '';
let routerGone = false;
let subnetId = '';
let extNetId = '';
let gwIp = '';
let listener: SourceAddressListener | undefined;
let bulk: ChildProcess | undefined;

async function inExt(...argv: string[]): Promise<boolean> {
  return run('ip', ['netns', 'exec', ext, ...argv]).then(() => true, () => false);
}

async function qrouter(...argv: string[]): Promise<string> {
  return (await run('ip', ['netns', 'exec', `qrouter-${routerId}`, ...argv])).stdout;
}

/** Connects from the VM to the external listener and returns the source address it saw. */
function sourceSeenFromVm(): Promise<string | undefined> {
  return listener!.sourceSeenFrom(vm!.spec.netns);
}

/**
 * Bytes a TCP connection from the VM to `ip`:5556 receives from the external host's bulk
 * sender (BULK bytes, then close). Full-size segments through qg-/qr- and br-int check MTU
 * and checksum offload on the userspace datapath, where a small exchange would pass.
 */
async function bulkBytesToVm(ip: string): Promise<number> {
  const r = await run('ip', ['netns', 'exec', vm!.spec.netns, 'sh', '-c', `busybox nc -w 5 ${ip} 5556 </dev/null | wc -c`]).catch(() => ({ stdout: '0' }));
  return Number(r.stdout.trim());
}
const BULK = 2 * 1024 * 1024;

/** The router's ports as the server sees them (qr- interfaces and the qg- gateway). */
async function routerPorts(): Promise<Array<{ id: string; status: string; device_owner: string }>> {
  return (await neutronApi<{ ports: Array<{ id: string; status: string; device_owner: string }> }>(`/ports?device_id=${routerId}`)).ports;
}

/** br-int's tag of a port, or undefined when the port (or its tag) is not there. */
async function tagOf(port: string): Promise<number | undefined> {
  const out = await ovs!.vsctl(['--if-exists', 'get', 'Port', port, 'tag']).catch(() => '');
  const tag = Number(out.trim());
  return out.trim() !== '' && Number.isInteger(tag) ? tag : undefined;
}

async function onBrInt(port: string): Promise<boolean> {
  return (await ovs!.vsctl(['list-ports', 'br-int'])).split('\n').includes(port);
}

/**
 * br-int ports the L3 agent plugged for our router (nucleon's owner and resource markers),
 * with their ofports. Only our router's: a router leaked by another test on the same
 * neutron-server would be auto-scheduled to this agent too.
 */
async function routerPortsOnBrInt(): Promise<Array<{ name: string; ofport: string }>> {
  const out = await ovs!.vsctl(['--format=csv', '--data=bare', '--no-headings', '--columns=name,ofport', 'find', 'Interface', 'external_ids:nucleon-owner=l3', `external_ids:nucleon-resource="router:${routerId}"`]);
  return out.split('\n').filter(Boolean).map((l) => ({ name: l.split(',')[0]!, ofport: l.split(',')[1]! })).sort((a, b) => a.name.localeCompare(b.name));
}

before(async () => {
  server = await ensureNeutronServer();
  node = await TestNode.create(deviceName('on'));
  ovs = await startOvs({ name: 'l3o', netns: node.netns });
  // physnet: a veth from the node's br-ex to the "external" namespace (the upstream router).
  await run('ip', ['netns', 'add', ext]);
  extMade = true;
  await node.exec(['ip', 'link', 'add', phys, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext]);
  await node.exec(['ip', 'link', 'set', phys, 'up']);
  // Userspace datapath: a frame left with a partial checksum breaks TCP (KERNEL.md §1).
  await run('ip', ['netns', 'exec', ext, 'ethtool', '-K', 'eth0', 'tx', 'off']);
  await run('ip', ['-n', ext, 'addr', 'add', '198.51.100.1/24', 'dev', 'eth0']);
  await run('ip', ['-n', ext, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', ext, 'link', 'set', 'lo', 'up']);
  await ovs.vsctl(['--', 'add-br', 'br-ex', '--', 'set', 'Bridge', 'br-ex', 'datapath_type=netdev', '--', 'add-port', 'br-ex', phys]);
  listener = new SourceAddressListener(ext);
  // And a bulk sender: BULK bytes to whoever connects to :5556, then close.
  bulk = spawn('ip', ['netns', 'exec', ext, 'node', '-e', `const b=Buffer.alloc(${BULK},120);require('net').createServer((s)=>{s.on('error',()=>{});s.end(b)}).listen(5556,'0.0.0.0')`], { stdio: ['ignore', 'ignore', 'inherit'] });
  // VXLAN local_ip (tenant networks are vxlan; there is no second node to tunnel to).
  await node.exec(['ip', 'link', 'add', deviceName('ovt0'), 'type', 'veth', 'peer', 'name', deviceName('ovt1')]);
  await node.exec(['ip', 'addr', 'add', '172.31.244.1/24', 'dev', deviceName('ovt0')]);
  await node.exec(['ip', 'link', 'set', deviceName('ovt0'), 'up']);

  const base = conf.write('neutron.conf', { DEFAULT: { host, transport_url: server.transportUrl, state_path: `${conf.dir}/state` }, agent: { report_interval: 5 }, nucleon: { resync_interval: 5 } });
  const ovsIni = conf.write('openvswitch_agent.ini', {
    ovs: { integration_bridge: 'br-int', tunnel_bridge: 'br-tun', local_ip: '172.31.244.1', datapath_type: 'netdev', ovsdb_connection: ovs.dbUrl, bridge_mappings: `${PHYSNET}:br-ex` },
    agent: { tunnel_types: 'vxlan' },
    securitygroup: { firewall_driver: 'openvswitch' },
  });
  ovsAgent = startDaemon(node, 'ovs', [base, ovsIni], { ...process.env, ...ovs.env });
  await waitForLog(ovsAgent, 'registered with neutron-server', 60_000);
  l3Files = [base, conf.write('l3_agent.ini', {
    DEFAULT: { agent_mode: 'legacy', interface_driver: 'openvswitch' },
    ovs: { integration_bridge: 'br-int', ovsdb_connection: ovs.dbUrl, datapath_type: 'netdev' },
  })];
  l3 = startDaemon(node, 'l3', l3Files, { ...process.env, ...ovs.env });
  l3Runs.push(l3);
  await waitForLog(l3, 'registered with neutron-server', 60_000);

  const sc = await createRouterScenario({ project: PROJECT, physnet: PHYSNET, host, tenantPrefix: '10.86.0', stem: 'o', created });
  ({ extNetId, subnetId, routerId, gwIp } = sc);
  const o = ovs;
  vm = await TestVm.plugOvs(node, { netns: deviceName('ov'), portId: sc.vmPort.id, networkId: sc.tenantNetId, mac: sc.vmPort.mac_address, cidr: '10.86.0.11/24', gateway: '10.86.0.1', vsctl: (args) => o.vsctl(args), mtu: 1450 });
});

after(async () => {
  listener?.stop();
  bulk?.kill();
  if (process.env['NUCLEON_TEST_DEBUG']) {
    // The agents' warnings and errors, for a run that passed but should be looked at.
    for (const [name, p] of [...l3Runs.map((r, i) => [`l3#${i}`, r] as const), ['ovs', ovsAgent] as const]) {
      for (const l of p?.log.json ?? []) if (l['level'] === 'warn' || l['level'] === 'error' || l['level'] === 'fatal') console.error(name, JSON.stringify(l));
    }
  }
  for (const p of [l3, ovsAgent]) if (p && node) await node.stopProcess(p, 10_000);
  await vm?.unplug();
  if (routerId && !routerGone) {
    // Floating IPs first: while one exists the server refuses to remove the interface,
    // and a router left behind is scheduled to the next run's L3 agent.
    for (const f of (await neutronApi<{ floatingips: Array<{ id: string }> }>(`/floatingips?router_id=${routerId}`).catch(() => ({ floatingips: [] }))).floatingips) await neutronApi(`/floatingips/${f.id}`, 'DELETE').catch(() => undefined);
    await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId }).catch(() => undefined);
    await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: {} } }).catch(() => undefined);
  }
  for (const c of created.reverse()) await neutronApi(`/${c.kind}/${c.id}`, 'DELETE').catch(() => undefined);
  // haproxy outlives the agent by design: stop the one our agent started.
  const pf = `${conf.dir}/state/external/pids/${routerId}.pid.haproxy`;
  if (routerId && existsSync(pf)) { try { process.kill(Number(readFileSync(pf, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ } }
  if (routerId) await run('ip', ['netns', 'del', `qrouter-${routerId}`]).catch(() => undefined);
  await ovs?.stop();
  await node?.cleanup();
  if (extMade) await run('ip', ['netns', 'del', ext]).catch(() => undefined);
  conf.remove();
  await deleteAgents({ host }).catch(() => undefined);
});

test('the router is plugged into br-int and tagged by the OVS agent; ports ACTIVE; the VM reaches its gateway and, through SNAT, the external host', async () => {
  // Both router ports exist and are plugged by the L3 agent with Neutron's external_ids.
  const ports = await waitFor(async () => {
    const ps = await routerPorts();
    return ps.some((p) => p.device_owner === 'network:router_gateway') && ps.some((p) => p.device_owner === 'network:router_interface') ? ps : undefined;
  }, { timeoutMs: 20_000, intervalMs: 500, description: 'router ports created' });
  for (const p of ports) {
    const tap = `tap${p.id.slice(0, 11)}`;
    const tag = await waitFor(async () => {
      const t = await tagOf(tap);
      return t !== undefined && t > 0 && t < DEAD_VLAN ? t : undefined;
    }, { timeoutMs: 45_000, intervalMs: 500, description: `${tap} (${p.device_owner}) on br-int with a local VLAN tag` });
    assert.ok(tag > 0 && tag < DEAD_VLAN, `${tap} tag ${tag}`);
    const ids = await ovs!.vsctl(['get', 'Interface', tap, 'external_ids']);
    assert.match(ids, new RegExp(`iface-id="?${p.id}"?`), `${tap} carries iface-id`);
    assert.match(ids, /nucleon-owner="?l3"?/, `${tap} carries the L3 agent's owner marker`);
    // Wired: the dead VLAN's trunk mode (Neutron's replace_port) is cleared with the tag.
    const mode = (await ovs!.vsctl(['--columns=vlan_mode,trunks', 'list', 'Port', tap])).replace(/\s+/g, ' ');
    assert.match(mode, /vlan_mode : \[\] trunks : \[\]/, `${tap} off the dead VLAN's trunk mode: ${mode}`);
  }
  // The qr- port shares the VM's local VLAN (same network).
  const qr = ports.find((p) => p.device_owner === 'network:router_interface')!;
  assert.equal(await tagOf(`tap${qr.id.slice(0, 11)}`), await waitFor(() => tagOf(vm!.tap).then((t) => (t !== undefined && t !== DEAD_VLAN ? t : undefined)), { timeoutMs: 45_000, description: 'VM tap tagged' }), 'qr- and the VM on one local VLAN');
  await waitFor(async () => {
    const ps = await routerPorts();
    const vmPort = (await neutronApi<{ port: { status: string } }>(`/ports/${vm!.spec.portId}`)).port;
    return vmPort.status === 'ACTIVE' && ps.length >= 2 && ps.every((p) => p.status === 'ACTIVE');
  }, { timeoutMs: 60_000, intervalMs: 500, description: 'VM port and router qr-/qg- ports ACTIVE' });
  assert.equal(await waitFor(() => vm!.ping('10.86.0.1', 1, 2), { timeoutMs: 40_000, intervalMs: 500, description: 'VM pings its gateway (qr-)' }), true);
  assert.equal(await waitFor(() => vm!.ping('198.51.100.1', 1, 2), { timeoutMs: 40_000, intervalMs: 500, description: 'VM reaches the external namespace' }), true);
  assert.equal(await waitFor(() => sourceSeenFromVm(), { timeoutMs: 20_000, intervalMs: 500, description: 'a TCP connection from the VM reaches the external listener' }), gwIp, 'SNAT to the router gateway address');
  assert.equal(await waitFor(async () => (await bulkBytesToVm('198.51.100.1')) === BULK, { timeoutMs: 30_000, intervalMs: 1000, description: `a ${BULK}-byte TCP transfer from the external host to the VM (through SNAT)` }), true);
});

test('a floating IP makes the VM reachable from outside and is its source address; disassociating it cuts it', async () => {
  const f = await neutronApi<{ floatingip: { id: string; floating_ip_address: string } }>('/floatingips', 'POST', { floatingip: { floating_network_id: extNetId, port_id: vm!.spec.portId, project_id: PROJECT } });
  const fip = f.floatingip.floating_ip_address;
  try {
    await waitFor(() => inExt('ping', '-c', '1', '-W', '1', fip), { timeoutMs: 30_000, intervalMs: 500, description: 'external reaches the floating IP' });
    await waitFor(async () => (await sourceSeenFromVm()) === fip, { timeoutMs: 20_000, intervalMs: 500, description: 'VM traffic leaving with its floating IP' });
    // Inbound through the floating IP (DNAT): the external host connects to the VM, which sends BULK bytes.
    const server = spawn('ip', ['netns', 'exec', vm!.spec.netns, 'node', '-e', `const b=Buffer.alloc(${BULK},120);require('net').createServer((s)=>{s.on('error',()=>{});s.end(b)}).listen(5557,'0.0.0.0')`], { stdio: 'ignore' });
    try {
      const got = await waitFor(async () => {
        const r = await run('ip', ['netns', 'exec', ext, 'sh', '-c', `busybox nc -w 5 ${fip} 5557 </dev/null | wc -c`]).catch(() => ({ stdout: '0' }));
        return Number(r.stdout.trim()) || undefined;
      }, { timeoutMs: 20_000, intervalMs: 1000, description: 'a TCP transfer from the VM to the external host through the floating IP' });
      assert.equal(got, BULK, 'the whole transfer arrives');
    } finally {
      server.kill();
    }
    await waitFor(async () => (await neutronApi<{ floatingip: { status: string } }>(`/floatingips/${f.floatingip.id}`)).floatingip.status === 'ACTIVE', { timeoutMs: 20_000, description: 'floating IP ACTIVE' });
    await neutronApi(`/floatingips/${f.floatingip.id}`, 'PUT', { floatingip: { port_id: null } });
    await waitFor(async () => !(await inExt('ping', '-c', '1', '-W', '1', fip)), { timeoutMs: 30_000, intervalMs: 500, description: 'floating IP cut' });
  } finally {
    // Also on failure: a floating IP left behind blocks remove_router_interface in the later tests.
    await neutronApi(`/floatingips/${f.floatingip.id}`, 'DELETE').catch(() => undefined);
  }
});

test('restart of the L3 agent: a running ping through the router loses nothing; nothing is re-created or re-plugged', async () => {
  const links = await qrouter('ip', '-o', 'link', 'show');
  const ofports = await routerPortsOnBrInt();
  assert.equal(ofports.length, 2, 'qr- and qg- plugged');
  const pinger = run('ip', ['netns', 'exec', vm!.spec.netns, 'ping', '-i', '0.1', '-w', '8', '198.51.100.1']).then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
  await new Promise((r) => setTimeout(r, 1000));
  await node!.stopProcess(l3!, 10_000);
  l3 = startDaemon(node!, 'l3', l3Files, { ...process.env, ...ovs!.env });
  l3Runs.push(l3);
  await waitForLog(l3, 'registered with neutron-server', 60_000);
  const out = await pinger;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.equal(m[1], m[2], `no ping lost: ${m[0]}`);
  // Let the restarted agent finish its first full sync before comparing.
  await waitForLog(l3, 'router served', 60_000);
  assert.equal(await qrouter('ip', '-o', 'link', 'show'), links, 'no device re-created');
  assert.deepEqual(await routerPortsOnBrInt(), ofports, 'br-int ports untouched (same ofports)');
});

test('drift: the qr- port deleted from br-int by hand is plugged back and tagged again', async () => {
  const qr = (await routerPorts()).find((p) => p.device_owner === 'network:router_interface')!;
  const tap = `tap${qr.id.slice(0, 11)}`;
  await ovs!.vsctl(['del-port', 'br-int', tap]);
  assert.equal(await onBrInt(tap), false);
  await waitFor(async () => {
    const t = await tagOf(tap);
    return t !== undefined && t > 0 && t < DEAD_VLAN;
  }, { timeoutMs: 45_000, intervalMs: 500, description: `${tap} back on br-int with a local VLAN tag` });
  assert.equal(await waitFor(() => vm!.ping('198.51.100.1', 1, 2), { timeoutMs: 30_000, intervalMs: 500, description: 'VM reaches the external namespace again' }), true);
});

test('interface remove and add, gateway clear and set: br-int ports follow', async () => {
  const before = await routerPorts();
  const qrTap = `tap${before.find((p) => p.device_owner === 'network:router_interface')!.id.slice(0, 11)}`;
  const qgTap = `tap${before.find((p) => p.device_owner === 'network:router_gateway')!.id.slice(0, 11)}`;
  await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId });
  await waitFor(async () => !(await onBrInt(qrTap)), { timeoutMs: 30_000, intervalMs: 500, description: `${qrTap} unplugged from br-int` });
  await waitFor(async () => !(await vm!.ping('10.86.0.1', 1, 1)), { timeoutMs: 20_000, intervalMs: 500, description: 'no gateway without the interface' });
  await neutronApi(`/routers/${routerId}/add_router_interface`, 'PUT', { subnet_id: subnetId });
  assert.equal(await waitFor(() => vm!.ping('198.51.100.1', 1, 2), { timeoutMs: 45_000, intervalMs: 500, description: 'interface back' }), true);
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: {} } });
  await waitFor(async () => !(await onBrInt(qgTap)), { timeoutMs: 30_000, intervalMs: 500, description: `${qgTap} unplugged from br-int` });
  await waitFor(async () => !(await qrouter('ip', '-o', 'link', 'show')).includes('qg-'), { timeoutMs: 20_000, intervalMs: 500, description: 'gateway device gone' });
  await neutronApi(`/routers/${routerId}`, 'PUT', { router: { external_gateway_info: { network_id: extNetId } } });
  assert.equal(await waitFor(() => vm!.ping('198.51.100.1', 1, 2), { timeoutMs: 45_000, intervalMs: 500, description: 'gateway back' }), true);
  const now = await routerPorts();
  assert.equal(now.length, 2, 'one interface and one gateway port');
  const owned = (await routerPortsOnBrInt()).map((p) => p.name);
  assert.deepEqual(owned, now.map((p) => `tap${p.id.slice(0, 11)}`).sort(), 'br-int holds exactly the router\'s current ports');
  await waitFor(async () => (await routerPorts()).every((p) => p.status === 'ACTIVE'), { timeoutMs: 45_000, intervalMs: 500, description: 'new router ports ACTIVE' });
});

test('deleting the router removes its namespace and its br-int ports', async () => {
  const taps = (await routerPorts()).map((p) => `tap${p.id.slice(0, 11)}`);
  assert.ok(taps.length >= 2);
  await neutronApi(`/routers/${routerId}/remove_router_interface`, 'PUT', { subnet_id: subnetId });
  await neutronApi(`/routers/${routerId}`, 'DELETE');
  routerGone = true;
  await waitFor(async () => !(await run('ip', ['netns', 'list']).then((r) => r.stdout)).includes(`qrouter-${routerId}`), { timeoutMs: 30_000, intervalMs: 500, description: 'qrouter namespace removed' });
  await waitFor(async () => (await routerPortsOnBrInt()).length === 0, { timeoutMs: 30_000, intervalMs: 500, description: 'the L3 agent\'s br-int ports removed' });
  for (const t of taps) assert.equal(await onBrInt(t), false, `${t} gone from br-int`);
  const links = await node!.exec(['ip', '-o', 'link', 'show']);
  for (const t of taps) assert.ok(!links.includes(`${t}:`) && !links.includes(`${t}@`), `${t} gone from the node`);
});
