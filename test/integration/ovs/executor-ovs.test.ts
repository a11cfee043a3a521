/**
 * The reconcile Executor's `ovs.vsctl` ops against a real (private, netdev) OVS that
 * runs inside a throwaway namespace: one transaction per namespace, idempotent
 * re-apply, per-key attribution of a failing subcommand, and the rc-0
 * "Error detected while setting up" quirk of a `system` bridge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { OvsVsctl, ovsdbMap, ovsdbSet } from '../../../shared/drivers/ovs/ovs-vsctl.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';

const nets = new OvsNetns();
const runner = new ExecaCommandRunner();
let ns = '';
let ovs: OvsInstance | undefined;
let ex: Executor;
let db: OvsVsctl;

before(async () => {
  ns = await nets.add('ex');
  ovs = await startOvs({ name: 'exec', netns: ns });
  ex = new Executor({ runner, ovsVsctlArgs: ovs.vsctlArgs(10) });
  db = new OvsVsctl(runner, ovs.dbUrl);
  // Devices to plug, and a bridge + port for the plan to delete.
  for (const v of ['v1', 'v2', 'vold']) {
    await nets.ip(ns, ['link', 'add', v, 'type', 'veth', 'peer', 'name', `${v}p`]);
    await nets.ip(ns, ['link', 'set', v, 'up']);
  }
  await ovs.vsctl(['--', 'add-br', 'brold', '--', 'set', 'Bridge', 'brold', 'datapath_type=netdev',
    '--', 'add-br', 'br1', '--', 'set', 'Bridge', 'br1', 'datapath_type=netdev', '--', 'add-port', 'br1', 'vold']);
});

after(async () => {
  try {
    await ovs?.stop();
  } finally {
    await nets.cleanup();
  }
});

type Row = Record<string, unknown>;
const byName = (rows: Row[], n: string): Row | undefined => rows.find((r) => r['name'] === n);

function plan(): Op[] {
  const net = 'network:n1';
  const port = 'port:p1';
  return [
    { kind: 'ovs.vsctl', key: net, netns: ns, commands: [
      { cmd: 'add-br', bridge: 'br1', mayExist: true, datapathType: 'netdev' },
      { cmd: 'set', table: 'Bridge', record: 'br1', values: { 'external_ids:nucleon-owner': 'test', 'external_ids:network-id': 'n1' } },
    ] },
    { kind: 'ovs.vsctl', key: port, netns: ns, commands: [
      { cmd: 'add-port', bridge: 'br1', port: 'v1', mayExist: true, tag: 5, iface: { 'external_ids:iface-id': 'p1', 'external_ids:attached-mac': 'fa:16:3e:00:00:01' } },
      { cmd: 'set', table: 'Interface', record: 'v1', values: { mtu_request: 1400 } },
    ] },
    { kind: 'ovs.vsctl', key: 'port:old', netns: ns, commands: [{ cmd: 'del-port', bridge: 'br1', port: 'vold', ifExists: true }] },
    { kind: 'ovs.vsctl', key: 'network:old', netns: ns, commands: [{ cmd: 'del-br', bridge: 'brold', ifExists: true }] },
  ];
}

async function assertConverged(): Promise<void> {
  const bridges = await db.list('Bridge', ['name', 'datapath_type', 'external_ids']);
  assert.deepEqual(bridges.map((b) => b['name']), ['br1'], 'brold deleted');
  assert.equal(bridges[0]?.['datapath_type'], 'netdev');
  assert.deepEqual(ovsdbMap(bridges[0]?.['external_ids']), { 'nucleon-owner': 'test', 'network-id': 'n1' });

  const ports = await db.list('Port', ['name', 'tag']);
  assert.deepEqual(ports.map((p) => p['name']).sort(), ['br1', 'v1'], 'vold deleted');
  assert.equal(byName(ports, 'v1')?.['tag'], 5);

  const ifaces = await db.list('Interface', ['name', 'ofport', 'error', 'external_ids', 'mtu']);
  const v1 = byName(ifaces, 'v1');
  assert.deepEqual(ovsdbMap(v1?.['external_ids']), { 'iface-id': 'p1', 'attached-mac': 'fa:16:3e:00:00:01' });
  assert.ok(typeof v1?.['ofport'] === 'number' && v1['ofport'] > 0, `ofport ${JSON.stringify(v1?.['ofport'])}`);
  assert.deepEqual(ovsdbSet(v1?.['error']), [], 'empty set: no error');
  assert.equal(v1?.['mtu'], 1400, 'vswitchd applied mtu_request to the veth');
}

test('add-br/add-port/set/del-port/del-br ops run as one ovs-vsctl transaction and converge; re-apply succeeds', async () => {
  const first = await ex.apply(plan());
  assert.deepEqual(first.failed.map((f) => `${f.key}: ${f.error.message}`), []);
  assert.equal(first.applied, plan().length);
  assert.equal(first.commands, 1, 'one ovs-vsctl process for the namespace');
  await assertConverged();

  const again = await ex.apply(plan());
  assert.deepEqual(again.failed.map((f) => `${f.key}: ${f.error.message}`), []);
  assert.equal(again.commands, 1);
  await assertConverged();
});

test('a failing subcommand fails only its op key; the other ops of the transaction are applied', async () => {
  const r = await ex.apply([
    { kind: 'ovs.vsctl', key: 'network:n2', netns: ns, commands: [{ cmd: 'add-br', bridge: 'br2', mayExist: true, datapathType: 'netdev' }] },
    { kind: 'ovs.vsctl', key: 'port:bad', netns: ns, commands: [{ cmd: 'set', table: 'Interface', record: 'nosuch', values: { mtu_request: 1400 } }] },
    { kind: 'ovs.vsctl', key: 'port:p2', netns: ns, commands: [{ cmd: 'add-port', bridge: 'br2', port: 'v2', mayExist: true }] },
  ]);
  assert.deepEqual(r.failed.map((f) => f.key), ['port:bad']);
  assert.match(r.failed[0]?.error.message ?? '', /no row "nosuch" in table Interface/);
  // Merged transaction (rolled back as a whole), then one run per op.
  assert.equal(r.commands, 4);
  const ports = await db.list('Port', ['name']);
  assert.ok(byName(ports, 'v2'), 'port:p2 applied despite port:bad');
  await ex.apply([{ kind: 'ovs.vsctl', key: 'network:n2', netns: ns, commands: [{ cmd: 'del-br', bridge: 'br2', ifExists: true }] }]);
});

test('a system-datapath bridge: ovs-vsctl exits 0 with "Error detected while setting up"; the Executor fails only that key', async () => {
  const ops: Op[] = [
    { kind: 'ovs.vsctl', key: 'network:sys', netns: ns, commands: [{ cmd: 'add-br', bridge: 'brsys', mayExist: true }] },
    { kind: 'ovs.vsctl', key: 'network:nd', netns: ns, commands: [{ cmd: 'add-br', bridge: 'br3', mayExist: true, datapathType: 'netdev' }] },
  ];
  const r = await ex.apply(ops);
  assert.deepEqual(r.failed.map((f) => [f.key, f.error.kind]), [['network:sys', 'FATAL']]);
  assert.match(r.failed[0]?.error.message ?? '', /exit 0: ovs-vsctl: Error detected while setting up 'brsys'/);
  assert.equal(r.commands, 1, 'the committed transaction is not re-run op by op');

  // The transaction committed: the broken bridge is in OVSDB but has no datapath port.
  const sys = byName(await db.list('Interface', ['name', 'ofport']), 'brsys');
  assert.ok(sys, 'brsys row exists');
  assert.ok(!(typeof sys['ofport'] === 'number' && sys['ofport'] > 0), `no ofport: ${JSON.stringify(sys['ofport'])}`);

  // Known limit: a re-apply (--may-exist finds the row) prints nothing and succeeds, so
  // only a read-back of Interface.ofport/error tells a broken bridge from a good one.
  const again = await ex.apply(ops);
  assert.deepEqual(again.failed, []);
  await ex.apply([{ kind: 'ovs.vsctl', key: 'network:sys', netns: ns, commands: [
    { cmd: 'del-br', bridge: 'brsys', ifExists: true }, { cmd: 'del-br', bridge: 'br3', ifExists: true },
  ] }]);
});
