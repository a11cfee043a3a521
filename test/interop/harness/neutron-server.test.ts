// Proves the interop harness: a real neutron-server is up, its API answers, resources can be
// created and deleted, and its transport URL reaches the server's RPC workers (an agent row
// appears after a report_state cast and deleteAgents() removes it).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import {
  NeutronApiError,
  deleteAgents,
  ensureNeutronServer,
  listAgents,
  neutronApi,
  transportToAmqpUrl,
  waitFor,
  type NeutronServer,
} from '../../harness/neutron.js';
import { RUN_PREFIX_PATTERN, deviceName, runPrefix, testName } from '../../harness/names.js';

interface Network {
  id: string;
  name: string;
  status: string;
  project_id: string;
  'provider:network_type': string;
}

describe('neutron-server harness', { timeout: 25 * 60_000 }, () => {
  let server: NeutronServer;
  const host = testName('harness');

  before(async () => {
    server = await ensureNeutronServer();
  });

  after(async () => {
    if (server) await deleteAgents({ host });
  });

  test('env describes the server', () => {
    assert.match(server.apiUrl, /^http:\/\/127\.0\.0\.1:\d+\/v2\.0$/);
    assert.match(server.transportUrl, /^rabbit:\/\/[^@]+@127\.0\.0\.1:5672\//);
    assert.ok(server.confDir.length > 0);
    assert.equal(process.env.NUCLEON_TEST_API, server.apiUrl);
  });

  test('names are per run and fit device limits', () => {
    assert.match(runPrefix(), RUN_PREFIX_PATTERN);
    assert.equal(runPrefix(), runPrefix());
    assert.ok(deviceName('tap01234').length <= 15);
    assert.throws(() => deviceName('much-too-long-name'));
  });

  test('GET /v2.0/agents answers', async () => {
    const agents = await listAgents();
    assert.ok(Array.isArray(agents));
  });

  test('a network can be created and deleted through the API', async () => {
    const name = testName('net');
    const created = await neutronApi<{ network: Network }>('/networks', 'POST', {
      network: { name, project_id: `${runPrefix()}-project` },
    });
    const net = created.network;
    try {
      assert.equal(net.name, name);
      assert.equal(net['provider:network_type'], 'vxlan');
      const got = await neutronApi<{ network: Network }>(`/networks/${net.id}`);
      assert.equal(got.network.id, net.id);
    } finally {
      await neutronApi(`/networks/${net.id}`, 'DELETE');
    }
    await assert.rejects(neutronApi(`/networks/${net.id}`), (e: unknown) => e instanceof NeutronApiError && e.status === 404);
  });

  test('the transport URL reaches the server: report_state creates an agent row', async () => {
    const conn = await connect(transportToAmqpUrl(server.transportUrl));
    try {
      const ch = await conn.createChannel();
      const message = {
        method: 'report_state',
        args: {
          agent_state: {
            agent_state: {
              binary: 'nucleon-harness-probe',
              host,
              topic: 'N/A',
              configurations: {},
              start_flag: true,
              agent_type: 'Metadata agent',
              uuid: randomUUID(),
            },
          },
          time: new Date().toISOString().replace('Z', ''),
        },
        version: '1.2',
        _unique_id: randomUUID().replace(/-/g, ''),
        _context_is_admin: true,
        _context_roles: [],
        _context_request_id: `req-${randomUUID()}`,
      };
      const body = { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) };
      ch.publish('neutron', 'q-reports-plugin', Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
      });
      await ch.close();
    } finally {
      await conn.close();
    }
    const agent = await waitFor(async () => (await listAgents({ host })).find((a) => a.binary === 'nucleon-harness-probe'), {
      timeoutMs: 30_000,
      description: `agent row for host ${host}`,
    });
    assert.equal(agent.alive, true);
    const deleted = await deleteAgents({ host });
    assert.deepEqual(
      deleted.map((a) => a.id),
      [agent.id],
    );
    assert.deepEqual(await listAgents({ host }), []);
  });

  test('waitFor reports a timeout with the last error', async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 200, intervalMs: 50, description: 'nothing' },
      ),
      /timed out after 200 ms waiting for nothing; last error: not yet/,
    );
  });
});
