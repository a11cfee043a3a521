/** Per-port flows: steering, anti-spoofing, DHCP, ND/RA, conntrack states, port modes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderOvsFirewall } from '../../../agents/ovs/firewall/render.js';
import { inTable, line, LLA1, MAC1, MAC2, onePort, P1, P2, SG, sgPort, VLAN, wired } from './fixtures.js';

test('table 60: egress by in_port → 71 with reg5=ofport, reg6=local VLAN; ingress by VLAN + each allowed MAC → 81', () => {
  const r = renderOvsFirewall(onePort([], { allowed_address_pairs: [{ ip_address: '10.0.0.50', mac_address: MAC2 }] }));
  assert.deepEqual(inTable(r.flows, 60), [
    `table=60,priority=100,in_port=3 actions=set_field:3->reg5,set_field:${VLAN}->reg6,resubmit(,71)`,
    `table=60,priority=90,dl_dst=${MAC1},dl_vlan=${VLAN} actions=set_field:3->reg5,set_field:${VLAN}->reg6,strip_vlan,resubmit(,81)`,
    `table=60,priority=90,dl_dst=${MAC2},dl_vlan=${VLAN} actions=set_field:3->reg5,set_field:${VLAN}->reg6,strip_vlan,resubmit(,81)`,
  ]);
  assert.ok(r.flows.filter((f) => f.table === 60).every((f) => f.priority >= 90));
  assert.ok(r.flows.every((f) => f.table === 60 || (f.table >= 71 && f.table <= 94)));
});

test('anti-spoofing: IP and ARP only from the port\'s MAC/IP pairs (fixed IPs and allowed address pairs); the rest dropped', () => {
  const r = renderOvsFirewall(onePort([], { allowed_address_pairs: [{ ip_address: '10.9.0.0/16', mac_address: MAC2 }, { ip_address: '2001:db8::/64', mac_address: MAC1 }] }));
  const t71 = inTable(r.flows, 71);
  const ct = 'ct(table=72,zone=NXM_NX_REG6[0..15])';
  for (const l of [
    `table=71,priority=95,reg5=3,in_port=3,dl_src=${MAC1},arp,arp_spa=10.0.0.1,arp_sha=${MAC1} actions=resubmit(,94)`,
    `table=71,priority=95,reg5=3,in_port=3,dl_src=${MAC2},arp,arp_spa=10.9.0.0/16,arp_sha=${MAC2} actions=resubmit(,94)`,
    `table=71,priority=65,reg5=3,in_port=3,dl_src=${MAC1},ip,nw_src=10.0.0.1 actions=${ct}`,
    `table=71,priority=65,reg5=3,in_port=3,dl_src=${MAC2},ip,nw_src=10.9.0.0/16 actions=${ct}`,
    `table=71,priority=65,reg5=3,in_port=3,dl_src=${MAC1},ipv6,ipv6_src=2001:db8::/64 actions=${ct}`,
    `table=71,priority=65,reg5=3,in_port=3,dl_src=${MAC1},ipv6,ipv6_src=${LLA1} actions=${ct}`,
    'table=71,priority=10,reg5=3,in_port=3 actions=ct_clear,resubmit(,93)',
  ]) assert.ok(t71.includes(l), `missing ${l}\n${t71.join('\n')}`);
  assert.equal(t71.filter((l) => l.includes('priority=65')).length, 4);
  assert.equal(t71.filter((l) => l.includes(',arp,')).length, 2);
});

test('DHCP: client requests allowed (also from 0.0.0.0), a DHCP server on the port dropped, offers to it allowed', () => {
  const r = renderOvsFirewall(onePort([]));
  const t71 = inTable(r.flows, 71);
  for (const l of [
    `table=71,priority=80,reg5=3,in_port=3,dl_src=${MAC1},ip,nw_src=0.0.0.0,nw_proto=17,tp_src=68,tp_dst=67 actions=resubmit(,73)`,
    `table=71,priority=80,reg5=3,in_port=3,dl_src=${MAC1},ip,nw_src=10.0.0.1,nw_proto=17,tp_src=68,tp_dst=67 actions=resubmit(,73)`,
    `table=71,priority=80,reg5=3,in_port=3,dl_src=${MAC1},ipv6,ipv6_src=${LLA1},nw_proto=17,tp_src=546,tp_dst=547 actions=resubmit(,73)`,
    'table=71,priority=70,reg5=3,in_port=3,ip,nw_proto=17,tp_src=67,tp_dst=68 actions=resubmit(,93)',
    'table=71,priority=70,reg5=3,in_port=3,ipv6,nw_proto=17,tp_src=547,tp_dst=546 actions=resubmit(,93)',
  ]) assert.ok(t71.includes(l), `missing ${l}`);
  const t81 = inTable(r.flows, 81);
  assert.ok(t81.includes('table=81,priority=95,reg5=3,ip,nw_proto=17,tp_src=67,tp_dst=68 actions=output:3'));
  assert.ok(t81.includes('table=81,priority=95,reg5=3,ipv6,nw_proto=17,tp_src=547,tp_dst=546 actions=output:3'));
});

test('IPv6 ND/RA: MLD query, RS, NS from own pairs; NA only for own targets; RA from the port dropped; ND and RA in allowed', () => {
  const r = renderOvsFirewall(onePort([], { fixed_ips: ['10.0.0.1', '2001:db8::1'] }));
  const t71 = inTable(r.flows, 71);
  for (const ip of [LLA1, '2001:db8::1']) {
    for (const type of [130, 133, 135]) assert.ok(t71.includes(`table=71,priority=95,reg5=3,in_port=3,dl_src=${MAC1},ipv6,ipv6_src=${ip},nw_proto=58,icmp_type=${type} actions=resubmit(,94)`), `${ip} ${type}`);
    assert.ok(t71.includes(`table=71,priority=95,reg5=3,in_port=3,ipv6,nw_proto=58,icmp_type=136,nd_target=${ip} actions=resubmit(,94)`));
  }
  assert.ok(t71.includes('table=71,priority=70,reg5=3,in_port=3,ipv6,nw_proto=58,icmp_type=134 actions=resubmit(,93)'));
  const t81 = inTable(r.flows, 81);
  for (const type of [130, 134, 135, 136]) assert.ok(t81.includes(`table=81,priority=100,reg5=3,ipv6,nw_proto=58,icmp_type=${type} actions=output:3`));
  assert.ok(t81.includes('table=81,priority=100,reg5=3,arp actions=output:3'));
});

test('conntrack states: replies/related accepted in the port\'s zone, invalid and marked connections dropped, dead connections marked', () => {
  const r = renderOvsFirewall(onePort([]));
  const t82 = inTable(r.flows, 82);
  assert.deepEqual(t82, [
    'table=82,priority=50,ct_mark=0x1,reg5=3 actions=resubmit(,93)',
    `table=82,priority=50,ct_state=+est-rel+rpl,ct_mark=0x0,ct_zone=${VLAN},reg5=3 actions=output:3`,
    'table=82,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    `table=82,priority=50,ct_state=-new-est+rel-inv,ct_mark=0x0,ct_zone=${VLAN},reg5=3 actions=output:3`,
    'table=82,priority=40,ct_state=+est,reg5=3,ip actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(set_field:0x1->ct_mark))',
    'table=82,priority=40,ct_state=+est,reg5=3,ipv6 actions=ct(commit,zone=NXM_NX_REG6[0..15],exec(set_field:0x1->ct_mark))',
    'table=82,priority=40,ct_state=-est,reg5=3 actions=resubmit(,93)',
    'table=82,priority=0 actions=drop',
  ]);
  assert.ok(inTable(r.flows, 72).includes(`table=72,priority=50,ct_state=+est-rel+rpl,ct_mark=0x0,ct_zone=${VLAN},reg5=3 actions=resubmit(,94)`));
  assert.deepEqual(inTable(r.flows, 73), [
    `table=73,priority=100,reg6=${VLAN},dl_dst=${MAC1} actions=set_field:3->reg5,resubmit(,81)`,
    'table=73,priority=90,ct_state=+new-est,reg5=3,ip actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,91)',
    'table=73,priority=90,ct_state=+new-est,reg5=3,ipv6 actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,91)',
    'table=73,priority=80,reg5=3 actions=resubmit(,94)',
    'table=73,priority=0 actions=drop',
  ]);
});

test('port security on, no security groups: only what Neutron always allows (no rule flows)', () => {
  const r = renderOvsFirewall(onePort([], { security_groups: [] }));
  assert.equal(r.ports[0]?.mode, 'filtered');
  assert.deepEqual(r.flows.filter((f) => (f.table === 72 || f.table === 82) && f.priority >= 70), []);
  assert.ok(inTable(r.flows, 81).some((l) => l.includes('ct(table=82')));
  assert.ok(inTable(r.flows, 82).includes('table=82,priority=40,ct_state=-est,reg5=3 actions=resubmit(,93)'));
});

test('port security off: permitted (all its traffic accepted, no conntrack, nothing matches its MAC for ingress)', () => {
  const input = onePort([{ direction: 'ingress', ethertype: 'IPv4' }], { port_security_enabled: false });
  const r = renderOvsFirewall(input);
  assert.deepEqual(r.ports.map((p) => p.mode), ['permitted']);
  assert.deepEqual(r.ports[0]?.flows.map(line), [
    `table=60,priority=100,in_port=3 actions=set_field:3->reg5,set_field:${VLAN}->reg6,resubmit(,73)`,
    'table=73,priority=80,reg5=3 actions=resubmit(,94)',
  ]);
  assert.deepEqual(r.problems, []);
});

test('trusted ports (sg.trusted_devices, input.trusted, network:* owners absent from the reply) are permitted', () => {
  const input = onePort([]);
  input.ports.push(
    wired('dhcp-port', 10, 'fa:16:3e:00:00:10', { deviceOwner: 'network:dhcp', device: 'tapdhcp' }),
    wired('router-port', 11, 'fa:16:3e:00:00:11', { device: 'qr-router' }),
    wired('other-port', 12, 'fa:16:3e:00:00:12', { device: 'tapother' }),
  );
  input.sg.trusted_devices = ['qr-router'];
  const r = renderOvsFirewall({ ...input, trusted: ['other-port'] });
  assert.deepEqual(r.ports.map((p) => `${p.portId}:${p.mode}`), [`${P1}:filtered`, 'dhcp-port:permitted', 'router-port:permitted', 'other-port:permitted']);
  assert.deepEqual(r.problems, []);
});

test('fail closed: a port without security group information, or listed as blocked, drops everything', () => {
  const input = onePort([]);
  input.ports.push(wired(P2, 4, MAC2), wired('port-3', 5, 'fa:16:3e:00:00:03'));
  input.sg.devices['port-3'] = sgPort('port-3', 'fa:16:3e:00:00:03', '10.0.0.3');
  const r = renderOvsFirewall({ ...input, blocked: ['tapport-3'] });
  assert.deepEqual(r.ports.map((p) => `${p.portId}:${p.mode}`), [`${P1}:filtered`, `${P2}:blocked`, 'port-3:blocked']);
  assert.deepEqual(r.problems.map((p) => p.path), [`ports.${P2}`]);
  assert.deepEqual(r.ports[1]?.flows.map(line), [
    `table=60,priority=100,in_port=4 actions=resubmit(,93)`,
    `table=60,priority=90,dl_dst=${MAC2},dl_vlan=${VLAN} actions=resubmit(,93)`,
    `table=73,priority=100,reg6=${VLAN},dl_dst=${MAC2} actions=resubmit(,93)`,
  ]);
});

test('ports that cannot be addressed are skipped with a reason: bad ofport, dead VLAN, bad MAC, duplicate ofport (the lower port id keeps it)', () => {
  const input = onePort([]);
  input.ports.push(
    wired('p-ofport', 0, 'fa:16:3e:00:00:05'),
    wired('p-dead', 6, 'fa:16:3e:00:00:06', { localVlan: 4095 }),
    wired('p-mac', 7, 'not-a-mac'),
    wired('zz-dup', 3, 'fa:16:3e:00:00:08'),
  );
  const r = renderOvsFirewall(input);
  assert.deepEqual(r.ports.map((p) => p.portId), [P1]);
  assert.deepEqual(r.problems.map((p) => p.path).sort(), ['ports.p-dead', 'ports.p-mac', 'ports.p-ofport', 'ports.zz-dup']);
});

test('two ports claiming one MAC on one network: the first (lowest ofport) keeps it, the other is reported', () => {
  const input = onePort([]);
  input.sg.devices[P2] = sgPort(P2, MAC2, '10.0.0.2', { allowed_address_pairs: [{ ip_address: '10.0.0.1', mac_address: MAC1 }] });
  input.ports.push(wired(P2, 4, MAC2));
  const r = renderOvsFirewall(input);
  assert.equal(r.problems.length, 2, JSON.stringify(r.problems));
  assert.ok(r.problems.every((p) => p.path === `ports.${P2}` && /conflicts with port port-1/.test(p.reason)));
  const keys = r.flows.map((f) => `${f.table}|${f.priority}|${f.match}`);
  assert.equal(new Set(keys).size, keys.length, 'two flows with one match and priority');
});

test('permitted ethertypes: accepted from filtered ports; a malformed one is reported', () => {
  const r = renderOvsFirewall({ ...onePort([]), permittedEthertypes: ['0x88cc', 'lldp'] });
  assert.ok(inTable(r.flows, 71).includes('table=71,priority=95,reg5=3,dl_type=0x88cc actions=resubmit(,94)'));
  assert.deepEqual(r.problems.map((p) => p.path), ['permitted_ethertypes[1]']);
});

test('common flows: table defaults, conntrack reset on re-entry, pass-through hooks', () => {
  const r = renderOvsFirewall({ sg: { devices: {}, security_groups: {}, sg_member_ips: {}, trusted_devices: [] }, ports: [] });
  assert.deepEqual(r.flows.map(line), [
    'table=71,priority=110,ct_state=+trk actions=ct_clear,resubmit(,71)',
    'table=71,priority=0 actions=drop',
    'table=72,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=72,priority=0 actions=drop',
    'table=73,priority=0 actions=drop',
    'table=81,priority=0 actions=drop',
    'table=82,priority=50,ct_state=+trk+inv actions=resubmit(,93)',
    'table=82,priority=0 actions=drop',
    'table=91,priority=1 actions=resubmit(,94)',
    'table=92,priority=0 actions=drop',
    'table=93,priority=0 actions=drop',
    'table=94,priority=1 actions=NORMAL',
  ]);
  assert.deepEqual(r.common, r.flows);
});
