import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { renderFirewall } from '../../../shared/firewall/render.js';
import { ipsetName, OVS_HYBRID_CHAINS, portChain } from '../../../shared/firewall/names.js';
import { linkLocalOf } from '../../../shared/firewall/render-iptables.js';
import { chainRules, P1, P2, port, reply, SG, SG2, TAP1, TAP2 } from './fixtures.js';

const W = 'neutron-linuxbri';
const I1 = portChain('i', TAP1);
const O1 = portChain('o', TAP1);
const S1 = portChain('s', TAP1);

// dist/test/unit/firewall → repo root is four levels up; the sample sits beside the checkout.
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const samplePath = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples', 'neutron__q-plugin__security_group_info_for_devices.json');

test('names as Python makes them for neutron-linuxbridge-agent', () => {
  assert.equal(TAP1, 'tapaaaaaaaa-bb');
  assert.equal(I1, `${W}-iaaaaaaaa-b`);
  assert.equal(I1.length, 28);
  assert.equal(ipsetName(SG, 'IPv4'), 'NIPv411111111-2222-4333-8444-');
  assert.equal(ipsetName(SG, 'IPv4').length, 29);
});

test('recorded sample reply: 19 ports, chains per port, ipset of the remote group, no problems', (t) => {
  if (!existsSync(samplePath)) {
    t.skip(`sample not found at ${samplePath}`);
    console.log(`# skipped: ${samplePath} absent`);
    return;
  }
  const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as { reply: { message: { result: Record<string, unknown> } } };
  const result = sample.reply.message.result;
  const r = renderFirewall(result);
  assert.deepEqual(r.problems, []);
  const devices = Object.values(result['devices'] as Record<string, { device: string; fixed_ips: string[] }>);
  assert.equal(devices.length, 19);
  for (const d of devices) {
    for (const k of ['i', 'o', 's'] as const) assert.ok(r.tables[4].chains.includes(portChain(k, d.device)), `${k} chain of ${d.device}`);
    // IPv4-only ports have no IPv6 spoof chain (Python: no IPv6 pairs, no s chain).
    assert.ok(!r.tables[6].chains.includes(portChain('s', d.device)));
  }
  const first = devices[0];
  assert.ok(first);
  const i = chainRules(r.iptables4, portChain('i', first.device));
  // Per-port DHCP rule from the server, remote-group rule through the ipset, ICMP from anywhere.
  assert.ok(i.includes(`-A ${portChain('i', first.device)} -d ${first.fixed_ips[0]}/32 -p udp -m udp --sport 67 --dport 68 -j RETURN`));
  assert.ok(i.includes(`-A ${portChain('i', first.device)} -m set --match-set NIPv46da109e3-decc-48c2-80c0- src -j RETURN`));
  assert.ok(i.includes(`-A ${portChain('i', first.device)} -p icmp -j RETURN`));
  assert.deepEqual(r.ipsets.map((s) => [s.name, s.family, s.members.length]), [
    ['NIPv46da109e3-decc-48c2-80c0-', 'inet', 51],
    ['NIPv66da109e3-decc-48c2-80c0-', 'inet6', 0],
  ]);
  assert.equal(r.nftBridge.match(/: jump port_/g)?.length, 19);
});

test('skeleton: wrapped built-ins, sg-chain ends in ACCEPT, sg-fallback drops, jumps for each port', () => {
  const r = renderFirewall(reply([]));
  for (const c of ['INPUT', 'OUTPUT', 'FORWARD', 'local', 'sg-chain', 'sg-fallback']) assert.ok(r.tables[4].chains.includes(`${W}-${c}`), c);
  assert.deepEqual(chainRules(r.iptables4, `${W}-sg-fallback`), [`-A ${W}-sg-fallback -m comment --comment "Default drop rule for unmatched traffic." -j DROP`]);
  const sg = chainRules(r.iptables4, `${W}-sg-chain`);
  assert.equal(sg.at(-1), `-A ${W}-sg-chain -j ACCEPT`);
  assert.equal(sg.length, 5);
  assert.ok(sg[0]?.includes(`--physdev-out ${TAP1} --physdev-is-bridged`) && sg[0].endsWith(`-j ${I1}`));
  assert.ok(sg[1]?.includes(`--physdev-in ${TAP1} --physdev-is-bridged`) && sg[1].endsWith(`-j ${O1}`));
  assert.equal(chainRules(r.iptables4, `${W}-FORWARD`).length, 4);
  assert.equal(chainRules(r.iptables4, `${W}-INPUT`).length, 2);
  // Only egress rules: ingress chain is established, invalid, fallback.
  assert.deepEqual(chainRules(r.iptables4, I1).map((l) => l.replace(/ -m comment --comment "[^"]*"/, '')), [
    `-A ${I1} -m state --state RELATED,ESTABLISHED -j RETURN`,
    `-A ${I1} -m state --state INVALID -j DROP`,
    `-A ${I1} -j ${W}-sg-fallback`,
  ]);
});

test('ingress ICMP rule with type/code and from a prefix', () => {
  const r = renderFirewall(reply([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 8, port_range_max: 0, source_ip_prefix: '192.0.2.0/24' },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', port_range_min: 3 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: '1', source_ip_prefix: '0.0.0.0/0' },
  ]));
  const i = chainRules(r.iptables4, I1);
  assert.ok(i.includes(`-A ${I1} -s 192.0.2.0/24 -p icmp -m icmp --icmp-type 8/0 -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -p icmp -m icmp --icmp-type 3 -j RETURN`));
  // A /0 prefix is no constraint; protocol number 1 is icmp.
  assert.ok(i.includes(`-A ${I1} -p icmp -j RETURN`));
});

test('TCP port range uses multiport, a single port --dport, udplite always multiport', () => {
  const r = renderFirewall(reply([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 8000, port_range_max: 8080 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'udplite', port_range_min: 5, port_range_max: 5 },
    { direction: 'ingress', ethertype: 'IPv4', protocol: '112' },
  ]));
  const i = chainRules(r.iptables4, I1);
  assert.ok(i.includes(`-A ${I1} -p tcp -m tcp -m multiport --dports 8000:8080 -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -p tcp -m tcp --dport 22 -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -p udplite -m multiport --dports 5 -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -p vrrp -j RETURN`));
});

test('remote group: ipset match on src for ingress, dst for egress; members exclude nothing; unknown group skipped', () => {
  const input = reply([
    { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: SG },
    { direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG2 },
  ]);
  (input['security_groups'] as Record<string, unknown[]>)[SG]?.push({ direction: 'egress', ethertype: 'IPv4', remote_group_id: SG });
  const r = renderFirewall(input);
  const set = ipsetName(SG, 'IPv4');
  assert.ok(chainRules(r.iptables4, I1).includes(`-A ${I1} -p tcp -m tcp --dport 22 -m set --match-set ${set} src -j RETURN`));
  assert.ok(chainRules(r.iptables4, O1).includes(`-A ${O1} -m set --match-set ${set} dst -j RETURN`));
  assert.ok(!r.iptables4.includes(ipsetName(SG2, 'IPv4')), 'no members sent for SG2: no set, no rule');
  assert.deepEqual(r.ipsets, [{ name: set, family: 'inet', members: ['10.0.0.11', '10.0.0.12'] }]);
});

test('remote address group is matched through an ipset of its members', () => {
  const AG = 'cccccccc-dddd-4eee-8fff-000000000000';
  const input = reply([{ direction: 'ingress', ethertype: 'IPv4', remote_address_group_id: AG }]);
  (input['sg_member_ips'] as Record<string, unknown>)[AG] = { IPv4: [['198.51.100.0/24', null], ['0.0.0.0/0', null]] };
  const r = renderFirewall(input);
  assert.ok(chainRules(r.iptables4, I1).includes(`-A ${I1} -m set --match-set ${ipsetName(AG, 'IPv4')} src -j RETURN`));
  // ipset has no /0: two /1 as Python's _sanitize_addresses.
  assert.deepEqual(r.ipsets.find((s) => s.name === ipsetName(AG, 'IPv4'))?.members, ['0.0.0.0/1', '128.0.0.0/1', '198.51.100.0/24']);
});

test('allowed address pairs: spoof chain pairs and nft MAC/ARP sets', () => {
  const r = renderFirewall(reply([], { allowed_address_pairs: [{ ip_address: '10.0.0.100', mac_address: 'fa:16:3e:00:00:99' }, { ip_address: '10.1.0.0/24', mac_address: 'FA:16:3E:00:00:11' }] }));
  assert.deepEqual(chainRules(r.iptables4, S1).map((l) => l.replace(/ -m comment --comment "[^"]*"/, '')), [
    `-A ${S1} -s 10.0.0.100/32 -m mac --mac-source fa:16:3e:00:00:99 -j RETURN`,
    `-A ${S1} -s 10.1.0.0/24 -m mac --mac-source fa:16:3e:00:00:11 -j RETURN`,
    `-A ${S1} -s 10.0.0.11/32 -m mac --mac-source fa:16:3e:00:00:11 -j RETURN`,
    `-A ${S1} -j DROP`,
  ]);
  assert.match(r.nftBridge, /chain port_tapaaaaaaaa_bb \{\n {4}ether saddr != \{ fa:16:3e:00:00:11, fa:16:3e:00:00:99 \} counter drop\n {4}ether type arp arp saddr ip != \{ 10\.0\.0\.11, 10\.0\.0\.100, 10\.1\.0\.0\/24 \} counter drop\n {2}\}/);
});

test('port security off: ACCEPT jumps only, no port chains, no L2 protection', () => {
  const r = renderFirewall(reply([], { port_security_enabled: false, security_groups: [] }));
  assert.ok(!r.tables[4].chains.includes(I1) && !r.tables[4].chains.includes(O1) && !r.tables[4].chains.includes(S1));
  const fwd = chainRules(r.iptables4, `${W}-FORWARD`);
  assert.ok(fwd.includes(`-A ${W}-FORWARD -m physdev --physdev-out ${TAP1} --physdev-is-bridged -m comment --comment "Accept all packets when port security is disabled." -j ACCEPT`));
  assert.ok(fwd.includes(`-A ${W}-FORWARD -m physdev --physdev-in ${TAP1} --physdev-is-bridged -m comment --comment "Accept all packets when port security is disabled." -j ACCEPT`));
  // Security-group jumps come first in the wrapped FORWARD (Python's top=True).
  assert.ok(fwd[0]?.includes(TAP2) && fwd[0].endsWith('-j neutron-linuxbri-sg-chain'));
  assert.ok(!r.nftBridge.includes(TAP1) && r.nftBridge.includes(TAP2));
  assert.deepEqual(r.problems, []);
});

test('IPv6: fixed rules, ICMPv6 ingress types, link-local pair, icmp means ipv6-icmp', () => {
  const r = renderFirewall(reply([
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 },
    { direction: 'ingress', ethertype: 'IPv6', protocol: 'tcp', port_range_min: 443, port_range_max: 443, source_ip_prefix: '2001:db8::/32' },
  ], { fixed_ips: ['10.0.0.11', '2001:db8::11'] }));
  const i = chainRules(r.iptables6, I1);
  assert.deepEqual(i.slice(0, 3), [130, 135, 136].map((t) => `-A ${I1} -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j RETURN`));
  assert.ok(i.includes(`-A ${I1} -s 2001:db8::/32 -p tcp -m tcp --dport 443 -j RETURN`));
  assert.equal(linkLocalOf('fa:16:3e:00:00:11'), 'fe80::f816:3eff:fe00:11');
  const s = chainRules(r.iptables6, S1).map((l) => l.replace(/ -m comment --comment "[^"]*"/, ''));
  assert.deepEqual(s, [
    `-A ${S1} -s 2001:db8::11/128 -m mac --mac-source fa:16:3e:00:00:11 -j RETURN`,
    `-A ${S1} -s fe80::f816:3eff:fe00:11/128 -m mac --mac-source fa:16:3e:00:00:11 -j RETURN`,
    `-A ${S1} -j DROP`,
  ]);
  const o = chainRules(r.iptables6, O1);
  assert.ok(o.some((l) => l.includes('--icmpv6-type 134') && l.endsWith('-j DROP')));
  // IPv6 addresses never reach the ARP set.
  assert.ok(!/arp saddr ip != \{[^}]*:/.test(r.nftBridge));
});

test('malformed input: bad rule skipped, bad port blocked (deny-all), garbage reported, nothing thrown', () => {
  const input = reply([{ direction: 'sideways', ethertype: 'IPv4' }, { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 70000 }]);
  const devices = input['devices'] as Record<string, unknown>;
  devices[P2] = port(P2, TAP2, 'not-an-ip', 'fa:16:3e:00:00:12');
  devices['x'] = { device: 'tap x"; rm', mac_address: 'zz' };
  devices['y'] = 42;
  (input['sg_member_ips'] as Record<string, unknown>)['bad id!'] = {};
  const r = renderFirewall(input);
  const paths = r.problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [`devices.${P2}`, 'devices.x', 'devices.y', `security_groups.${SG}[2]`, `security_groups.${SG}[3]`, 'sg_member_ips.bad id!'].sort());
  assert.match(r.problems.find((p) => p.path === `devices.${P2}`)?.reason ?? '', /device blocked/);
  // The blocked port's chains send everything to the fallback; L2 drops all its frames.
  const i2 = portChain('i', TAP2);
  assert.deepEqual(chainRules(r.iptables4, i2), [`-A ${i2} -m comment --comment "Send unmatched traffic to the fallback chain." -j neutron-linuxbri-sg-fallback`]);
  assert.ok(r.nftBridge.includes(`"${TAP2}" : drop`));
  assert.ok(!r.iptables4.includes('rm'));
  for (const bad of [null, 'x', [], { devices: [] }, { security_groups: { [SG]: 'no' } }]) assert.doesNotThrow(() => renderFirewall(bad));
});

test('empty desired: no owned chains, bridge table only deleted', () => {
  const r = renderFirewall({ devices: {}, security_groups: {}, sg_member_ips: {} });
  assert.equal(r.iptables4, '');
  assert.deepEqual(r.tables[6].chains, []);
  assert.deepEqual(r.ipsets, []);
  assert.equal(r.nftBridge, 'table bridge nucleon_l2 {\n}\ndelete table bridge nucleon_l2\n');
});

test('output depends only on the state, not on the order ports and groups arrive in', () => {
  const a = reply([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 22, port_range_max: 22 }]);
  const devices = a['devices'] as Record<string, unknown>;
  const b = { ...a, devices: { [P2]: devices[P2], [P1]: devices[P1] } };
  assert.deepEqual(renderFirewall(b), renderFirewall(a));
});

test('stateless groups are reported (rendered stateful), trusted devices get ACCEPT', () => {
  const input = reply([{ direction: 'ingress', ethertype: 'IPv4', stateful: false }]);
  input['trusted_devices'] = ['tapdhcp000001'];
  const r = renderFirewall(input);
  assert.match(r.problems.map((p) => p.reason).join(), /stateless/);
  assert.ok(chainRules(r.iptables4, `${W}-FORWARD`).some((l) => l.includes('--physdev-out tapdhcp000001') && l.includes('port is trusted') && l.endsWith('-j ACCEPT')));
});

test('iptables_hybrid (neutron-openvswitch-agent): the same rules under neutron-openvswi-*, per-port chains i/o/s + port_id[:10]', () => {
  const input = reply([{ direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG, stateful: true }]);
  const lb = renderFirewall(structuredClone(input));
  const ovs = renderFirewall(structuredClone(input), OVS_HYBRID_CHAINS);
  assert.equal(OVS_HYBRID_CHAINS.port('i', TAP1), 'neutron-openvswi-iaaaaaaaa-b');
  assert.equal(OVS_HYBRID_CHAINS.sgChain, 'neutron-openvswi-sg-chain');
  assert.deepEqual(ovs.tables[4].chains, lb.tables[4].chains.map((c) => c.replace(`${W}-`, 'neutron-openvswi-')));
  assert.deepEqual(ovs.tables[4].rules, lb.tables[4].rules.map((r) => r.replaceAll(`${W}-`, 'neutron-openvswi-')));
  assert.ok(OVS_HYBRID_CHAINS.isOwned('neutron-openvswi-FORWARD') && !OVS_HYBRID_CHAINS.isOwned(`${W}-FORWARD`), 'each agent owns only its own chains');
  assert.deepEqual(ovs.ipsets, lb.ipsets);
});
