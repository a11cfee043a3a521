/**
 * OvsInterfaceDriver planning: a fresh port is a veth pair plus ONE ovs-vsctl
 * transaction (add-port with Neutron's external_ids and our ownership marker, on the
 * dead VLAN); the steady state plans nothing; each drift plans only its repair; a
 * re-created device leaves OVSDB in a transaction of its own first; only ports this
 * agent plugged (owner + host + resource) are ever unplugged or swept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEAD_VLAN_TAG } from '../../../shared/drivers/interface-driver/index.js';
import { planSteps } from '../../../shared/reconcile/plan.js';
import { renderOvsVsctl } from '../../../shared/reconcile/render.js';
import type { Op, OvsVsctlOp } from '../../../shared/reconcile/ops.js';
import { DEV, HOST, IDS, KEY, MAC, NETNS, PORT_ID, TAP, TableRunner, bridge, link, ovsDriver, port, row } from './fixtures.js';

const ovsOps = (ops: Op[]): OvsVsctlOp[] => ops.filter((o): o is OvsVsctlOp => o.kind === 'ovs.vsctl');
const argvOf = (op: OvsVsctlOp): string[] => renderOvsVsctl(op.commands, ['--db=unix:/run/openvswitch/db.sock', '--timeout=10']);
const steadyActual = { inner: link(DEV), outer: link(TAP, { mac: 'ee:ee:ee:00:00:01' }), offload: { rx: false, tx: false } };

describe('OvsInterfaceDriver.plug', () => {
  test('fresh port: veth, IPv6 off on the root end, one add-port transaction with external_ids on the dead VLAN, offload off (netdev)', () => {
    const plan = ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([]));
    assert.equal(plan.rebuilt, true);
    assert.deepEqual(plan.detach, []);
    assert.deepEqual(plan.ops, [
      { kind: 'link.add', key: KEY, name: TAP, link: { type: 'veth', peer: DEV, peerNetns: NETNS }, mtu: 1450 },
      { kind: 'link.set', key: KEY, netns: NETNS, name: DEV, address: MAC, mtu: 1450, up: true },
      { kind: 'link.set', key: KEY, name: TAP, up: true },
      { kind: 'sysctl.set', key: KEY, name: `net/ipv6/conf/${TAP}/disable_ipv6`, value: '1' },
      {
        kind: 'ovs.vsctl', key: KEY, commands: [
          { cmd: 'add-port', bridge: 'br-int', port: TAP, mayExist: true, iface: Object.fromEntries(Object.entries(IDS).map(([k, v]) => [`external_ids:${k}`, v])) },
          { cmd: 'set', table: 'Port', record: TAP, values: { tag: DEAD_VLAN_TAG, vlan_mode: 'trunk', trunks: DEAD_VLAN_TAG } },
        ],
      },
    ]);
    assert.deepEqual(plan.commands, [{ key: KEY, netns: NETNS, argv: ['ethtool', '-K', DEV, 'rx', 'off', 'tx', 'off'], why: plan.commands[0]?.why }]);
  });

  test('the add-port renders as one ovs-vsctl: --may-exist add-port -- set Interface external_ids -- set Port (dead VLAN)', () => {
    const [op] = ovsOps(ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([])).ops);
    assert.deepEqual(argvOf(op!), [
      'ovs-vsctl', '--db=unix:/run/openvswitch/db.sock', '--timeout=10',
      '--', '--may-exist', 'add-port', 'br-int', TAP,
      '--', 'set', 'Interface', TAP,
      `external_ids:iface-id="${PORT_ID}"`, 'external_ids:iface-status="active"', `external_ids:attached-mac="${MAC}"`,
      'external_ids:nucleon-owner="dhcp"', `external_ids:nucleon-host="${HOST}"`, `external_ids:nucleon-resource="${KEY}"`,
      '--', 'set', 'Port', TAP, 'tag=4095', 'vlan_mode="trunk"', 'trunks=4095',
    ]);
    // The executor runs it after the veth exists and before the links are set up.
    const steps = planSteps(ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([])).ops).steps.map((s) => s.type);
    assert.deepEqual(steps, ['batch', 'ovs', 'batch', 'sysctl']);
  });

  test('steady state (veth right, row on br-int with every id, offload off) -> nothing', () => {
    const plan = ovsDriver({ datapathType: 'netdev' }).plug(port(), steadyActual, bridge([row(TAP, { ...IDS, 'extra-key': 'kept' })]));
    assert.deepEqual(plan, { detach: [], ops: [], commands: [], rebuilt: false });
  });

  test('external_ids drift (MAC changed, a foreign port adopted) -> only set Interface, no re-plug', () => {
    for (const ids of [{ ...IDS, 'attached-mac': 'fa:16:3e:00:00:01' }, { 'iface-id': PORT_ID }] as Array<Record<string, string>>) {
      const plan = ovsDriver().plug(port(), steadyActual, bridge([row(TAP, ids)]));
      assert.deepEqual(plan.detach, []);
      assert.deepEqual(plan.ops, [{ kind: 'ovs.vsctl', key: KEY, commands: [{ cmd: 'set', table: 'Interface', record: TAP, values: Object.fromEntries(Object.entries(IDS).map(([k, v]) => [`external_ids:${k}`, v])) }] }]);
    }
  });

  test('row missing from OVSDB while the veth is fine -> add-port only (no detach, no veth ops)', () => {
    const plan = ovsDriver().plug(port(), steadyActual, bridge([]));
    assert.deepEqual(plan.detach, []);
    assert.deepEqual(plan.ops.map((o) => o.kind), ['ovs.vsctl']);
  });

  test('port on another bridge -> detached in its own transaction, then added to br-int', () => {
    const plan = ovsDriver().plug(port(), steadyActual, bridge([row(TAP, IDS, false)]));
    assert.deepEqual(plan.detach, [{ kind: 'ovs.vsctl', key: KEY, commands: [{ cmd: 'del-port', port: TAP, ifExists: true }] }]);
    assert.equal(ovsOps(plan.ops)[0]?.commands[0]?.cmd, 'add-port');
  });

  test('veth re-created while its row stays -> del-port before (own transaction), add-port after', () => {
    const plan = ovsDriver().plug(port(), { inner: undefined, outer: link(TAP) }, bridge([row(TAP, IDS)]));
    assert.equal(plan.rebuilt, true);
    assert.deepEqual(plan.detach, [{ kind: 'ovs.vsctl', key: KEY, commands: [{ cmd: 'del-port', port: TAP, ifExists: true }] }]);
    assert.deepEqual(plan.ops.slice(0, 2).map((o) => o.kind), ['link.del', 'link.add']);
    assert.equal(ovsOps(plan.ops).length, 1);
  });

  test("the Python agent's internal port for the same Neutron port (ovs_use_veth = False) is removed; another port's is not", () => {
    const legacy = row(DEV, { 'iface-id': PORT_ID, 'attached-mac': MAC });
    const plan = ovsDriver().plug(port(), { inner: link(DEV, { kind: 'tun' }), outer: undefined }, bridge([legacy]));
    assert.deepEqual(plan.detach, [{ kind: 'ovs.vsctl', key: KEY, commands: [{ cmd: 'del-port', port: DEV, ifExists: true }] }]);
    const other = ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([row(DEV, { 'iface-id': 'someone-else' })]));
    assert.deepEqual(other.detach, []);
  });

  test('checksum offload: turned off on the netdev datapath when on, or unknown; never on the system datapath', () => {
    const on = ovsDriver().plug(port(), { ...steadyActual, offload: { rx: false, tx: true } }, bridge([row(TAP, IDS)]));
    assert.deepEqual(on.ops, []);
    assert.deepEqual(on.commands.map((c) => c.argv), [['ethtool', '-K', DEV, 'rx', 'off', 'tx', 'off']]);
    const unknown = ovsDriver().plug(port(), { ...steadyActual, offload: undefined }, bridge([row(TAP, IDS)]));
    assert.equal(unknown.commands.length, 1);
    // [ovs] datapath_type = netdev counts even before the bridge could be read.
    assert.equal(ovsDriver({ datapathType: 'netdev' }).plug(port(), { ...steadyActual, offload: undefined }, undefined).commands.length, 1);
    const system = ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([], { datapathType: 'system' }));
    assert.deepEqual(system.commands, []);
  });

  test('no IPv6 on the host -> no disable_ipv6 sysctl', () => {
    const plan = ovsDriver({ ipv6: false }).plug(port(), { inner: undefined, outer: undefined }, bridge([]));
    assert.ok(!plan.ops.some((o) => o.kind === 'sysctl.set'));
  });

  test('no MTU known -> no mtu on either end', () => {
    const plan = ovsDriver().plug(port({ mtu: null }), { inner: undefined, outer: undefined }, bridge([]));
    assert.ok(!plan.ops.some((o) => 'mtu' in o));
  });

  test('MTU drift on both ends -> both set, OVS untouched', () => {
    const plan = ovsDriver().plug(port(), { ...steadyActual, inner: link(DEV, { mtu: 1500 }), outer: link(TAP, { mtu: 1500 }) }, bridge([row(TAP, IDS)]));
    assert.deepEqual(plan.ops, [
      { kind: 'link.set', key: KEY, netns: NETNS, name: DEV, mtu: 1450 },
      { kind: 'link.set', key: KEY, name: TAP, mtu: 1450 },
    ]);
  });
});

describe('OvsInterfaceDriver.unplugStale / sweep: only what this agent plugged', () => {
  const other = 'tapbeef0000-12';
  const state = bridge([
    row(TAP, IDS),
    row(other, { ...IDS, 'iface-id': 'beef0000', 'nucleon-resource': KEY }),
    row('tapforeign-00', { 'iface-id': 'x', 'nucleon-resource': KEY }),
    row('tapotherhost', { ...IDS, 'nucleon-host': 'node-2' }),
    row('tapl3port-000', { ...IDS, 'nucleon-owner': 'l3', 'nucleon-resource': 'router:r1' }),
    row('tapgone-00000', { ...IDS, 'nucleon-resource': 'network:gone' }),
    row('tapnokey-0000', { 'nucleon-owner': 'dhcp', 'nucleon-host': HOST }),
  ]);

  test('unplugStale(key, keep): owned ports of that key not kept -> del-port (and a root end left behind)', () => {
    const ops = ovsDriver().unplugStale(KEY, new Set([TAP]), state, new Map([[other, link(other)]]));
    assert.deepEqual(ops, [
      { kind: 'ovs.vsctl', key: KEY, commands: [{ cmd: 'del-port', port: other, ifExists: true }] },
      { kind: 'link.del', key: KEY, name: other },
    ]);
  });

  test('unplugStale(key, nothing kept) after the namespace went: every owned port of the key', () => {
    const ops = ovsDriver().unplugStale(KEY, new Set(), state, new Map());
    assert.deepEqual(ops.map((o) => o.kind === 'ovs.vsctl' && o.commands[0]?.cmd === 'del-port' && o.commands[0].port), [TAP, other]);
  });

  test('sweep(keepKeys): owned ports of other keys (and owned ones without a key) go; foreign, other host and other agent stay', () => {
    const ops = ovsDriver().sweep(new Set([KEY]), state, new Map());
    assert.deepEqual(ops, [
      { kind: 'ovs.vsctl', key: 'network:gone', commands: [{ cmd: 'del-port', port: 'tapgone-00000', ifExists: true }] },
      { kind: 'ovs.vsctl', key: 'port:tapnokey-0000', commands: [{ cmd: 'del-port', port: 'tapnokey-0000', ifExists: true }] },
    ]);
  });

  test('the L3 agent on the same OVSDB sweeps only its own', () => {
    const ops = ovsDriver({ agent: 'l3' }).sweep(new Set(), state, new Map());
    assert.deepEqual(ops.map((o) => o.key), ['router:r1']);
  });

  test('linuxbridge-style state (nothing read) -> nothing to unplug', () => {
    assert.deepEqual(ovsDriver().sweep(new Set(), undefined, new Map()), []);
  });
});

describe('OvsInterfaceDriver reads', () => {
  test('readState: one ovs-vsctl against [ovs] ovsdb_connection', async () => {
    const runner = new TableRunner([{ match: (a) => a.includes('find'), stdout: '{"data":[],"headings":["datapath_type","ports"]}\n{"data":[],"headings":["_uuid","name"]}\n{"data":[],"headings":["name","external_ids"]}\n' }]);
    const s = await ovsDriver({ runner }).readState();
    assert.equal(s.exists, false);
    assert.equal(runner.calls.length, 1);
    assert.deepEqual(runner.calls[0]?.argv.slice(0, 4), ['ovs-vsctl', '--db=unix:/run/openvswitch/db.sock', '--timeout=10', '--format=json']);
  });

  test('readOffload: ethtool -k in the namespace on netdev; nothing run on system', async () => {
    const runner = new TableRunner([{ match: (a) => a[0] === 'ethtool', stdout: 'Features for x:\nrx-checksumming: off\ntx-checksumming: on\n' }]);
    const m = await ovsDriver({ runner }).readOffload(NETNS, [DEV], bridge([]));
    assert.deepEqual([...m], [[DEV, { rx: false, tx: true }]]);
    assert.deepEqual(runner.calls, [{ argv: ['ethtool', '-k', DEV], netns: NETNS }]);
    const quiet = new TableRunner();
    assert.equal((await ovsDriver({ runner: quiet }).readOffload(NETNS, [DEV], bridge([], { datapathType: 'system' }))).size, 0);
    assert.equal(quiet.calls.length, 0);
  });

  test('readOffload: a device ethtool cannot read is left out (the plan then turns offload off again)', async () => {
    const runner = new TableRunner([{ match: (a) => a[0] === 'ethtool', fail: 'Cannot get device feature names: No such device' }]);
    assert.equal((await ovsDriver({ runner }).readOffload(NETNS, [DEV], bridge([]))).size, 0);
  });

  test('isWired: once the OVS agent moved the port off the dead VLAN', async () => {
    for (const [stdout, wired] of [['5\n', true], ['4095\n', false], ['[]\n', false]] as const) {
      const runner = new TableRunner([{ match: (a) => a.includes('get'), stdout }]);
      assert.equal(await ovsDriver({ runner }).isWired(TAP), wired, stdout);
      assert.deepEqual(runner.calls[0]?.argv, ['ovs-vsctl', '--db=unix:/run/openvswitch/db.sock', '--timeout=10', 'get', 'Port', TAP, 'tag']);
    }
    const failing = new TableRunner([{ match: () => true, fail: 'no row' }]);
    assert.equal(await ovsDriver({ runner: failing }).isWired(TAP), false);
  });
});
