import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OsloRpcClient, RpcTimeoutError } from '../../../shared/rpc/index.js';
import { L3PluginApi, SYNC_CHUNK_MAX, SYNC_CHUNK_MIN } from '../../../agents/l3/plugin-api.js';
import { request, uuid } from './fixtures.js';

interface Call { method: string; args: Record<string, unknown>; version: string | undefined }

/** An OsloRpcClient stand-in: records calls, answers with `reply` (which may throw). */
function fakeClient(reply: (c: Call) => unknown): { client: OsloRpcClient; calls: Call[] } {
  const calls: Call[] = [];
  const fake = {
    async call(method: string, args: Record<string, unknown>, opts?: { version?: string }): Promise<unknown> {
      const c = { method, args, version: opts?.version };
      calls.push(c);
      return reply(c);
    },
  };
  return { client: fake as unknown as OsloRpcClient, calls };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => uuid(i + 1, 'cccccccc'));
const echo = (c: Call) => (c.args['router_ids'] as string[]).map((id) => ({ id }));

describe('L3PluginApi', () => {
  it('uses the recorded method names, argument names and versions', async () => {
    const { client, calls } = fakeClient((c) => (c.method === 'get_router_ids' ? ['x'] : c.method === 'sync_routers' ? [] : null));
    const api = new L3PluginApi(client, 'vm');
    await api.getRouterIds();
    await api.syncRouters(['e1d9b2a3-a909-48c9-b0c7-5036560dce07']);
    await api.updateFloatingipStatuses('e1d9b2a3-a909-48c9-b0c7-5036560dce07', { '443dbd13-f455-454f-899f-e52ae22463c8': 'ACTIVE' });
    const recorded = ['neutron__q-l3-plugin__get_router_ids.json', 'neutron__q-l3-plugin__sync_routers.json', 'neutron__q-l3-plugin__update_floatingip_statuses.json'].map(request);
    assert.deepEqual(calls, recorded.map((r) => ({ method: r.method, args: r.args, version: r.version })));
  });

  it('get_router_ids keeps strings and rejects a reply that is not a list', async () => {
    assert.deepEqual(await new L3PluginApi(fakeClient(() => ['a', 1, null, 'b']).client, 'vm').getRouterIds(), ['a', 'b']);
    await assert.rejects(new L3PluginApi(fakeClient(() => ({})).client, 'vm').getRouterIds(), TypeError);
  });

  it('chunks sync_routers: 600 ids → 256, 256, 88, results concatenated in order', async () => {
    const { client, calls } = fakeClient(echo);
    const all = ids(600);
    const out = await new L3PluginApi(client, 'vm').syncRouters(all);
    assert.deepEqual(calls.map((c) => (c.args['router_ids'] as string[]).length), [256, 256, 88]);
    assert.deepEqual(out, all.map((id) => ({ id })));
    assert.equal(SYNC_CHUNK_MAX, 256);
  });

  it('no ids: no call', async () => {
    const { client, calls } = fakeClient(echo);
    assert.deepEqual(await new L3PluginApi(client, 'vm').syncRouters([]), []);
    assert.equal(calls.length, 0);
  });

  it('halves the chunk on RpcTimeoutError and retries the same ids; the smaller chunk sticks', async () => {
    let timeouts = 1;
    const { client, calls } = fakeClient((c) => {
      if (timeouts > 0) { timeouts--; throw new RpcTimeoutError('sync_routers', 'q-l3-plugin', 1000); }
      return echo(c);
    });
    const api = new L3PluginApi(client, 'vm');
    const all = ids(300);
    assert.deepEqual(await api.syncRouters(all), all.map((id) => ({ id })));
    assert.deepEqual(calls.map((c) => (c.args['router_ids'] as string[]).length), [256, 128, 128, 44]);
    assert.deepEqual((calls[1]!.args['router_ids'] as string[])[0], all[0]);
    calls.length = 0;
    await api.syncRouters(ids(200));
    assert.deepEqual(calls.map((c) => (c.args['router_ids'] as string[]).length), [128, 72]);
  });

  it('halves down to 32, then rethrows the timeout', async () => {
    const { client, calls } = fakeClient(() => { throw new RpcTimeoutError('sync_routers', 'q-l3-plugin', 1000); });
    await assert.rejects(new L3PluginApi(client, 'vm').syncRouters(ids(600)), RpcTimeoutError);
    assert.deepEqual(calls.map((c) => (c.args['router_ids'] as string[]).length), [256, 128, 64, 32]);
    assert.equal(SYNC_CHUNK_MIN, 32);
  });

  it('other errors are not retried; a reply that is not a list is an error', async () => {
    const boom = fakeClient(() => { throw new Error('boom'); });
    await assert.rejects(new L3PluginApi(boom.client, 'vm').syncRouters(ids(10)), /boom/);
    assert.equal(boom.calls.length, 1);
    await assert.rejects(new L3PluginApi(fakeClient(() => null).client, 'vm').syncRouters(ids(10)), TypeError);
  });
});
