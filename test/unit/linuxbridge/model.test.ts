import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { bridgeName, parseDeviceAnswer, tapName, vxlanName } from '../../../agents/linuxbridge/model.js';
import { samplePath } from './fixtures.js';

const SAMPLE = samplePath('neutron__q-plugin__get_devices_details_list.json');
const RAW = samplePath('raw/trace-linuxbridge-dhcp-l3-metadata.jsonl.gz');

function recordedEntries(): unknown[] {
  const s = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { reply: { message: { result: unknown[] } } };
  return s.reply.message.result;
}

/** Every get_devices_details_list reply in the raw firehose recording. */
function rawEntries(): unknown[] {
  const lines = gunzipSync(readFileSync(RAW)).toString('utf8').split('\n').filter(Boolean);
  const msgs = lines.map((l) => JSON.parse(l) as { trace_key: string; body?: { 'oslo.message'?: string } })
    .filter((o) => o.trace_key.startsWith('publish') && typeof o.body?.['oslo.message'] === 'string')
    .map((o) => JSON.parse(o.body!['oslo.message']!) as { method?: string; _msg_id?: string; result?: unknown });
  const ids = new Set(msgs.filter((m) => m.method === 'get_devices_details_list').map((m) => m._msg_id));
  return msgs.filter((m) => m.method === undefined && ids.has(m._msg_id) && Array.isArray(m.result)).flatMap((m) => m.result as unknown[]);
}

const GOOD = {
  device: 'tapce628ac6-3d', network_id: '47ce444c-163d-468e-a0ea-18702b267e61', port_id: 'ce628ac6-3d5a-43c5-a275-1e3289d663be',
  mac_address: 'fa:16:3e:b1:de:fd', admin_state_up: true, network_type: 'vxlan', segmentation_id: 1588, physical_network: null, mtu: 1450,
  fixed_ips: [{ subnet_id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', ip_address: '10.90.0.86' }], device_owner: 'compute:nova',
  allowed_address_pairs: [], port_security_enabled: true, qos_policy_id: null, qos_network_policy_id: null, profile: {}, propagate_uplink_status: false,
};

test('every device entry of the recorded get_devices_details_list reply parses as a port, names matching tapName', (t) => {
  if (!existsSync(SAMPLE)) { t.skip(`sample not found at ${SAMPLE}`); return; }
  const entries = recordedEntries();
  assert.equal(entries.length, 54);
  const kinds = new Map<string, number>();
  for (const e of entries) {
    const a = parseDeviceAnswer(e);
    assert.equal(a.kind, 'port', JSON.stringify(a));
    if (a.kind !== 'port') continue;
    assert.equal(a.details.device, tapName(a.details.port_id));
    assert.equal(a.details.device, (e as { device: string }).device);
    kinds.set(`${a.details.network_type}/${a.details.device_owner}`, (kinds.get(`${a.details.network_type}/${a.details.device_owner}`) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(kinds), { 'vxlan/compute:nova': 51, 'vxlan/network:dhcp': 1, 'vxlan/network:router_interface': 1, 'flat/network:router_gateway': 1 });
});

test('every entry of every recorded reply (raw trace) parses without throwing; {device} alone is unknown', (t) => {
  if (!existsSync(RAW)) { t.skip(`raw trace not found at ${RAW}`); return; }
  const entries = rawEntries();
  assert.ok(entries.length > 54, `only ${entries.length} entries`);
  const answers = entries.map(parseDeviceAnswer);
  assert.deepEqual(answers.filter((a) => a.kind === 'invalid'), []);
  const unknown = answers.filter((a) => a.kind === 'unknown');
  assert.ok(unknown.length >= 1);
  for (const u of unknown) assert.match((u as { device: string }).device, /^tap[0-9a-f]{8}-[0-9a-f]{2}$/);
});

test('a recorded port in full: fields normalised, extras dropped', () => {
  const a = parseDeviceAnswer({ ...GOOD, port_id: GOOD.port_id.toUpperCase(), mac_address: 'FA:16:3E:B1:DE:FD' });
  assert.deepEqual(a, {
    kind: 'port',
    details: {
      device: 'tapce628ac6-3d', port_id: 'ce628ac6-3d5a-43c5-a275-1e3289d663be', network_id: '47ce444c-163d-468e-a0ea-18702b267e61',
      mac_address: 'fa:16:3e:b1:de:fd', admin_state_up: true, network_type: 'vxlan', segmentation_id: 1588, physical_network: null, mtu: 1450,
      fixed_ips: [{ subnet_id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', ip_address: '10.90.0.86' }], device_owner: 'compute:nova',
      allowed_address_pairs: [], port_security_enabled: true,
    },
  });
});

test('unknown device and inactive binding', () => {
  assert.deepEqual(parseDeviceAnswer({ device: 'tap906a0fdd-eb' }), { kind: 'unknown', device: 'tap906a0fdd-eb' });
  assert.deepEqual(parseDeviceAnswer({ device: 'tap906a0fdd-eb', no_active_binding: true }), { kind: 'no_active_binding', device: 'tap906a0fdd-eb' });
  // Only a literal true means "inactive binding".
  assert.deepEqual(parseDeviceAnswer({ device: 'tap906a0fdd-eb', no_active_binding: 'yes' }), { kind: 'unknown', device: 'tap906a0fdd-eb' });
});

test('malformed entries give `invalid` with a reason, never throw', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /not an object/],
    ['string', 'tapce628ac6-3d', /not an object/],
    ['array', [GOOD], /not an object/],
    ['number', 42, /not an object/],
    ['no device', { ...GOOD, device: undefined }, /no device/],
    ['device not a string', { ...GOOD, device: 7 }, /no device/],
    ['empty device', { ...GOOD, device: '' }, /no device/],
    ['bad port uuid', { ...GOOD, port_id: 'ce628ac6-3d5a-43c5-a275' }, /port_id/],
    ['port_id null', { ...GOOD, port_id: null }, /port_id/],
    ['bad network uuid', { ...GOOD, network_id: 'lab-net' }, /network_id/],
    ['bad mac', { ...GOOD, mac_address: 'fa:16:3e:b1:de' }, /mac_address/],
    ['mac with dashes', { ...GOOD, mac_address: 'fa-16-3e-b1-de-fd' }, /mac_address/],
    ['gre network', { ...GOOD, network_type: 'gre' }, /unsupported network_type gre/],
    ['geneve network', { ...GOOD, network_type: 'geneve' }, /unsupported network_type/],
    ['vlan without segmentation_id', { ...GOOD, network_type: 'vlan', physical_network: 'physnet1', segmentation_id: null }, /vlan network without segmentation_id/],
    ['vxlan without segmentation_id', { ...GOOD, segmentation_id: undefined }, /vxlan network without segmentation_id/],
    ['segmentation_id a string', { ...GOOD, segmentation_id: '1588' }, /segmentation_id/],
    ['segmentation_id negative', { ...GOOD, segmentation_id: -1 }, /segmentation_id out of range/],
    ['segmentation_id too big', { ...GOOD, segmentation_id: 16777216 }, /segmentation_id out of range/],
    ['segmentation_id fractional', { ...GOOD, segmentation_id: 1.5 }, /segmentation_id out of range/],
    ['mtu too small', { ...GOOD, mtu: 67 }, /mtu out of range/],
    ['mtu too big', { ...GOOD, mtu: 65536 }, /mtu out of range/],
    ['mtu a string', { ...GOOD, mtu: '1450' }, /mtu out of range/],
    ['physical_network a number', { ...GOOD, network_type: 'flat', physical_network: 3 }, /physical_network/],
  ];
  for (const [name, v, reason] of cases) {
    let a;
    assert.doesNotThrow(() => { a = parseDeviceAnswer(v); }, name);
    assert.equal(a!.kind, 'invalid', `${name}: ${JSON.stringify(a)}`);
    assert.match((a as unknown as { reason: string }).reason, reason, name);
  }
  // The device name is kept when there is one, for the log and the down report.
  assert.deepEqual(parseDeviceAnswer({ ...GOOD, mtu: 10 }), { kind: 'invalid', device: 'tapce628ac6-3d', reason: 'mtu out of range' });
});

test('edges that are valid: mtu bounds, null/absent optionals, admin down, port security off, junk in lists dropped', () => {
  for (const mtu of [68, 65535, null]) assert.equal(parseDeviceAnswer({ ...GOOD, mtu }).kind, 'port', String(mtu));
  const { mtu: _m, fixed_ips: _f, allowed_address_pairs: _p, device_owner: _o, ...bare } = GOOD;
  const a = parseDeviceAnswer({ ...bare, admin_state_up: false, port_security_enabled: false });
  assert.equal(a.kind, 'port');
  if (a.kind !== 'port') return;
  assert.equal(a.details.mtu, null);
  assert.deepEqual(a.details.fixed_ips, []);
  assert.deepEqual(a.details.allowed_address_pairs, []);
  assert.equal(a.details.device_owner, '');
  assert.equal(a.details.admin_state_up, false);
  assert.equal(a.details.port_security_enabled, false);
  const b = parseDeviceAnswer({ ...GOOD, fixed_ips: [null, 'x', { ip_address: 5 }, { ip_address: '10.0.0.5' }], allowed_address_pairs: [{ ip_address: '10.0.0.0/24', mac_address: 'fa:16:3e:00:00:09' }, { mac_address: 'x' }, { ip_address: '10.0.0.7' }] });
  assert.equal(b.kind, 'port');
  if (b.kind !== 'port') return;
  assert.deepEqual(b.details.fixed_ips, [{ subnet_id: '', ip_address: '10.0.0.5' }]);
  assert.deepEqual(b.details.allowed_address_pairs, [{ ip_address: '10.0.0.0/24', mac_address: 'fa:16:3e:00:00:09' }, { ip_address: '10.0.0.7' }]);
  // local and flat networks need no segmentation_id.
  assert.equal(parseDeviceAnswer({ ...GOOD, network_type: 'local', segmentation_id: null }).kind, 'port');
  assert.equal(parseDeviceAnswer({ ...GOOD, network_type: 'flat', physical_network: 'physnet1', segmentation_id: null }).kind, 'port');
});

test('names (PROTOCOL.md B10): tap/brq + 11 chars of the id, vxlan-<vni>, all within 15 chars', () => {
  assert.equal(tapName('ce628ac6-3d5a-43c5-a275-1e3289d663be'), 'tapce628ac6-3d');
  assert.equal(bridgeName('47ce444c-163d-468e-a0ea-18702b267e61'), 'brq47ce444c-16');
  assert.equal(vxlanName(1588), 'vxlan-1588');
  assert.equal(vxlanName(16777215).length, 14);
  assert.equal(tapName('ce628ac6-3d5a-43c5-a275-1e3289d663be').length, 14);
});
