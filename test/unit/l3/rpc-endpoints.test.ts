import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../shared/logging/logger.js';
import { l3Endpoint, type L3Dirty } from '../../../agents/l3/rpc-endpoints.js';
import { request } from './fixtures.js';

function recorder(): { dirty: L3Dirty; marks: string[] } {
  const marks: string[] = [];
  return {
    marks,
    dirty: {
      router: (id, reason) => { marks.push(`router:${id}:${reason}`); },
      network: (id, reason) => { marks.push(`network:${id}:${reason}`); },
      all: (reason) => { marks.push(`all:${reason}`); },
    },
  };
}

async function call(method: string, args: Record<string, unknown>): Promise<{ result: unknown; marks: string[] }> {
  const r = recorder();
  const h = l3Endpoint(r.dirty, silentLogger()).methods[method];
  assert.ok(h, method);
  const result = await h({}, args);
  return { result, marks: r.marks };
}

const RID = 'e1d9b2a3-a909-48c9-b0c7-5036560dce07';
const NET = '47ce444c-163d-468e-a0ea-18702b267e61';

describe('l3Endpoint', () => {
  it('speaks L3NATAgent 1.4', () => {
    assert.equal(l3Endpoint(recorder().dirty, silentLogger()).version, '1.4');
  });

  it('each recorded notification marks the right router', async () => {
    const cases: Array<[string, string]> = [
      ['neutron__l3_agent._host___routers_updated.json', `router:${RID}:routers_updated`],
      ['neutron__l3_agent._host___router_removed_from_agent.json', `router:${RID}:router_removed_from_agent`],
      ['neutron__l3_agent._host___router_added_to_agent.json', `router:${RID}:router_added_to_agent`],
      ['l3_agent_fanout__-__router_deleted.json', 'router:408cfcab-1d3c-4b73-ad8d-3bb4b94ab46b:router_deleted'],
    ];
    for (const [file, mark] of cases) {
      const req = request(file);
      const { marks } = await call(req.method, req.args);
      assert.deepEqual(marks, [mark], file);
    }
  });

  it('router_added_to_agent is a call answered with null', async () => {
    const req = request('neutron__l3_agent._host___router_added_to_agent.json');
    assert.equal((await call(req.method, req.args)).result, null);
    assert.equal((await call('router_added_to_agent', { payload: 'junk' })).result, null);
  });

  it('routers_updated marks every router, lower-cased, and drops the bad ids only', async () => {
    const { marks } = await call('routers_updated', { routers: [RID.toUpperCase(), 'x', 3, '408cfcab-1d3c-4b73-ad8d-3bb4b94ab46b'] });
    assert.deepEqual(marks, [`router:${RID}:routers_updated`, 'router:408cfcab-1d3c-4b73-ad8d-3bb4b94ab46b:routers_updated']);
  });

  it('agent_updated with admin_state_up true asks for a full sync; otherwise nothing', async () => {
    assert.deepEqual((await call('agent_updated', { payload: { admin_state_up: true } })).marks, ['all:agent_updated']);
    assert.deepEqual((await call('agent_updated', { payload: { admin_state_up: false } })).marks, []);
  });

  it('network_update marks the network', async () => {
    assert.deepEqual((await call('network_update', { network: { id: NET.toUpperCase() } })).marks, [`network:${NET}:network_update`]);
  });

  it('fipnamespace_delete_on_ext_net (DVR) marks nothing', async () => {
    assert.deepEqual((await call('fipnamespace_delete_on_ext_net', { payload: { network_id: NET } })).marks, []);
  });

  it('malformed arguments mark nothing and do not throw', async () => {
    const junk: unknown[] = [undefined, null, 1, 'x', [], {}, [null], { router_id: 'x' }, { id: 5 }];
    const methods = ['routers_updated', 'router_deleted', 'router_removed_from_agent', 'router_added_to_agent', 'agent_updated', 'network_update', 'fipnamespace_delete_on_ext_net'];
    const keys = ['routers', 'router_id', 'payload', 'network'];
    for (const m of methods) {
      for (const j of junk) {
        for (const k of keys) {
          const { marks } = await call(m, { [k]: j });
          assert.deepEqual(marks, [], `${m} ${k}=${JSON.stringify(j)}`);
        }
        assert.deepEqual((await call(m, {})).marks, [], m);
      }
    }
  });
});
