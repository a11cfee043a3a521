/**
 * `interface_driver = openvswitch` for the L3 agent against a real private OVS: the
 * router planner (planRouterNetns) plugs every qr-/qg- port into the integration
 * bridge as the L3 agent's (owner l3, resource router:<id>); a second apply is a
 * no-op; a removed interface leaves br-int with its qr- end; the unserve path (the
 * namespace deleted, then unplugStale) leaves nothing of the router on br-int.
 * Same placement and cleanup as ovs-dhcp.test.ts (root-namespace OVS, per-run bridge).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import { readLinks } from '../../../shared/drivers/ip-links.js';
import { applyPlugPlan, OvsInterfaceDriver } from '../../../shared/drivers/interface-driver/index.js';
import { planRouterNetns, type RouterKernelPlan } from '../../../agents/l3/kernel.js';
import { routerDevices, routerNamespace, type Router, type RouterPort } from '../../../agents/l3/model.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { deviceName, testName } from '../../harness/names.js';
import { dropNamespaces, ifaceRow, linkIn, readRouterNs } from './helpers.js';

const runner = new ExecaCommandRunner();
const BR = deviceName('rint');
const HOST = testName('host');
let ovs: OvsInstance | undefined;
let driver: OvsInterfaceDriver;
let executor: Executor;

const rport = (mac: string, cidr: string, gateways: string[] = []): RouterPort => ({ id: randomUUID(), mac, networkId: randomUUID(), mtu: 1450, cidrs: [cidr], gateways });
const qr1 = rport('fa:16:3e:20:00:01', '10.94.1.1/24');
const qr2 = rport('fa:16:3e:20:00:02', '10.94.2.1/24');
const qg = rport('fa:16:3e:20:00:03', '198.51.100.94/24', ['198.51.100.1']);
const router: Router = { id: randomUUID(), adminStateUp: true, ha: false, distributed: false, enableSnat: true, gateway: qg, interfaces: [qr1, qr2], routes: [], floatingIps: [] };
const KEY = `router:${router.id}`;
const NS = routerNamespace(router.id);

async function planFor(r: Router): Promise<RouterKernelPlan> {
  const [actual, root, state] = await Promise.all([readRouterNs(runner, NS), readLinks(runner), driver.readState()]);
  const devices = [...r.interfaces.map((p) => routerDevices('qr', p.id).ns), ...(r.gateway ? [routerDevices('qg', r.gateway.id).ns] : [])].filter((n) => actual.links.has(n));
  if (devices.length > 0) actual.offload = await driver.readOffload(NS, devices, state);
  return planRouterNetns(r, actual, root, driver, state);
}

async function serve(r: Router): Promise<RouterKernelPlan> {
  const plan = await planFor(r);
  const res = await applyPlugPlan(executor, runner, plan);
  assert.deepEqual(res.failed.map((f) => `${f.key}: ${f.error.message}`), [], ovs?.logs());
  assert.deepEqual(res.commandFailures.map((f) => f.error.message), []);
  return plan;
}

const ports = async (): Promise<string[]> => (await ovs!.vsctl(['list-ports', BR])).split('\n').filter(Boolean);

before(async () => {
  ovs = await startOvs({ name: 'ifdrv-l3' });
  await ovs.vsctl(['add-br', BR, '--', 'set', 'Bridge', BR, 'datapath_type=netdev']);
  driver = new OvsInterfaceDriver({ runner, integrationBridge: BR, ovsdbConnection: ovs.dbUrl, ovsdbTimeoutSec: 10, datapathType: 'netdev', owner: { agent: 'l3', host: HOST } });
  executor = new Executor({ runner, ...driver.executorOptions });
});

after(async () => {
  try {
    await dropNamespaces([NS]);
  } finally {
    await ovs?.vsctl(['--if-exists', 'del-br', BR]).catch(() => undefined);
    await ovs?.stop();
    // The netdev bridge port is a tap that outlives vswitchd: ours by its per-run name.
    await execa('ip', ['link', 'del', BR], { reject: false });
  }
});

test('a router is wired: every qr-/qg- tap on br-int as the L3 agent\'s, offload off inside; a second apply plans nothing', async () => {
  await serve(router);
  const taps = [qr1, qr2].map((p) => routerDevices('qr', p.id).tap).concat(routerDevices('qg', qg.id).tap);
  assert.deepEqual((await ports()).sort(), [...taps].sort());
  for (const [p, tap] of [[qr1, taps[0]], [qr2, taps[1]], [qg, taps[2]]] as const) {
    const row = await ifaceRow(ovs!, tap!);
    assert.equal(row.externalIds['iface-id'], p.id);
    assert.equal(row.externalIds['attached-mac'], p.mac);
    assert.equal(row.externalIds['nucleon-owner'], 'l3');
    assert.equal(row.externalIds['nucleon-resource'], KEY);
    assert.ok(row.ofport > 0 && row.error === '', JSON.stringify(row));
    assert.equal((await linkIn(undefined, tap!))?.mtu, 1450);
  }
  const k = (await execa('ip', ['netns', 'exec', NS, 'ethtool', '-k', routerDevices('qg', qg.id).ns])).stdout;
  assert.match(k, /^tx-checksumming: off/m);
  const again = await planFor(router);
  assert.deepEqual({ detach: again.detach, ops: again.ops, commands: again.commands }, { detach: [], ops: [], commands: [] });
});

test('an interface removed from the router: its qr- end and its br-int port go, the others stay', async () => {
  const gone = routerDevices('qr', qr2.id);
  await serve({ ...router, interfaces: [qr1] });
  assert.ok(!(await ports()).includes(gone.tap));
  assert.equal(await linkIn(NS, gone.ns), undefined);
  assert.ok((await ports()).includes(routerDevices('qr', qr1.id).tap));
});

test('unserve: the namespace deleted, then unplugStale(router) -> nothing of the router left on br-int', async () => {
  await execa('ip', ['netns', 'del', NS]);
  const ops = driver.unplugStale(KEY, new Set(), await driver.readState(), new Map());
  assert.equal(ops.length, 2);
  assert.deepEqual((await executor.apply(ops)).failed, []);
  assert.deepEqual(await ports(), []);
});
