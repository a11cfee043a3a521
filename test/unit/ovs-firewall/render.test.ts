/** Whole-render properties: determinism, the recorded sample, the flow-set invariants. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { compareFlows, renderOvsFirewall } from '../../../agents/ovs/firewall/render.js';
import { flowsText, flowText } from '../../../agents/ovs/firewall/ofctl-text.js';
import type { OvsFirewallInput } from '../../../agents/ovs/firewall/types.js';
import { parseSgInfo } from '../../../shared/firewall/validate.js';
import { MAC1, MAC2, P1, P2, SG, SG2, sgPort, VLAN, wired } from './fixtures.js';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const samplePath = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples', 'neutron__q-plugin__security_group_info_for_devices.json');

function richInput(): OvsFirewallInput {
  return {
    sg: {
      devices: {
        [P1]: sgPort(P1, MAC1, '10.0.0.1', { allowed_address_pairs: [{ ip_address: '10.0.5.0/24', mac_address: 'fa:16:3e:00:00:aa' }] }),
        [P2]: sgPort(P2, MAC2, '10.0.0.2', { security_groups: [SG, SG2] }),
      },
      security_groups: {
        [SG]: [
          { direction: 'egress', ethertype: 'IPv4' },
          { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 1000, port_range_max: 1999 },
          { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', remote_group_id: SG },
        ],
        [SG2]: [{ direction: 'ingress', ethertype: 'IPv6', protocol: 'udp', port_range_min: 53, port_range_max: 53, source_ip_prefix: '2001:db8::/32' }],
      },
      sg_member_ips: { [SG]: { IPv4: [['10.0.0.1', MAC1], ['10.0.0.2', MAC2], ['10.0.5.0/24', 'fa:16:3e:00:00:aa']], IPv6: [] } },
      trusted_devices: [],
    },
    ports: [wired(P1, 3, MAC1), wired(P2, 4, MAC2), wired('dhcp', 9, 'fa:16:3e:00:00:99', { deviceOwner: 'network:dhcp' })],
  };
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

test('deterministic: the same state in any order renders the same flows, sorted, without duplicates', () => {
  const ref = renderOvsFirewall(richInput());
  assert.deepEqual(ref.problems, []);
  for (let seed = 1; seed <= 5; seed++) {
    const input = richInput();
    input.ports = shuffled(input.ports, seed);
    input.sg.devices = Object.fromEntries(shuffled(Object.entries(input.sg.devices), seed));
    const m = input.sg.sg_member_ips[SG];
    if (m) m.IPv4 = shuffled(m.IPv4, seed);
    assert.deepEqual(renderOvsFirewall(input), ref);
  }
  assert.deepEqual([...ref.flows].sort(compareFlows), ref.flows);
  const keys = ref.flows.map((f) => `${f.table}|${f.priority}|${f.match}`);
  assert.equal(new Set(keys).size, keys.length);
  // The union is exactly common + per-network + per-port flows.
  assert.equal(ref.flows.length, ref.common.length + ref.networks.reduce((n, x) => n + x.flows.length, 0) + ref.ports.reduce((n, p) => n + p.flows.length, 0));
  assert.ok(ref.networks.length > 0 && ref.ports.some((p) => p.conjIds.length > 0), 'the rich input has a remote-group rule');
  // Pure: rendering does not change the input.
  const input = richInput();
  const copy = structuredClone(input);
  renderOvsFirewall(input);
  assert.deepEqual(input, copy);
});

test('only table 60 at priority ≥ 90 and tables 71–94', () => {
  for (const f of renderOvsFirewall(richInput()).flows) {
    assert.ok((f.table === 60 && f.priority >= 90) || (f.table >= 71 && f.table <= 94), flowText(f));
  }
});

test('ovs-ofctl text: one line per flow, match omitted when empty', () => {
  assert.equal(flowText({ table: 94, priority: 1, match: '', actions: 'NORMAL' }), 'table=94,priority=1,actions=NORMAL');
  assert.equal(flowText({ table: 60, priority: 100, match: 'in_port=3', actions: 'drop' }, '0x1'), 'cookie=0x1,table=60,priority=100,in_port=3,actions=drop');
  assert.equal(flowsText([{ table: 93, priority: 0, match: '', actions: 'drop' }]), 'table=93,priority=0,actions=drop\n');
});

test('recorded Python reply (parseSgInfo output): every port filtered, remote-group rules as conjunctions, no problems', (t) => {
  if (!existsSync(samplePath)) {
    t.skip(`sample not found at ${samplePath}`);
    return;
  }
  const sample = JSON.parse(readFileSync(samplePath, 'utf8')) as { reply: { message: { result: unknown } } };
  const parsed = parseSgInfo(sample.reply.message.result);
  assert.deepEqual(parsed.problems, []);
  const devices = Object.values(parsed.info.devices);
  const ports = devices.map((d, i) => wired(d.id, i + 1, d.mac_address, { device: d.device }));
  const r = renderOvsFirewall({ sg: parsed.info, ports, blocked: parsed.blockedDevices });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ports.length, devices.length);
  const members = Object.values(parsed.info.sg_member_ips)[0]?.IPv4.length ?? 0;
  for (const p of r.ports) {
    assert.equal(p.mode, 'filtered');
    // Ingress IPv4 and IPv6 from the remote group (its own group), any protocol: per
    // port and family one 2/2 flow and one conj_id flow per conntrack state.
    assert.equal(p.flows.filter((f) => f.table === 82 && f.priority === 70).length, 2 * 2 * 2);
  }
  // The members once per network (all sample ports share one VLAN), per conntrack state.
  assert.deepEqual(r.networks.map((n) => n.zone), [VLAN]);
  assert.equal(r.networks[0]?.flows.length, 2 * members);
});

/** `n` ports in one group whose rules are the default group's: egress any, ingress from the group itself. */
function defaultGroupInput(n: number, sgId = 'default'): OvsFirewallInput {
  const sg: OvsFirewallInput['sg'] = {
    devices: {},
    security_groups: {
      [sgId]: [
        { direction: 'egress', ethertype: 'IPv4' },
        { direction: 'egress', ethertype: 'IPv6' },
        { direction: 'ingress', ethertype: 'IPv4', remote_group_id: sgId },
        { direction: 'ingress', ethertype: 'IPv6', remote_group_id: sgId },
      ],
    },
    sg_member_ips: { [sgId]: { IPv4: [], IPv6: [] } },
    trusted_devices: [],
  };
  const ports = [];
  for (let i = 1; i <= n; i++) {
    const id = `${sgId}-port-${i}`;
    const mac = `fa:16:3e:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    const ip = `10.1.${i >> 8}.${i & 0xff}`;
    sg.devices[id] = sgPort(id, mac, ip, { security_groups: [sgId] });
    sg.sg_member_ips[sgId]?.IPv4.push([ip, mac]);
    ports.push(wired(id, i + 10, mac, { securityGroupIds: [sgId] }));
  }
  return { sg, ports };
}

test('50 ports in the default group (ingress from the group itself): flows grow linearly with the ports, not with ports × members', () => {
  const count = (n: number): number => renderOvsFirewall(defaultGroupInput(n)).flows.length;
  const [c25, c50, c100] = [count(25), count(50), count(100)];
  // Printed for the record: 7312 flows for 50 ports with one flow pair per member per port.
  console.log(`ovs firewall, default group: 25 ports ${c25} flows, 50 ports ${c50}, 100 ports ${c100}`);
  // Linear: each port adds the same number of flows.
  assert.equal(c100 - c50, 2 * (c50 - c25));
  assert.ok(c50 < 3000, `${c50} flows for 50 ports`);
  const r = renderOvsFirewall(defaultGroupInput(50));
  // The remote-group part: per port 2 families × 2 states × (one 2/2 flow + one
  // conj_id flow), per network one flow per member and state.
  const remote = r.flows.filter((f) => f.table === 82 && f.priority >= 70 && f.priority <= 73);
  assert.equal(remote.length, 50 * 8 + 50 * 2);
  // The rest (anti-spoofing, DHCP, ND, conntrack states, egress rules) is per port: a constant per port.
  const perPort = r.ports.map((p) => p.flows.length);
  assert.ok(perPort.every((n) => n === perPort[0]), JSON.stringify(perPort));
});

test('conjunction ids: stable for the same state, unmoved by other groups, blocks of 8 with offset and state', () => {
  const idsOf = (input: OvsFirewallInput): number[][] => renderOvsFirewall(input).ports.filter((p) => p.portId.startsWith('default-')).map((p) => p.conjIds);
  const base = idsOf(defaultGroupInput(3));
  assert.deepEqual(idsOf(defaultGroupInput(3)), base);
  // Same ports in another order, and another group's ports added: same ids.
  const mixed = defaultGroupInput(3);
  const other = defaultGroupInput(4, 'other');
  mixed.ports = [...other.ports.map((p) => ({ ...p, ofport: p.ofport + 100 })), ...mixed.ports.reverse()];
  mixed.sg.devices = { ...other.sg.devices, ...mixed.sg.devices };
  Object.assign(mixed.sg.security_groups, other.sg.security_groups);
  Object.assign(mixed.sg.sg_member_ips, other.sg.sg_member_ips);
  assert.deepEqual(idsOf(mixed), base);
  const ids = base[0] ?? [];
  // Two rules (IPv4, IPv6 from the group), any protocol (offset 0): ids 8k and 8k+1 each.
  assert.equal(ids.length, 4);
  const blocks = [...new Set(ids.map((id) => id - (id % 8)))];
  assert.equal(blocks.length, 2);
  assert.deepEqual(ids.map((id) => id % 8).sort(), [0, 0, 1, 1]);
  assert.ok(ids.every((id) => id >= 8 && id <= 2 ** 32 - 1));
  // Every id differs between the two groups.
  const otherIds = renderOvsFirewall(mixed).ports.filter((p) => p.portId.startsWith('other-'))[0]?.conjIds ?? [];
  assert.equal(otherIds.filter((id) => ids.includes(id)).length, 0);
});
