import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { LinuxBridgePluginApi, STATUS_CHUNK } from '../../../agents/linuxbridge/plugin-api.js';
import type { OsloRpcClient } from '../../../shared/rpc/index.js';
import { samplePath } from './fixtures.js';

interface Call { method: string; args: Record<string, unknown>; opts: unknown }

/** A fake q-plugin client: records calls, answers with `reply(method, args, n)`. */
function fakeClient(reply: (method: string, args: Record<string, unknown>, n: number) => unknown): { client: OsloRpcClient; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    topic: 'q-plugin',
    call: async (method: string, args: Record<string, unknown>, opts: unknown) => {
      calls.push({ method, args: structuredClone(args), opts });
      return reply(method, args, calls.length - 1);
    },
    cast: async () => { throw new Error('no casts expected'); },
  };
  return { client: client as unknown as OsloRpcClient, calls };
}

const taps = (n: number, p = 'a') => Array.from({ length: n }, (_, i) => `tap${p}${String(i).padStart(7, '0')}-00`);

test('update_device_list: 45 up + 3 down → 3 calls of ≤ 20 each, with Python\'s arguments; results merged', async () => {
  const up = taps(45, 'u');
  const down = taps(3, 'd');
  const { client, calls } = fakeClient((_m, args) => ({
    devices_up: args['devices_up'],
    failed_devices_up: (args['devices_up'] as string[]).filter((d) => d.endsWith('0007-00')),
    // The server answers devices_down as {device, exists}.
    devices_down: (args['devices_down'] as string[]).map((d) => ({ device: d, exists: true })),
    failed_devices_down: [],
  }));
  const api = new LinuxBridgePluginApi(client, 'lbee407b825ca5', 'vm');
  const r = await api.updateDeviceList(up, down);
  assert.equal(STATUS_CHUNK, 20);
  assert.equal(calls.length, 3);
  assert.deepEqual(calls.map((c) => c.method), ['update_device_list', 'update_device_list', 'update_device_list']);
  assert.deepEqual(calls.map((c) => c.args), [
    { devices_up: up.slice(0, 20), devices_down: down, agent_id: 'lbee407b825ca5', host: 'vm', refresh_tunnels: false },
    { devices_up: up.slice(20, 40), devices_down: [], agent_id: 'lbee407b825ca5', host: 'vm', refresh_tunnels: false },
    { devices_up: up.slice(40, 45), devices_down: [], agent_id: 'lbee407b825ca5', host: 'vm', refresh_tunnels: false },
  ]);
  assert.ok(calls.every((c) => (c.opts as { version?: string }).version === '1.9'));
  assert.deepEqual(r.devicesUp, up);
  assert.deepEqual(r.failedDevicesUp, [up[7]]);
  assert.deepEqual(r.devicesDown, down);
  assert.deepEqual(r.failedDevicesDown, []);
});

test('update_device_list: argument names match the recorded call; null reply and nothing to send', async (t) => {
  const file = samplePath('neutron__q-plugin__update_device_list.json');
  const { client, calls } = fakeClient(() => null);
  const api = new LinuxBridgePluginApi(client, 'lb1', 'vm');
  const r = await api.updateDeviceList([], taps(1));
  assert.deepEqual(r, { devicesUp: [], failedDevicesUp: [], devicesDown: [], failedDevicesDown: [] });
  await api.updateDeviceList([], []);
  assert.equal(calls.length, 1, 'no call for no devices');
  if (!existsSync(file)) { t.skip(`sample not found at ${file}`); return; }
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { request: { args: Record<string, unknown> } };
  assert.deepEqual(Object.keys(calls[0]!.args).sort(), Object.keys(rec.request.args).sort());
});

test('get_devices_details_list: the recorded reply parses; one call per 100 devices; a non-list reply throws', async (t) => {
  const file = samplePath('neutron__q-plugin__get_devices_details_list.json');
  if (!existsSync(file)) { t.skip(`sample not found at ${file}`); return; }
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { request: { args: { devices: string[]; agent_id: string; host: string } }; reply: { message: { result: unknown[] } } };
  const { client, calls } = fakeClient(() => rec.reply.message.result);
  const api = new LinuxBridgePluginApi(client, rec.request.args.agent_id, rec.request.args.host);
  const answers = await api.getDevicesDetailsList(rec.request.args.devices);
  assert.deepEqual(calls[0]!.args, rec.request.args);
  assert.equal(answers.length, 54);
  assert.ok(answers.every((a) => a.kind === 'port'));
  const many = fakeClient((_m, args) => (args['devices'] as string[]).map((device) => ({ device })));
  const r = await new LinuxBridgePluginApi(many.client, 'lb1', 'vm').getDevicesDetailsList(taps(250));
  assert.deepEqual(many.calls.map((c) => (c.args['devices'] as string[]).length), [100, 100, 50]);
  assert.ok(r.every((a) => a.kind === 'unknown'));
  const bad = fakeClient(() => ({ oops: true }));
  await assert.rejects(new LinuxBridgePluginApi(bad.client, 'lb1', 'vm').getDevicesDetailsList(['tapx']), TypeError);
});

test('security_group_info_for_devices: chunks of 20 with call_version 1.3 (as the Python agent sends), replies merged', async (t) => {
  const devices = taps(45);
  const SG = '6da109e3-decc-48c2-80c0-8d173098f5b4';
  const SG2 = '11111111-2222-4333-8444-555555555555';
  const { client, calls } = fakeClient((_m, args, n) => ({
    devices: Object.fromEntries((args['devices'] as string[]).map((d) => [d.slice(3), { device: d, security_groups: [n === 2 ? SG2 : SG] }])),
    security_groups: n === 2 ? { [SG2]: [{ direction: 'egress', ethertype: 'IPv4' }] } : { [SG]: [{ direction: 'ingress', ethertype: 'IPv4', remote_group_id: SG }] },
    sg_member_ips: n === 2 ? { [SG2]: { IPv4: [], IPv6: [] } } : { [SG]: { IPv4: [['10.90.0.5', 'fa:16:3e:00:00:05']], IPv6: [] } },
  }));
  const api = new LinuxBridgePluginApi(client, 'lb1', 'vm');
  const r = await api.securityGroupInfoForDevices(devices);
  assert.deepEqual(calls.map((c) => (c.args['devices'] as string[])), [devices.slice(0, 20), devices.slice(20, 40), devices.slice(40)]);
  assert.ok(calls.every((c) => c.method === 'security_group_info_for_devices' && c.args['call_version'] === '1.3' && (c.opts as { version?: string }).version === '1.3'));
  assert.equal(Object.keys(r.devices).length, 45);
  assert.deepEqual(Object.keys(r.security_groups).sort(), [SG, SG2].sort());
  assert.deepEqual(r.sg_member_ips, { [SG]: { IPv4: [['10.90.0.5', 'fa:16:3e:00:00:05']], IPv6: [] }, [SG2]: { IPv4: [], IPv6: [] } });
  // Nothing to ask: no call, empty result.
  const none = fakeClient(() => assert.fail('no call expected'));
  assert.deepEqual(await new LinuxBridgePluginApi(none.client, 'lb1', 'vm').securityGroupInfoForDevices([]), { devices: {}, security_groups: {}, sg_member_ips: {} });
  // A reply that is not an object is an error (the firewall keeps its last state).
  const bad = fakeClient(() => null);
  await assert.rejects(new LinuxBridgePluginApi(bad.client, 'lb1', 'vm').securityGroupInfoForDevices(['tapx']), TypeError);
  // The recorded call has the same argument names.
  const file = samplePath('neutron__q-plugin__security_group_info_for_devices.json');
  if (!existsSync(file)) { t.skip(`sample not found at ${file}`); return; }
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { request: { args: Record<string, unknown> }; reply: { message: { result: Record<string, unknown> } } };
  assert.deepEqual(Object.keys(calls[0]!.args).sort(), Object.keys(rec.request.args).sort());
  assert.equal(calls[0]!.args['call_version'], rec.request.args['call_version']);
  const replay = fakeClient(() => rec.reply.message.result);
  const merged = await new LinuxBridgePluginApi(replay.client, 'lb1', 'vm').securityGroupInfoForDevices(rec.request.args['devices'] as string[]);
  assert.deepEqual(merged, { devices: rec.reply.message.result['devices'], security_groups: rec.reply.message.result['security_groups'], sg_member_ips: rec.reply.message.result['sg_member_ips'] });
});
