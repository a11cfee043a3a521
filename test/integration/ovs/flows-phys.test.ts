/**
 * Provider networks through a physical bridge, one node, programmed only with our
 * rendered br-int and br-ex flows (plain `ovs-ofctl add-flows`):
 *
 *   vmflat (tag 3) ─┐                                  ┌─ extflat (untagged: the flat network)
 *                   br-int ── int-br-ex / phy-br-ex ── br-ex
 *   vmvlan (tag 4) ─┘                                  └─ extvlan (access port tag=100:
 *                                                         a host on VLAN 100 of the wire)
 * flat network physnet1 → local VLAN 3; vlan network physnet1/100 → local VLAN 4. The
 * physical side's hosts hang off br-ex itself (this kernel has no 8021q, so VLAN 100
 * ends at an OVS access port). All four share one subnet, so only the flows keep the
 * networks apart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBrIntFlows, renderBrPhysFlows } from '../../../agents/ovs/flows/index.js';
import type { LocalVlan, WiredPort } from '../../../agents/ovs/model.js';
import { startOvs, type OvsInstance } from '../../harness/ovs.js';
import { OvsNetns } from './netns.js';
import { installFlows, ofportOf, packetsOf, pings, plugVm, received, type Vm } from '../../unit/ovs-flows/real-ovs.js';

const NET_FLAT = 'ffffffff-0000-4000-8000-00000000000f';
const NET_VLAN = 'eeeeeeee-0000-4000-8000-00000000000e';
const LVS: LocalVlan[] = [
  { networkId: NET_FLAT, localVlan: 3, networkType: 'flat', segmentationId: undefined, physicalNetwork: 'physnet1', mtu: 1500 },
  { networkId: NET_VLAN, localVlan: 4, networkType: 'vlan', segmentationId: 100, physicalNetwork: 'physnet1', mtu: 1500 },
];

const nets = new OvsNetns();
let ovs: OvsInstance | undefined;
const vms = new Map<string, Vm>();
const vm = (k: string): Vm => vms.get(k)!;

describe('flat and vlan provider networks through br-ex with the rendered flows', () => {
  before(async () => {
    const host = await nets.add('hp');
    ovs = await startOvs({ name: 'phys', netns: host });
    const br = (name: string): string[] => ['--', 'add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev', 'fail_mode=secure'];
    await ovs.vsctl([
      ...br('br-int').slice(1), ...br('br-ex'),
      '--', 'add-port', 'br-int', 'int-br-ex', '--', 'set', 'interface', 'int-br-ex', 'type=patch', 'options:peer=phy-br-ex',
      '--', 'add-port', 'br-ex', 'phy-br-ex', '--', 'set', 'interface', 'phy-br-ex', 'type=patch', 'options:peer=int-br-ex',
    ]);
    const plug = async (key: string, bridge: string, tag: number | undefined, ip: string, mac: string): Promise<void> => {
      const vmNs = await nets.add(key.slice(0, 8));
      vms.set(key, await plugVm(nets, ovs!, { hostNs: host, vmNs, hostDev: `t${key}`.slice(0, 15), bridge, ...(tag !== undefined ? { tag } : {}), ip, mac }));
    };
    await plug('vmflat', 'br-int', 3, '10.70.0.1', 'fa:16:3e:70:00:01');
    await plug('extflat', 'br-ex', undefined, '10.70.0.2', 'fa:16:3e:70:00:02');
    await plug('vmvlan', 'br-int', 4, '10.70.0.3', 'fa:16:3e:70:00:03');
    await plug('extvlan', 'br-ex', 100, '10.70.0.4', 'fa:16:3e:70:00:04');

    const ports: WiredPort[] = [];
    for (const [i, [key, net, lv]] of ([['vmflat', NET_FLAT, 3], ['vmvlan', NET_VLAN, 4]] as const).entries()) {
      ports.push({
        portId: `dddddddd-0000-4000-8000-00000000000${i}`, networkId: net, device: vm(key).hostDev, ofport: await ofportOf(ovs, vm(key).hostDev),
        mac: vm(key).mac, localVlan: lv, fixedIps: [vm(key).ip], allowedAddressPairs: [], portSecurityEnabled: true,
        securityGroupIds: [], deviceOwner: 'compute:nova', adminStateUp: true,
      });
    }
    await installFlows(ovs, 'br-int', renderBrIntFlows({ patchTunOfport: undefined, physPatchOfports: new Map([['physnet1', await ofportOf(ovs, 'int-br-ex')]]), localVlans: LVS, ports, firewallEnabled: false }));
    await installFlows(ovs, 'br-ex', renderBrPhysFlows({ bridge: 'br-ex', physicalNetwork: 'physnet1', phyPatchOfport: await ofportOf(ovs, 'phy-br-ex'), localVlans: LVS }));
  });

  after(async () => {
    try {
      await ovs?.stop();
    } finally {
      await nets.cleanup();
    }
  });

  const dumps = async (): Promise<string> => `${await ovs!.ofctl(['dump-flows', '--no-names', 'br-int'])}\n${await ovs!.ofctl(['dump-flows', '--no-names', 'br-ex'])}`;

  test('flat: the VM reaches the untagged host on the physical side (strip_vlan out, local VLAN in)', async () => {
    if (!(await pings(nets, vm('vmflat'), '10.70.0.2'))) assert.fail(`vmflat → extflat failed\n${await dumps()}`);
    assert.equal(await received(nets, vm('extflat'), '10.70.0.1'), 3);
    assert.ok(await packetsOf(ovs!, 'br-ex', 0, 'dl_vlan=3') > 0);
    assert.ok(await packetsOf(ovs!, 'br-int', 0, 'vlan_tci=0x0000/0x1fff') > 0);
  });

  test('vlan: the VM reaches the host on VLAN 100 (mod_vlan_vid:100 out, 100 → local VLAN in)', async () => {
    if (!(await pings(nets, vm('vmvlan'), '10.70.0.4'))) assert.fail(`vmvlan → extvlan failed\n${await dumps()}`);
    assert.equal(await received(nets, vm('extvlan'), '10.70.0.3'), 3);
    assert.ok(await packetsOf(ovs!, 'br-ex', 0, 'dl_vlan=4') > 0);
    assert.ok(await packetsOf(ovs!, 'br-int', 0, 'dl_vlan=100') > 0);
  });

  test('the two provider networks stay apart', async () => {
    assert.equal(await received(nets, vm('vmflat'), '10.70.0.4'), 0, 'flat VM reached the VLAN 100 host');
    assert.equal(await received(nets, vm('vmflat'), '10.70.0.3'), 0, 'flat VM reached the vlan VM');
    assert.equal(await received(nets, vm('vmvlan'), '10.70.0.2'), 0, 'vlan VM reached the flat host');
  });
});
