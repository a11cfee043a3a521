/**
 * dhcp_agent notifications: each recorded one marks its network dirty (nothing else);
 * malformed payloads mark nothing and never throw; agent_updated asks for a full
 * resync, as the Python agent's schedule_resync does.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DHCP_TOPIC, dhcpEndpoint, type DhcpDirty } from '../../../agents/dhcp/rpc-endpoints.js';
import { isServed } from '../../../agents/dhcp/agent.js';
import { silentLogger } from '../../../shared/logging/logger.js';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');

function recorder(): { dirty: DhcpDirty; marks: string[] } {
  const marks: string[] = [];
  return { marks, dirty: { network: (id, reason) => void marks.push(`network:${id}:${reason}`), all: (reason) => void marks.push(`all:${reason}`) } };
}

interface Sample { file: string; method: string; args: Record<string, unknown> }
function samples(): Sample[] {
  if (!existsSync(SAMPLES)) return [];
  return readdirSync(SAMPLES)
    .filter((f) => /^(neutron__dhcp_agent\._host___|dhcp_agent_fanout__-__).*\.json$/.test(f))
    .sort()
    .map((file) => {
      const j = JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as { request: { method: string; args: Record<string, unknown> } };
      return { file, method: j.request.method, args: j.request.args };
    });
}

/** Where Neutron's DhcpAgent handlers read the network id (agent/dhcp/agent.py). */
function expectedNetwork(method: string, payload: Record<string, unknown>): string {
  const sub = (k: string) => payload[k] as Record<string, unknown>;
  switch (method) {
    case 'network_create_end': case 'network_update_end': return String(sub('network')['id']);
    case 'subnet_create_end': case 'subnet_update_end': return String(sub('subnet')['network_id']);
    case 'port_create_end': case 'port_update_end': return String(sub('port')['network_id']);
    default: return String(payload['network_id']);
  }
}

const NET = '47ce444c-163d-468e-a0ea-18702b267e61';

describe('dhcpEndpoint', () => {
  test('topic and version', () => {
    assert.equal(DHCP_TOPIC, 'dhcp_agent');
    assert.equal(dhcpEndpoint(recorder().dirty, silentLogger()).version, '1.0');
  });

  test('every recorded notification marks exactly its network', async (t) => {
    const all = samples();
    if (all.length === 0) { t.skip(`no wire samples under ${SAMPLES}`); return; }
    const methods = new Set<string>();
    for (const s of all) {
      const r = recorder();
      const handler = dhcpEndpoint(r.dirty, silentLogger()).methods[s.method];
      assert.ok(handler, `${s.file}: ${s.method} handled`);
      await handler({}, s.args);
      assert.deepEqual(r.marks, [`network:${expectedNetwork(s.method, s.args['payload'] as Record<string, unknown>)}:${s.method}`], s.file);
      methods.add(s.method);
    }
    // the recordings cover these; port_update_end is covered below
    for (const m of ['network_create_end', 'network_update_end', 'network_delete_end', 'subnet_create_end', 'subnet_update_end', 'subnet_delete_end', 'port_create_end', 'port_delete_end']) assert.ok(methods.has(m), `sample for ${m}`);
  });

  test('port_update_end (not recorded) uses port.network_id; upper-case ids are lower-cased', async () => {
    const r = recorder();
    await dhcpEndpoint(r.dirty, silentLogger()).methods['port_update_end']!({}, { payload: { port: { id: 'x', network_id: NET.toUpperCase() } } });
    assert.deepEqual(r.marks, [`network:${NET}:port_update_end`]);
  });

  test('malformed payloads mark nothing and never throw', async () => {
    const ep = dhcpEndpoint(recorder().dirty, silentLogger());
    const bad: unknown[] = [
      {}, { payload: null }, { payload: 'x' }, { payload: [] }, { payload: 7 },
      { payload: { network: null } }, { payload: { network: { id: 12 } } }, { payload: { network: { id: 'not-a-uuid' } } },
      { payload: { network_id: null } }, { payload: { network_id: `${NET}x` } }, { payload: { subnet: 'x' } }, { payload: { port: [] } },
      { payload: { port: { network_id: { id: NET } } } },
    ];
    for (const method of Object.keys(ep.methods)) {
      if (method === 'agent_updated') continue;
      for (const args of bad) {
        const r = recorder();
        const h = dhcpEndpoint(r.dirty, silentLogger()).methods[method]!;
        await assert.doesNotReject(async () => { await h({}, args as Record<string, unknown>); }, `${method} ${JSON.stringify(args)}`);
        assert.deepEqual(r.marks, [], `${method} ${JSON.stringify(args)}`);
      }
    }
  });

  test('agent_updated -> full resync (admin up: serve again; admin down: the server then lists no networks)', async () => {
    for (const admin of [true, false]) {
      const r = recorder();
      await dhcpEndpoint(r.dirty, silentLogger()).methods['agent_updated']!({}, { payload: { admin_state_up: admin } });
      assert.deepEqual(r.marks, ['all:agent_updated'], `admin_state_up ${admin}`);
    }
    for (const args of [{}, { payload: null }, { payload: 'x' }]) {
      const r = recorder();
      await assert.doesNotReject(async () => { await dhcpEndpoint(r.dirty, silentLogger()).methods['agent_updated']!({}, args as Record<string, unknown>); });
      assert.deepEqual(r.marks, []);
    }
  });
});

describe('isServed', () => {
  const s = (enable_dhcp: unknown) => ({ id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', enable_dhcp });
  test('admin-up network with a DHCP-enabled subnet', () => {
    assert.equal(isServed({ id: NET, admin_state_up: true, subnets: [s(false), s(true)] }), true);
  });
  test('admin down, no subnet, only DHCP-disabled subnets, malformed subnets -> not served', () => {
    assert.equal(isServed({ id: NET, admin_state_up: false, subnets: [s(true)] }), false);
    assert.equal(isServed({ id: NET, admin_state_up: true, subnets: [] }), false);
    assert.equal(isServed({ id: NET, admin_state_up: true }), false);
    assert.equal(isServed({ id: NET, admin_state_up: true, subnets: [s(false)] }), false);
    assert.equal(isServed({ id: NET, admin_state_up: true, subnets: [null, 'x', s('true')] }), false);
  });
  test('admin_state_up absent: served (the server always sends it; only an explicit false turns DHCP off)', () => {
    assert.equal(isServed({ id: NET, subnets: [s(true)] }), true);
  });
});
