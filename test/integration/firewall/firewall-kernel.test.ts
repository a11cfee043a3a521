/**
 * LinuxBridgeFirewall on the real kernel. A throwaway "node" namespace holds a
 * Linux bridge with two taps (veth ends named like Nova's taps); the other ends sit
 * in two "VM" namespaces. Everything (iptables, ipset, nft, sysctl) happens in the
 * node namespace; all three namespaces go away in `after`, even on failure.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { LinuxBridgeFirewall } from '../../../shared/firewall/linuxbridge-firewall.js';
import { normaliseSave } from '../../../shared/firewall/iptables-save.js';

const prefix = `ntf${randomBytes(2).toString('hex')}`;
const NODE = `${prefix}n`;
const VM_A = `${prefix}a`;
const VM_B = `${prefix}b`;
const SG = '0a0a0a0a-1111-4222-8333-444444444444';
const NET = 'fe0e0e0e-5555-4666-8777-888888888888';
const BRQ = `brq${NET.slice(0, 11)}`;
const PA = `${randomBytes(4).toString('hex')}-aaaa-4aaa-8aaa-aaaaaaaaaaaa`;
const PB = `${randomBytes(4).toString('hex')}-bbbb-4bbb-8bbb-bbbbbbbbbbbb`;
const TAP_A = `tap${PA.slice(0, 11)}`;
const TAP_B = `tap${PB.slice(0, 11)}`;
const IP_A = '10.77.0.11';
const IP_B = '10.77.0.12';
const MAC_A = 'fa:16:3e:77:00:11';
const MAC_B = 'fa:16:3e:77:00:12';

const fw = new LinuxBridgeFirewall({ runner: new ExecaCommandRunner() });

const ns = (n: string, ...argv: string[]) => execa('ip', ['netns', 'exec', n, ...argv]);

async function pings(from: string, to: string, src?: string): Promise<boolean> {
  const r = await execa('ip', ['netns', 'exec', from, 'ping', '-n', '-c', '2', '-i', '0.2', '-W', '1', ...(src ? ['-I', src] : []), to], { reject: false, timeout: 10_000 });
  return r.exitCode === 0;
}

async function save(): Promise<string> {
  const [v4, v6, r4, r6] = await Promise.all([ns(NODE, 'iptables-save', '-t', 'filter'), ns(NODE, 'ip6tables-save', '-t', 'filter'), ns(NODE, 'iptables-save', '-t', 'raw'), ns(NODE, 'ip6tables-save', '-t', 'raw')]);
  return normaliseSave(v4.stdout) + normaliseSave(v6.stdout) + normaliseSave(r4.stdout) + normaliseSave(r6.stdout);
}

interface Opts {
  ingress?: Array<Record<string, unknown>>;
  psecA?: boolean;
}
function desired(o: Opts = {}): Record<string, unknown> {
  const port = (id: string, device: string, ip: string, mac: string, psec: boolean) => ({
    id, device, network_id: NET, mac_address: mac, fixed_ips: [ip], allowed_address_pairs: [], port_security_enabled: psec,
    device_owner: 'compute:nova', security_groups: psec ? [SG] : [], security_group_rules: [],
  });
  return {
    devices: { [PA]: port(PA, TAP_A, IP_A, MAC_A, o.psecA ?? true), [PB]: port(PB, TAP_B, IP_B, MAC_B, true) },
    security_groups: {
      [SG]: [
        { direction: 'egress', ethertype: 'IPv4', stateful: true },
        { direction: 'egress', ethertype: 'IPv6', stateful: true },
        ...(o.ingress ?? []),
      ],
    },
    sg_member_ips: { [SG]: { IPv4: [[IP_A, MAC_A], [IP_B, MAC_B]], IPv6: [] } },
  };
}
const ICMP_FROM_GROUP = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG, stateful: true };
const ICMP_FROM_ANY = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', stateful: true };

before(async () => {
  for (const n of [NODE, VM_A, VM_B]) await execa('ip', ['netns', 'add', n]);
  await execa('ip', ['-n', NODE, 'link', 'add', BRQ, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  for (const [tap, vm, ip, mac] of [[TAP_A, VM_A, IP_A, MAC_A], [TAP_B, VM_B, IP_B, MAC_B]] as const) {
    await execa('ip', ['-n', NODE, 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'vm0', 'netns', vm]);
    await execa('ip', ['-n', NODE, 'link', 'set', tap, 'master', BRQ, 'up']);
    await execa('ip', ['-n', vm, 'link', 'set', 'vm0', 'address', mac, 'up']);
    await execa('ip', ['-n', vm, 'link', 'set', 'lo', 'up']);
    await execa('ip', ['-n', vm, 'addr', 'add', `${ip}/24`, 'dev', 'vm0']);
  }
  await execa('ip', ['-n', NODE, 'link', 'set', BRQ, 'up']);
  // A rule of someone else's that must survive everything we do.
  await ns(NODE, 'iptables', '-A', 'FORWARD', '-s', '192.0.2.1/32', '-j', 'DROP');
  // Sanity: without a firewall the VMs talk.
  assert.equal(await pings(VM_A, IP_B), true, 'topology works before any firewall');
});

after(async () => {
  for (const n of [NODE, VM_A, VM_B]) {
    const pids = await execa('ip', ['netns', 'pids', n], { reject: false });
    for (const p of pids.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', p], { reject: false });
    await execa('ip', ['netns', 'del', n], { reject: false });
  }
});

test('egress-only group: the bridge-nf sysctls are set and ping between the VMs fails', async () => {
  const r = await fw.apply(desired(), NODE);
  assert.deepEqual(r.problems, []);
  assert.equal(r.changed.iptables4, true);
  assert.equal((await ns(NODE, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables')).stdout.trim(), '1');
  assert.equal(await pings(VM_A, IP_B), false);
});

test('conntrack zone per network in the raw table, as Python: connections of the network\'s ports are tracked in it', async () => {
  const raw = (await ns(NODE, 'iptables-save', '-t', 'raw')).stdout;
  assert.match(raw, /-A PREROUTING -j neutron-linuxbri-PREROUTING/);
  assert.match(raw, new RegExp(`-A neutron-linuxbri-PREROUTING -m physdev --physdev-in ${BRQ} -m comment --comment "Set zone for ${TAP_A.slice(4)}" -j CT --zone 4097`));
  assert.match(raw, new RegExp(`-A neutron-linuxbri-PREROUTING -i ${BRQ} .*-j CT --zone 4097`));
  assert.match(raw, new RegExp(`-A neutron-linuxbri-PREROUTING -m physdev --physdev-in ${TAP_B} .*-j CT --zone 4097`));
  assert.match((await ns(NODE, 'ip6tables-save', '-t', 'raw')).stdout, /-j CT --zone 4097/, 'IPv6 too');
  await fw.apply(desired({ ingress: [ICMP_FROM_ANY] }), NODE);
  await pings(VM_A, IP_B);
  const ct = await ns(NODE, 'conntrack', '-L', '-p', 'icmp').catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  assert.match(ct.stdout, new RegExp(`src=${IP_A.replace(/\./g, '\\.')} dst=${IP_B.replace(/\./g, '\\.')} .*zone=4097`), ct.stdout);
  // The rule goes while a ping runs: its entry (ESTABLISHED, same ICMP id) would let it
  // go on forever; the zone flush makes its next request face the rules again.
  const pinger = execa('ip', ['netns', 'exec', VM_A, 'ping', '-n', '-c', '20', '-i', '0.2', '-W', '1', IP_B], { reject: false, timeout: 15_000 });
  await new Promise((res) => setTimeout(res, 1200));
  const removal = await fw.apply(desired(), NODE);
  assert.deepEqual(removal.changed.flushedZones, [4097], 'the zone of the ports that lost the rule is flushed');
  const out = (await pinger).stdout;
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[2]) > 0 && Number(m[2]) <= 8, `the running ping stops once the rule is gone: ${m[0]}`);
  const again = await fw.apply(desired(), NODE);
  assert.deepEqual(again.changed.flushedZones, [], 'nothing taken away: nothing flushed');
});

test('ingress ICMP from the remote group (ipset): ping works; removed again: a new ping fails', async () => {
  const r = await fw.apply(desired({ ingress: [ICMP_FROM_GROUP] }), NODE);
  // The first rule naming the group: its set is created now, filled before the rule exists.
  assert.deepEqual(r.changed.ipsets, ['NIPv40a0a0a0a-1111-4222-8333-']);
  const members = (await ns(NODE, 'ipset', 'list', 'NIPv40a0a0a0a-1111-4222-8333-')).stdout;
  assert.match(members, new RegExp(IP_A.replace(/\./g, '\\.')));
  assert.equal(await pings(VM_A, IP_B), true);
  assert.equal(await pings(VM_B, IP_A), true);
  await fw.apply(desired(), NODE);
  // A new ping has a new ICMP id, hence a new conntrack entry: NEW, and nothing lets it in.
  assert.equal(await pings(VM_A, IP_B), false);
});

test('spoofed source IP is dropped with port security on and passes with it off', async () => {
  await fw.apply(desired({ ingress: [ICMP_FROM_ANY] }), NODE);
  assert.equal(await pings(VM_A, IP_B), true);
  await ns(VM_A, 'ip', 'addr', 'add', '10.77.0.99/24', 'dev', 'vm0');
  // Static neighbours so that ARP filtering is not what stops the spoofed ping.
  await ns(VM_A, 'ip', 'neigh', 'replace', IP_B, 'lladdr', MAC_B, 'dev', 'vm0', 'nud', 'permanent');
  await ns(VM_B, 'ip', 'neigh', 'replace', '10.77.0.99', 'lladdr', MAC_A, 'dev', 'vm0', 'nud', 'permanent');
  assert.equal(await pings(VM_A, IP_B, '10.77.0.99'), false);
  const before = (await ns(NODE, 'iptables', '-L', `neutron-linuxbri-s${PA.slice(0, 10)}`, '-v', '-x', '-n')).stdout;
  assert.match(before, /^\s*[1-9]\d*\s+\d+\s+DROP/m, 'the s chain dropped it');
  await fw.apply(desired({ ingress: [ICMP_FROM_ANY], psecA: false }), NODE);
  assert.equal(await pings(VM_A, IP_B, '10.77.0.99'), true);
  await ns(VM_A, 'ip', 'addr', 'del', '10.77.0.99/24', 'dev', 'vm0');
});

test('spoofed MAC is dropped by the bridge table', async () => {
  await fw.apply(desired({ ingress: [ICMP_FROM_ANY] }), NODE);
  assert.equal(await pings(VM_A, IP_B), true);
  await ns(VM_A, 'ip', 'link', 'set', 'vm0', 'address', 'fa:16:3e:77:00:77');
  try {
    assert.equal(await pings(VM_A, IP_B), false);
    const table = (await ns(NODE, 'nft', 'list', 'table', 'bridge', 'nucleon_l2')).stdout;
    // nft prints a one-element set without braces.
    assert.match(table, /ether saddr != fa:16:3e:77:00:11 counter packets [1-9]/, 'MAC drop counter moved');
  } finally {
    await ns(VM_A, 'ip', 'link', 'set', 'vm0', 'address', MAC_A);
  }
  assert.equal(await pings(VM_A, IP_B), true);
});

test('re-applying the same state is a no-op; a hand-edited chain is restored by the next apply', async () => {
  const state = desired({ ingress: [ICMP_FROM_GROUP] });
  await fw.apply(state, NODE);
  const first = await save();
  const again = await fw.apply(state, NODE);
  assert.equal(again.changed.iptables4, false);
  assert.equal(again.changed.iptables6, false);
  assert.equal(again.changed.raw4, false, 'zones kept: the raw table is not rewritten');
  assert.equal(again.changed.raw6, false);
  assert.deepEqual(again.changed.ipsets, []);
  assert.equal(again.changed.nft, false, "the nft bridge table is not rewritten when the kernel already has it");
  assert.equal(await save(), first);

  await ns(NODE, 'iptables', '-F', 'neutron-linuxbri-sg-chain');
  await ns(NODE, 'iptables', '-I', `neutron-linuxbri-i${PB.slice(0, 10)}`, '1', '-j', 'ACCEPT');
  await ns(NODE, 'iptables', '-D', 'FORWARD', '-j', 'neutron-linuxbri-FORWARD');
  assert.notEqual(await save(), first);
  const fix = await fw.apply(state, NODE);
  assert.equal(fix.changed.iptables4, true);
  assert.equal(await save(), first);
  assert.equal(await pings(VM_A, IP_B), true);
});

test('empty desired: owned chains, jumps, sets and the bridge table vanish; a foreign FORWARD rule survives', async () => {
  await fw.apply({ devices: {}, security_groups: {}, sg_member_ips: {} }, NODE);
  const s = await save();
  assert.doesNotMatch(s, /neutron-linuxbri|neutron-filter-top|CT --zone/);
  assert.match(s, /-A FORWARD -s 192\.0\.2\.1\/32 -j DROP/);
  assert.equal((await ns(NODE, 'ipset', 'list', '-n')).stdout.trim(), '');
  const tables = (await ns(NODE, 'nft', 'list', 'tables')).stdout;
  assert.doesNotMatch(tables, /nucleon_l2/);
  assert.equal(await pings(VM_A, IP_B), true, 'no firewall, traffic flows again');
});
