/**
 * Physical bridge flows against Neutron Zed's br_phys.py (native driver) and
 * ovs_neutron_agent.setup_physical_bridges / _local_vlan_for_physical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBrPhysFlows, FlowInputError } from '../../../agents/ovs/flows/index.js';
import { brPhys, LV_FLAT, LV_VLAN, lines } from './fixtures.js';

test('flat → strip_vlan, vlan → physical tag, both NORMAL; the rest from phy-<br> dropped; NORMAL by default', () => {
  assert.deepEqual(lines(renderBrPhysFlows(brPhys())), [
    // provision_local_vlan(port=phys_ofport, lvid, segmentation_id, distributed=False):
    // table 0, priority 4, in_port + vlan_vid=lvid|PRESENT → pop_vlan (flat) or
    // set_field vlan_vid=seg (vlan), output NORMAL
    'table=0,priority=4,in_port=1,dl_vlan=2,actions=strip_vlan,NORMAL',
    'table=0,priority=4,in_port=1,dl_vlan=3,actions=mod_vlan_vid:100,NORMAL',
    // setup_physical_bridges: br.drop_port(in_port=phys_ofport) when not DVR
    'table=0,priority=2,in_port=1,actions=drop',
    // setup_default_table: install_normal()
    'table=0,priority=0,actions=NORMAL',
  ]);
});

test('only this bridge\'s physical network', () => {
  const f = lines(renderBrPhysFlows(brPhys({ physicalNetwork: 'physnet2', localVlans: [LV_FLAT, { ...LV_VLAN, physicalNetwork: 'physnet2' }] })));
  assert.deepEqual(f, ['table=0,priority=4,in_port=1,dl_vlan=3,actions=mod_vlan_vid:100,NORMAL', 'table=0,priority=2,in_port=1,actions=drop', 'table=0,priority=0,actions=NORMAL']);
});

test('nonsense input is refused', () => {
  const bad: Array<[string, Parameters<typeof brPhys>[0]]> = [
    ['bridge', { bridge: 'br ex' }],
    ['bridge', { bridge: 'a-bridge-name-too-long' }],
    ['physicalNetwork', { physicalNetwork: '' }],
    ['phyPatchOfport', { phyPatchOfport: 0xff00 }],
    ['localVlans[0].segmentationId', { localVlans: [{ ...LV_VLAN, segmentationId: 0 }] }],
  ];
  for (const [field, over] of bad) {
    assert.throws(() => renderBrPhysFlows(brPhys(over)), (err: unknown) => err instanceof FlowInputError && err.field === field, field);
  }
});
