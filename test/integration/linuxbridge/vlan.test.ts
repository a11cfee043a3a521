/**
 * VLAN networks on a real kernel: the ops planned for a vlan network (`<phys>.<vid>`
 * subinterface enslaved to the brq bridge) applied by the Executor in a throwaway
 * namespace (`ntv<4 hex>`), then read back. Kernels without 8021q (like the CI
 * kernel) answer "Unknown device type": the test then skips, saying so.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { computeDesiredL2 } from '../../../agents/linuxbridge/desired.js';
import { bridgeName, type DeviceDetails } from '../../../agents/linuxbridge/model.js';
import { planL2Ops } from '../../../agents/linuxbridge/plan.js';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { readAddresses, readLinks } from '../../../shared/drivers/ip-links.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import type { Op } from '../../../shared/reconcile/ops.js';

const NS = `ntv${randomBytes(2).toString('hex')}`;
const PHYS = 'up0';
const NET = '7c1d7f00-1111-4222-8333-444455556666';
const PORT = 'ab12cd34-5678-4abc-8def-0123456789ab';
const TAP = `tap${PORT.slice(0, 11)}`;
let created = false;

after(async () => {
  if (!created) return;
  const pids = await execa('ip', ['netns', 'pids', NS], { reject: false });
  for (const p of pids.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', p], { reject: false });
  await execa('ip', ['netns', 'del', NS], { reject: false });
});

const inNs = (ops: Op[]): Op[] => ops.map((o) => ({ ...o, netns: NS }) as Op);

test('vlan network: planned ops create <phys>.<vid> under the brq bridge, tap enslaved; second plan is empty', async (t) => {
  const probe = await execa('ip', ['netns', 'add', NS], { reject: false });
  if (probe.exitCode !== 0) { t.skip(`cannot create a namespace: ${probe.stderr.trim()}`); return; }
  created = true;
  // The "physical" interface and a DHCP-like tap: veth pairs (no dummy module needed).
  await execa('ip', ['-n', NS, 'link', 'add', PHYS, 'type', 'veth', 'peer', 'name', 'up0p']);
  await execa('ip', ['-n', NS, 'link', 'add', TAP, 'type', 'veth', 'peer', 'name', 'ns-x']);
  const vlanProbe = await execa('ip', ['-n', NS, 'link', 'add', 'link', PHYS, 'name', `${PHYS}.4000`, 'type', 'vlan', 'id', '4000'], { reject: false });
  if (vlanProbe.exitCode !== 0) {
    const why = vlanProbe.stderr.trim();
    if (/Unknown device type|Operation not supported|not supported/i.test(why)) {
      console.log(`# skipping: no 8021q on this kernel: ${why}`);
      t.skip(`no 8021q on this kernel: ${why}`);
      return;
    }
    assert.fail(`ip link add type vlan failed: ${why}`);
  }
  await execa('ip', ['-n', NS, 'link', 'del', `${PHYS}.4000`]);

  const details: DeviceDetails = {
    device: TAP, port_id: PORT, network_id: NET, mac_address: 'fa:16:3e:00:00:42', admin_state_up: true, network_type: 'vlan',
    segmentation_id: 100, physical_network: 'physnet1', mtu: 1500, fixed_ips: [], device_owner: 'network:dhcp', allowed_address_pairs: [], port_security_enabled: true,
  };
  const desired = computeDesiredL2({ interfaceMappings: { physnet1: PHYS }, bridgeMappings: {} }, [details]);
  const runner = new ExecaCommandRunner();
  const plan = async (): Promise<Op[]> => planL2Ops({ desired, links: await readLinks(runner, NS), addresses: await readAddresses(runner, NS), mappedBridges: new Set(), sweep: true });

  const ops = await plan();
  assert.ok(ops.some((o) => o.kind === 'link.add' && o.link.type === 'vlan' && o.name === `${PHYS}.100`), JSON.stringify(ops));
  const res = await new Executor({ runner }).apply(inNs(ops));
  assert.deepEqual(res.failed.map((f) => `${f.op.kind} ${f.key}: ${f.error.message}`), []);

  const links = await readLinks(runner, NS);
  const br = bridgeName(NET);
  assert.equal(links.get(br)?.kind, 'bridge');
  assert.equal(links.get(br)?.up, true);
  const sub = links.get(`${PHYS}.100`);
  assert.equal(sub?.kind, 'vlan');
  assert.deepEqual(sub?.vlan, { parent: PHYS, id: 100 });
  assert.equal(sub?.master, br);
  assert.equal(links.get(TAP)?.master, br);
  assert.equal(links.get(PHYS)?.master, undefined, 'the physical interface itself is not enslaved');
  assert.deepEqual(await plan(), [], 'steady after one apply');

  // Orphaned (no device wants it any more): swept with its subinterface, the physical interface stays.
  await execa('ip', ['-n', NS, 'link', 'del', TAP]);
  const empty = computeDesiredL2({ interfaceMappings: { physnet1: PHYS }, bridgeMappings: {} }, []);
  const sweep = planL2Ops({ desired: empty, links: await readLinks(runner, NS), addresses: [], mappedBridges: new Set(), sweep: true });
  const res2 = await new Executor({ runner }).apply(inNs(sweep));
  assert.deepEqual(res2.failed.map((f) => f.error.message), []);
  const left = await readLinks(runner, NS);
  assert.ok(!left.has(br) && !left.has(`${PHYS}.100`) && left.has(PHYS), [...left.keys()].join(','));
});
