/** Security group rules → flows in tables 72/82, one test per rule kind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOvsFirewall } from '../../../agents/ovs/firewall/render.js';
import type { SgRule } from '../../../shared/firewall/types.js';
import { inTable, MAC2, onePort, P1, P2, SG, SG2, sgPort, wired } from './fixtures.js';

const ruleFlows = (rules: SgRule[], table: number, info = {}): string[] =>
  inTable(renderOvsFirewall(onePort(rules, {}, info)).flows, table).filter((l) => /priority=7\d,/.test(l));

test('ingress rule: accept established-not-reply, commit new in the zone from reg6, output to the port', () => {
  assert.deepEqual(ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp' }], 82), [
    'table=82,priority=75,ct_state=+est-rel-rpl,reg5=3,ip,nw_proto=1 actions=output:3',
    'table=82,priority=75,ct_state=+new-est,reg5=3,ip,nw_proto=1 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
  ]);
});

test('egress rule: table 72, on to table 73 (which commits or hands over to the local destination)', () => {
  assert.deepEqual(ruleFlows([{ direction: 'egress', ethertype: 'IPv6' }], 72), [
    'table=72,priority=74,ct_state=+est-rel-rpl,reg5=3,ipv6 actions=resubmit(,73)',
    'table=72,priority=74,ct_state=+new-est,reg5=3,ipv6 actions=resubmit(,73)',
  ]);
});

test('ICMP type and code: icmp_type/icmp_code, more specific rules get higher priority', () => {
  const flows = ruleFlows([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 3, port_range_max: 4 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128, port_range_max: 0 },
  ], 82).filter((l) => l.includes('+new-est'));
  assert.deepEqual(flows, [
    'table=82,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=1,icmp_type=3,icmp_code=4 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=77,ct_state=+new-est,reg5=3,ipv6,nw_proto=58,icmp_type=128,icmp_code=0 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=76,ct_state=+new-est,reg5=3,ip,nw_proto=1,icmp_type=8 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
  ]);
});

test('TCP/UDP/SCTP port ranges: Neutron\'s value/mask expansion, source × destination', () => {
  const tcp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 40, port_range_max: 105 }], 82).filter((l) => l.includes('+new-est'));
  assert.deepEqual(tcp.map((l) => /tcp_dst=([^ ,]+)/.exec(l)?.[1]), ['0x0028/0xfff8', '0x0030/0xfff0', '0x0040/0xffe0', '0x0060/0xfff8', '0x0068/0xfffe']);
  assert.ok(tcp.every((l) => l.includes('priority=77,') && l.includes('nw_proto=6')));

  const udp = ruleFlows([{ direction: 'egress', ethertype: 'IPv4', protocol: 'udp', port_range_min: 53, port_range_max: 53, source_port_range_min: 1024, source_port_range_max: 2047 }], 72);
  assert.deepEqual(udp, [
    'table=72,priority=77,ct_state=+est-rel-rpl,reg5=3,ip,nw_proto=17,udp_src=0x0400/0xfc00,udp_dst=0x0035 actions=resubmit(,73)',
    'table=72,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=17,udp_src=0x0400/0xfc00,udp_dst=0x0035 actions=resubmit(,73)',
  ]);

  const sctp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv6', protocol: 'sctp', port_range_min: 9 }], 82);
  assert.ok(sctp.every((l) => l.includes('ipv6,nw_proto=132,sctp_dst=0x0009')), sctp.join('\n'));

  // OVS cannot match DCCP ports: Python's firewall drops the ports and keeps the protocol.
  const dccp = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'dccp', port_range_min: 9, port_range_max: 9 }], 82);
  assert.ok(dccp.length === 2 && dccp.every((l) => /,nw_proto=33 actions=/.test(l)), dccp.join('\n'));
});

test('remote IP prefixes: source for ingress, destination for egress, as OVS prints them; /0 adds nothing', () => {
  const f = ruleFlows([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, source_ip_prefix: '192.0.2.77/24' },
    { direction: 'egress', ethertype: 'IPv6', dest_ip_prefix: '2001:db8:0::5/128' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp', source_ip_prefix: '0.0.0.0/0' },
  ], 82).concat(ruleFlows([{ direction: 'egress', ethertype: 'IPv6', dest_ip_prefix: '2001:db8:0::5/128' }], 72));
  assert.ok(f.some((l) => l.includes('ip,nw_src=192.0.2.0/24,nw_proto=6,tcp_dst=0x0016')), f.join('\n'));
  assert.ok(f.some((l) => l.includes('table=82,priority=77,ct_state=+new-est,reg5=3,ip,nw_proto=17 ')), f.join('\n'));
  assert.ok(f.some((l) => l.includes('table=72,priority=74,ct_state=+new-est,reg5=3,ipv6,ipv6_dst=2001:db8::5 ')), f.join('\n'));
});

test('remote_group_id: one flow pair per member address of the rule\'s ethertype, at the remote-group priorities', () => {
  const info = {
    sg_member_ips: {
      [SG2]: { IPv4: [['10.0.0.9', MAC2], ['10.0.1.0/24', null], ['10.0.0.9', MAC2]], IPv6: [['2001:db8::9', MAC2]] },
    },
  } as const;
  const flows = renderOvsFirewall(onePort([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: SG2 }], {}, structuredClone(info) as never)).flows;
  assert.deepEqual(inTable(flows, 82).filter((l) => l.includes('priority=73')), [
    'table=82,priority=73,ct_state=+est-rel-rpl,reg5=3,ip,nw_src=10.0.0.9,nw_proto=6,tcp_dst=0x0016 actions=output:3',
    'table=82,priority=73,ct_state=+est-rel-rpl,reg5=3,ip,nw_src=10.0.1.0/24,nw_proto=6,tcp_dst=0x0016 actions=output:3',
    'table=82,priority=73,ct_state=+new-est,reg5=3,ip,nw_src=10.0.0.9,nw_proto=6,tcp_dst=0x0016 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
    'table=82,priority=73,ct_state=+new-est,reg5=3,ip,nw_src=10.0.1.0/24,nw_proto=6,tcp_dst=0x0016 actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:3,resubmit(,92)',
  ]);
});

test('remote group: no members, no flows; a /0 member is matched by its MAC; address groups work the same', () => {
  const none = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG2 }], 82);
  assert.deepEqual(none, []);
  const info = { sg_member_ips: { 'ag-1': { IPv4: [['0.0.0.0/0', MAC2]], IPv6: [] } } };
  const inF = ruleFlows([{ direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: 'ag-1' }], 82, info);
  assert.deepEqual(inF.map((l) => l.replace(/ actions=.*/, '')), [
    'table=82,priority=70,ct_state=+est-rel-rpl,reg5=3,dl_src=fa:16:3e:00:00:02,ip',
    'table=82,priority=70,ct_state=+new-est,reg5=3,dl_src=fa:16:3e:00:00:02,ip',
  ]);
  const outF = ruleFlows([{ direction: 'egress', ethertype: 'IPv4', remote_address_group_id: 'ag-1' }], 72, info);
  assert.ok(outF.every((l) => l.includes(`dl_dst=${MAC2}`)), outF.join('\n'));
});

test('stateless group (stateful=false): rules without conntrack, and no conntrack-state flows for the port', () => {
  const r = renderOvsFirewall(onePort([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: false },
    { direction: 'egress', ethertype: 'IPv4', stateful: false },
  ]));
  assert.equal(r.ports[0]?.stateless, true);
  assert.deepEqual(inTable(r.flows, 82), [
    'table=82,priority=75,reg5=3,ip,nw_proto=1 actions=output:3',
    'table=82,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=82,priority=0 actions=drop',
  ]);
  assert.deepEqual(inTable(r.flows, 72), [
    'table=72,priority=74,reg5=3,ip actions=resubmit(,73)',
    'table=72,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=72,priority=0 actions=drop',
  ]);
  assert.ok(inTable(r.flows, 71).some((l) => l.includes('priority=65') && l.endsWith('actions=resubmit(,72)')));
  assert.ok(!inTable(r.flows, 73).some((l) => l.includes('ct(commit')));
  // A packet a stateful local sender already tracked is committed for the sender's sake.
  assert.ok(inTable(r.flows, 81).includes('table=81,priority=90,ct_state=+trk,reg5=3,ip actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,82)'));
  assert.ok(inTable(r.flows, 81).includes('table=81,priority=85,reg5=3,ip actions=resubmit(,82)'));
});

test('stateful and stateless groups on one port: filtered statefully, reported', () => {
  const input = onePort([{ direction: 'egress', ethertype: 'IPv4' }], { security_groups: [SG, SG2] });
  input.sg.security_groups[SG2] = [{ direction: 'ingress', ethertype: 'IPv4', stateful: false }];
  const r = renderOvsFirewall(input);
  assert.equal(r.ports[0]?.stateless, false);
  assert.deepEqual(r.problems.map((p) => p.path), [`ports.${P1}`]);
});

test('malformed rules are skipped with a reason, once per group rule; the other rules still render', () => {
  const rules: SgRule[] = [
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'bogus' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 90, port_range_max: 80 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 300 },
    { direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG2, source_ip_prefix: '10.0.0.0/8' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udp' },
  ];
  const input = onePort(rules);
  // A second port in the same group: each bad rule is still reported once.
  input.sg.devices[P2] = sgPort(P2, MAC2, '10.0.0.2');
  input.ports.push(wired(P2, 4, MAC2));
  const r = renderOvsFirewall(input);
  assert.deepEqual(r.problems.map((p) => p.path), [0, 1, 2, 3].map((i) => `security_groups.${SG}[${i}]`));
  assert.match(r.problems[0]?.reason ?? '', /unknown protocol "bogus"/);
  assert.match(r.problems[1]?.reason ?? '', /max is smaller than min/);
  assert.match(r.problems[2]?.reason ?? '', /out of range/);
  assert.match(r.problems[3]?.reason ?? '', /remote group together with a remote IP prefix/);
  for (const ofport of [3, 4]) {
    assert.ok(inTable(r.flows, 82).some((l) => l.startsWith(`table=82,priority=77,ct_state=+new-est,reg5=${ofport},ip,nw_proto=17 `)));
    assert.equal(inTable(r.flows, 82).filter((l) => l.includes(`reg5=${ofport},`) && /priority=7\d/.test(l)).length, 2);
  }
});
