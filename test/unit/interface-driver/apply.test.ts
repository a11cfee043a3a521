/**
 * applyPlugPlan: detach commits in an ovs-vsctl of its own before the kernel ops (the
 * netdev datapath needs a port forgotten before its device is re-created), device
 * commands run last and only when the ops succeeded, and their failures are returned.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPlugPlan } from '../../../shared/drivers/interface-driver/index.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import { DEV, KEY, NETNS, TAP, TableRunner, bridge, link, ovsDriver, port, row, IDS } from './fixtures.js';

const ARGS = ['--db=unix:/run/openvswitch/db.sock', '--timeout=10'];

test('a re-created veth: del-port alone, then the ip batch, then add-port, then ethtool', async () => {
  const runner = new TableRunner();
  const plan = ovsDriver().plug(port(), { inner: undefined, outer: link(TAP) }, bridge([row(TAP, IDS)]));
  const r = await applyPlugPlan(new Executor({ runner, ovsVsctlArgs: ARGS }), runner, plan);
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.commandFailures, []);
  const tools = runner.calls.map((c) => (c.argv[0] === 'ovs-vsctl' ? `ovs-vsctl ${c.argv.slice(3).filter((x) => x !== '--')[0] === '--if-exists' ? 'del-port' : 'add-port'}` : c.argv[0]));
  // root batch (link del + add), add-port, then the namespace and root link sets.
  assert.deepEqual(tools, ['ovs-vsctl del-port', 'ip', 'ovs-vsctl add-port', 'ip', 'ip', 'sysctl', 'ethtool']);
  assert.deepEqual(runner.calls[0]?.argv, ['ovs-vsctl', ...ARGS, '--', '--if-exists', 'del-port', TAP]);
  assert.deepEqual(runner.calls.at(-1), { argv: ['ethtool', '-K', DEV, 'rx', 'off', 'tx', 'off'], netns: NETNS });
});

test('a failing detach stops the plan: no kernel op, no command', async () => {
  const runner = new TableRunner([{ match: (a) => a.includes('del-port'), fail: 'ovs-vsctl: unix:/run/openvswitch/db.sock: database connection failed' }]);
  const plan = ovsDriver().plug(port(), { inner: undefined, outer: link(TAP) }, bridge([row(TAP, IDS)]));
  const r = await applyPlugPlan(new Executor({ runner, ovsVsctlArgs: ARGS }), runner, plan);
  assert.equal(r.failed.length, 1);
  assert.equal(r.failed[0]?.key, KEY);
  assert.equal(runner.calls.length, 1);
});

test('a failing add-port: no ethtool; the failure carries the argv and stderr', async () => {
  const runner = new TableRunner([{ match: (a) => a.includes('add-port'), fail: 'ovs-vsctl: no bridge named br-int' }]);
  const plan = ovsDriver().plug(port(), { inner: undefined, outer: undefined }, bridge([]));
  const r = await applyPlugPlan(new Executor({ runner, ovsVsctlArgs: ARGS }), runner, plan);
  assert.equal(r.failed.length, 1);
  assert.match(r.failed[0]!.error.message, /no bridge named br-int/);
  assert.ok(!runner.calls.some((c) => c.argv[0] === 'ethtool'));
});

test('a failing device command is returned, not thrown', async () => {
  const runner = new TableRunner([{ match: (a) => a[0] === 'ethtool', fail: 'Cannot change tx-checksumming' }]);
  const plan = ovsDriver().plug(port(), { inner: link(DEV), outer: link(TAP), offload: { rx: true, tx: true } }, bridge([row(TAP, IDS)]));
  const r = await applyPlugPlan(new Executor({ runner }), runner, plan);
  assert.deepEqual(r.failed, []);
  assert.equal(r.commandFailures.length, 1);
  assert.match(r.commandFailures[0]!.error.message, /ethtool -K ns-c0ffee00-12 rx off tx off.*Cannot change tx-checksumming/);
});

test('an empty plan runs nothing', async () => {
  const runner = new TableRunner();
  const r = await applyPlugPlan(new Executor({ runner }), runner, { detach: [], ops: [], commands: [] });
  assert.deepEqual(r, { applied: 0, failed: [], durationMs: 0, commandFailures: [] });
  assert.equal(runner.calls.length, 0);
});
