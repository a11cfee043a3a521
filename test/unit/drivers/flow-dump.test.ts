/**
 * The parsers against ovs-ofctl 3.1's real output (recorded here from a netdev bridge).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDumpFlows, parseDumpedFlowLine, parseFlowModEcho } from '../../../shared/drivers/ovs/flow-dump.js';
import { OfctlOutputError } from '../../../shared/drivers/ovs/flow-errors.js';
import { describeOfctlFailure } from '../../../shared/drivers/ovs/ovs-ofctl.js';

const DUMP_OF14 = `OFPST_FLOW reply (OF1.4) (xid=0x2):
 cookie=0x4, duration=0.020s, table=0, n_packets=0, n_bytes=0, priority=65535,dl_vlan=4095 actions=drop
 cookie=0x29, duration=0.020s, table=0, n_packets=7, n_bytes=588, priority=25,vlan_tci=0x1000/0x1000 actions=pop_vlan,output:1
 cookie=0x6e75000000000001, duration=1.250s, table=0, n_packets=0, n_bytes=0, priority=10,in_port=1,dl_vlan=5 actions=set_field:4104->vlan_vid,output:2
OFPST_FLOW reply (OF1.4) (xid=0x2): flags=[more]
 cookie=0x8, duration=0.036s, table=10, n_packets=0, n_bytes=0, priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1
 cookie=0x0, duration=0.036s, table=20, n_packets=0, n_bytes=0, hard_timeout=300, priority=1,dl_vlan=1,dl_dst=fa:16:3e:00:00:09 actions=pop_vlan,output:1
 cookie=0x5, duration=27.744s, table=3, n_packets=0, n_bytes=0, actions=drop
 cookie=0x6, duration=27.744s, table=3, n_packets=0, n_bytes=0, in_port=1 actions=drop
 cookie=0x0, duration=27.744s, table=3, n_packets=0, n_bytes=0, idle_timeout=300, hard_timeout=600, send_flow_rem priority=7,in_port=2 actions=output:1
 cookie=0x0, duration=27.744s, table=3, n_packets=0, n_bytes=0, importance=5, priority=8,in_port=3 actions=output:1
 cookie=0x14, duration=0.036s, table=72, n_packets=0, n_bytes=0, priority=70,ct_state=+est-rel-rpl,ip,reg6=0x2,nw_src=10.0.0.0/24 actions=conjunction(10,1/2)
`;

test('dump-flows (OF1.4, with statistics): every flow line, reply headers skipped', () => {
  const flows = parseDumpFlows(DUMP_OF14);
  assert.equal(flows.length, 10);
  assert.deepEqual(flows[0], { cookie: 0x4n, table: 0, priority: 65535, match: 'dl_vlan=4095', actions: 'drop', nPackets: 0, nBytes: 0, durationSec: 0.02 });
  assert.deepEqual(flows[1], { cookie: 0x29n, table: 0, priority: 25, match: 'vlan_tci=0x1000/0x1000', actions: 'pop_vlan,output:1', nPackets: 7, nBytes: 588, durationSec: 0.02 });
  assert.equal(flows[2]?.cookie, 0x6e75000000000001n);
  assert.equal(flows[2]?.match, 'in_port=1,dl_vlan=5');
});

test('dump-flows: actions with commas and parentheses (learn, conjunction) stay whole', () => {
  const flows = parseDumpFlows(DUMP_OF14);
  assert.match(flows[3]?.actions ?? '', /^learn\(table=20,hard_timeout=300,.*\),output:1$/);
  assert.equal(flows[3]?.match, '');
  assert.equal(flows[3]?.priority, 1);
  assert.equal(flows[9]?.actions, 'conjunction(10,1/2)');
  assert.equal(flows[9]?.match, 'ct_state=+est-rel-rpl,ip,reg6=0x2,nw_src=10.0.0.0/24');
});

test('dump-flows: timeouts and flags are read, not taken for the match; default priority 32768 when omitted', () => {
  const flows = parseDumpFlows(DUMP_OF14);
  assert.equal(flows[4]?.hardTimeout, 300);
  assert.equal(flows[4]?.match, 'dl_vlan=1,dl_dst=fa:16:3e:00:00:09');
  assert.deepEqual([flows[5]?.priority, flows[5]?.match, flows[5]?.table], [32768, '', 3]);
  assert.deepEqual([flows[6]?.priority, flows[6]?.match], [32768, 'in_port=1']);
  assert.deepEqual([flows[7]?.idleTimeout, flows[7]?.hardTimeout, flows[7]?.priority, flows[7]?.match], [300, 600, 7, 'in_port=2']);
  assert.deepEqual([flows[8]?.priority, flows[8]?.match], [8, 'in_port=3']);
});

test('dump-flows: an OpenFlow 1.0 line (idle_age) parses the same way', () => {
  const f = parseDumpedFlowLine(' cookie=0xabc, duration=0.004s, table=0, n_packets=0, n_bytes=0, idle_age=0, priority=10,in_port=1,dl_vlan=5 actions=mod_vlan_vid:7,output:2');
  assert.deepEqual(f, { cookie: 0xabcn, table: 0, priority: 10, match: 'in_port=1,dl_vlan=5', actions: 'mod_vlan_vid:7,output:2', nPackets: 0, nBytes: 0, durationSec: 0.004 });
});

test('dump-flows: unreadable lines throw instead of being skipped', () => {
  assert.throws(() => parseDumpFlows(' priority=0 actions=NORMAL\n'), OfctlOutputError, '--no-stats output (no cookie) is refused');
  assert.throws(() => parseDumpFlows(' cookie=0x1, table=0, priority=0\n'), OfctlOutputError);
  assert.throws(() => parseDumpFlows(' cookie=0xzz, table=0, priority=0 actions=drop\n'), OfctlOutputError);
  assert.deepEqual(parseDumpFlows('OFPST_FLOW reply (OF1.4) (xid=0x2):\n'), []);
});

test('parse-flows echoes: table, cookie, match and actions', () => {
  assert.deepEqual(parseFlowModEcho('OFPT_FLOW_MOD (OF1.4) (xid=0x3): ADD priority=3,in_port=1,vlan_tci=0x0000/0x1fff cookie:0x3 actions=push_vlan:0x8100,set_field:4099->vlan_vid,resubmit(,60)'), {
    command: 'ADD', table: 0, priority: 3, match: 'in_port=1,vlan_tci=0x0000/0x1fff', cookie: 3n, actions: 'push_vlan:0x8100,set_field:4099->vlan_vid,resubmit(,60)',
  });
  assert.deepEqual(parseFlowModEcho('OFPT_FLOW_MOD (OF1.4) (xid=0x1): ADD table:3 cookie:0x5 actions=drop'), { command: 'ADD', table: 3, priority: 32768, match: '', cookie: 5n, actions: 'drop' });
  assert.deepEqual(parseFlowModEcho('OFPT_FLOW_MOD (OF1.4) (xid=0x3): ADD table:3 priority=7,in_port=2 idle:300 hard:600 send_flow_rem actions=output:1'), { command: 'ADD', table: 3, priority: 7, match: 'in_port=2', cookie: 0n, actions: 'output:1' });
  assert.equal(parseFlowModEcho('usable protocols: OXM'), undefined);
  assert.equal(parseFlowModEcho('chosen protocol: OXM-OpenFlow14'), undefined);
});

test('a refused bundle: the error reply quoting the flow mod is read, with the cookie mask of a modify', () => {
  const stderr = `Error OFPBAC_BAD_OUT_GROUP for: OFPT_FLOW_MOD (OF1.4) (xid=0x7): MOD_STRICT priority=10,in_port=1,dl_vlan=5 cookie:0x6e75000000000001/0xffffffffffffffff actions=group:7
Error OFPBFC_MSG_FAILED for: OFPT_BUNDLE_CONTROL (OF1.4) (xid=0xa):
 bundle_id=0 type=COMMIT_REQUEST flags=atomic ordered
ovs-ofctl: talking to unix:/tmp/x/run/brx.mgmt (Protocol error)
`;
  const f = describeOfctlFailure(stderr);
  assert.match(f.reason, /^Error OFPBAC_BAD_OUT_GROUP/);
  assert.equal(f.lineNumber, undefined);
  assert.deepEqual(f.refused, { command: 'MOD_STRICT', table: 0, priority: 10, match: 'in_port=1,dl_vlan=5', cookie: 0x6e75000000000001n, cookieMask: (1n << 64n) - 1n, actions: 'group:7' });
});

test('a parse error names the stdin line; vlog lines are context, not the reason', () => {
  const f = describeOfctlFailure('2026-11-26T07:00:04Z|00001|ofp_table|WARN|table 300 is outside the supported range 0 through 255\novs-ofctl: -:2: 300: resubmit to unknown table\n');
  assert.equal(f.lineNumber, 2);
  assert.equal(f.reason, 'ovs-ofctl: -:2: 300: resubmit to unknown table');
  assert.equal(f.refused, undefined);
});
