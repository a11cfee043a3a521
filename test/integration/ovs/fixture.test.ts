/**
 * The private-OVS fixture itself: starts, answers, stops, and leaves no process, no
 * temp dir and (when run in a namespace) no namespace behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { OvsVsctl } from '../../../shared/drivers/ovs/ovs-vsctl.js';
import { pidAlive, startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';

const nets = new OvsNetns();
const started: OvsInstance[] = [];

after(async () => {
  for (const o of started) await o.stop();
  await nets.cleanup();
});

async function startTimed(t: { diagnostic(m: string): void }, opts: Parameters<typeof startOvs>[0]): Promise<OvsInstance> {
  const t0 = performance.now();
  const o = await startOvs(opts);
  started.push(o);
  t.diagnostic(`startOvs ${opts.netns ?? 'root'}: ${Math.round(performance.now() - t0)} ms`);
  return o;
}

async function stopTimed(t: { diagnostic(m: string): void }, o: OvsInstance): Promise<void> {
  const t0 = performance.now();
  await o.stop();
  t.diagnostic(`stop ${o.netns ?? 'root'}: ${Math.round(performance.now() - t0)} ms`);
}

test('starts in the root namespace, answers ovs-vsctl/ovs-appctl, stops leaving no process and no files', async (t) => {
  const o = await startTimed(t, { name: 'fx-root' });
  const pids = [o.ovsdbServer.pid, o.vswitchd.pid];
  assert.ok(pids.every(pidAlive), 'both daemons run');
  assert.equal(o.dbUrl, `unix:${o.dbSock}`);
  assert.equal(o.env.OVS_RUNDIR, o.runDir);
  assert.match(await o.vsctl(['show']), /ovs_version|^\S+$/m);
  assert.match(await o.appctl(['version']), /Open vSwitch\) 3\./);
  assert.ok(existsSync(`${o.runDir}/ovs-vswitchd.pid`));
  await stopTimed(t, o);
  assert.deepEqual(pids.filter(pidAlive), [], 'no daemon left');
  assert.equal(existsSync(o.dir), false, 'temp dir removed');
  await o.stop(); // idempotent
});

test('OvsVsctl.capabilities() reports the netdev datapath and vxlan/internal interfaces', async (t) => {
  const o = await startTimed(t, { name: 'fx-caps' });
  try {
    const caps = await new OvsVsctl(new ExecaCommandRunner(), o.dbUrl).capabilities();
    assert.ok(caps.datapath_types.includes('netdev'), caps.datapath_types.join(','));
    for (const want of ['vxlan', 'internal', 'patch']) assert.ok(caps.iface_types.includes(want), `${want} in ${caps.iface_types.join(',')}`);
  } finally {
    await stopTimed(t, o);
  }
});

test('starts inside a namespace: netdev bridge devices appear there, not in the root namespace; stop leaves nothing', async (t) => {
  const ns = await nets.add('fx');
  const o = await startTimed(t, { name: 'fx-ns', netns: ns });
  const pids = [o.ovsdbServer.pid, o.vswitchd.pid];
  try {
    const ps = await execa('ip', ['netns', 'pids', ns]);
    assert.deepEqual(ps.stdout.split('\n').map(Number).sort(), [...pids].sort(), 'both daemons run inside the namespace');
    // A bridge named with the run prefix: only ever created inside our namespace.
    const br = `${nets.prefix}br`;
    await o.vsctl(['--', 'add-br', br, '--', 'set', 'Bridge', br, 'datapath_type=netdev']);
    assert.match(await o.appctl(['dpif/show']), new RegExp(`${br} 65534/`));
    await nets.ip(ns, ['link', 'show', br]);
    const root = await execa('ip', ['link', 'show', br], { reject: false });
    assert.notEqual(root.exitCode, 0, 'the bridge tap is not in the root namespace');
    // ovs-ofctl finds <runDir>/<bridge>.mgmt through OVS_RUNDIR.
    assert.match(await o.ofctl(['dump-flows', br]), /actions=NORMAL/);
  } finally {
    await stopTimed(t, o);
  }
  assert.deepEqual(pids.filter(pidAlive), [], 'no daemon left');
  assert.equal(existsSync(o.dir), false);
  await nets.cleanup();
  assert.equal(await OvsNetns.exists(ns), false, 'namespace deleted');
});
