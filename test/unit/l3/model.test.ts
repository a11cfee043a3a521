import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouter, RouterPayloadError, routerDevices, routerNamespace } from '../../../agents/l3/model.js';
import { recordedRouters, routerJson, uuid, type Json } from './fixtures.js';

function throwsPayload(v: unknown, match?: RegExp): void {
  assert.throws(() => parseRouter(v), (e: unknown) => e instanceof RouterPayloadError && (!match || match.test(e.reason)));
}

describe('parseRouter', () => {
  it('parses the recorded lab router into plain data', () => {
    const [raw] = recordedRouters();
    assert.deepEqual(parseRouter(raw), {
      id: 'e1d9b2a3-a909-48c9-b0c7-5036560dce07',
      adminStateUp: true,
      ha: false,
      distributed: false,
      enableSnat: true,
      gateway: {
        id: '39fe28b4-9e18-4093-b693-49e1abf9d816',
        mac: 'fa:16:3e:3d:2d:0c',
        networkId: '52e6ad41-4211-4532-9c64-5ddff1843d77',
        mtu: 1500,
        cidrs: ['198.51.100.140/24'],
        gateways: ['198.51.100.1'],
      },
      interfaces: [{
        id: '906a0fdd-eb80-4d27-9dba-a44f69975930',
        mac: 'fa:16:3e:7b:f9:8b',
        networkId: '47ce444c-163d-468e-a0ea-18702b267e61',
        mtu: 1450,
        cidrs: ['10.90.0.1/24'],
        gateways: ['10.90.0.1'],
      }],
      routes: [],
      floatingIps: [],
    });
  });

  it('lower-cases ids and MACs', () => {
    const raw = routerJson(1);
    const up = { ...raw, id: String(raw['id']).toUpperCase(), gw_port: { ...(raw['gw_port'] as Json), mac_address: 'FA:16:3E:AA:BB:CC' } };
    const r = parseRouter(up);
    assert.equal(r.id, raw['id']);
    assert.equal(r.gateway?.mac, 'fa:16:3e:aa:bb:cc');
  });

  it('rejects a router without a UUID id, with the id when it is a string', () => {
    for (const v of [null, 42, 'x', [], {}, { id: 7 }, { id: 'not-a-uuid' }]) throwsPayload(v);
    assert.throws(() => parseRouter({ id: 'nope' }), (e: unknown) => e instanceof RouterPayloadError && e.routerId === 'nope');
    assert.throws(() => parseRouter({ id: 3 }), (e: unknown) => e instanceof RouterPayloadError && e.routerId === undefined);
  });

  it('rejects a port with a bad id, MAC or network id, naming the router', () => {
    const raw = routerJson(1);
    const gw = raw['gw_port'] as Json;
    const ifc = (raw['_interfaces'] as Json[])[0]!;
    throwsPayload({ ...raw, gw_port: { ...gw, mac_address: 'fa:16:3e:00:00' } }, /gw_port\.mac_address/);
    throwsPayload({ ...raw, gw_port: { ...gw, mac_address: 'fa:16:3e:00:00:zz' } }, /gw_port\.mac_address/);
    throwsPayload({ ...raw, gw_port: { ...gw, id: 'x' } }, /gw_port\.id/);
    throwsPayload({ ...raw, _interfaces: [{ ...ifc, network_id: null }] }, /_interfaces\[0\]\.network_id/);
    throwsPayload({ ...raw, _interfaces: [ifc, 'port'] }, /_interfaces\[1\] is not an object/);
    assert.throws(() => parseRouter({ ...raw, gw_port: { ...gw, mac_address: 1 } }), (e: unknown) => e instanceof RouterPayloadError && e.routerId === raw['id']);
  });

  it('reads non-list fields as empty and a non-object gw_port as no gateway', () => {
    const raw = routerJson(1);
    const r = parseRouter({ ...raw, _interfaces: 'x', routes: { a: 1 }, _floatingips: null, gw_port: 'x' });
    assert.deepEqual([r.interfaces, r.routes, r.floatingIps, r.gateway], [[], [], [], undefined]);
    const p = parseRouter({ ...raw, gw_port: { ...(raw['gw_port'] as Json), fixed_ips: 'x', subnets: 5 } }).gateway;
    assert.deepEqual([p?.cidrs, p?.gateways], [[], []]);
  });

  it('skips IPv6 and malformed fixed IPs, keeps IPv4', () => {
    const raw = routerJson(1);
    const gw = raw['gw_port'] as Json;
    const fixed = [
      { ip_address: '2001:db8::1', prefixlen: 64 },
      { ip_address: '198.51.100.7', prefixlen: 24 },
      { ip_address: '198.51.100.8', prefixlen: 33 },
      { ip_address: '198.51.100.9', prefixlen: '24' },
      { ip_address: '256.1.1.1', prefixlen: 24 },
      null,
    ];
    const subnets = [{ gateway_ip: '2001:db8::1' }, { gateway_ip: null }, { gateway_ip: '198.51.100.1' }, 'x'];
    const p = parseRouter({ ...raw, gw_port: { ...gw, fixed_ips: fixed, subnets } }).gateway;
    assert.deepEqual(p?.cidrs, ['198.51.100.7/24']);
    assert.deepEqual(p?.gateways, ['198.51.100.1']);
  });

  it('skips bad extra routes', () => {
    const routes = [
      { destination: '10.10.0.0/16', nexthop: '10.1.0.5' },
      { destination: '2001:db8::/64', nexthop: '2001:db8::1' },
      { destination: '10.20.0.0/16', nexthop: 'x' },
      { destination: '10.30.0.0', nexthop: '10.1.0.5' },
      { destination: '300.0.0.0/8', nexthop: '10.1.0.5' },
      { destination: '10.40.0.0/40', nexthop: '10.1.0.5' },
      { destination: 5, nexthop: '10.1.0.5' },
      'x',
      null,
    ];
    assert.deepEqual(parseRouter({ ...routerJson(1), routes }).routes, [{ destination: '10.10.0.0/16', nexthop: '10.1.0.5' }]);
  });

  it('skips floating IPs without a fixed IP or with a bad id/address', () => {
    const fid = uuid(1, 'ffffffff');
    const fips = [
      { id: fid, floating_ip_address: '198.51.100.50', fixed_ip_address: '10.1.0.10', port_id: uuid(7) },
      { id: uuid(2, 'ffffffff'), floating_ip_address: '198.51.100.51', fixed_ip_address: null, port_id: null },
      { id: uuid(3, 'ffffffff'), floating_ip_address: '198.51.100.52' },
      { id: 'x', floating_ip_address: '198.51.100.53', fixed_ip_address: '10.1.0.11' },
      { id: uuid(4, 'ffffffff'), floating_ip_address: 'x', fixed_ip_address: '10.1.0.12' },
      7,
    ];
    assert.deepEqual(parseRouter({ ...routerJson(1), _floatingips: fips }).floatingIps, [
      { id: fid, floatingIp: '198.51.100.50', fixedIp: '10.1.0.10', portId: uuid(7) },
    ]);
  });

  it('reads flags: admin_state_up defaults up, ha/distributed only when true, enable_snat from external_gateway_info', () => {
    const raw = routerJson(1);
    assert.equal(parseRouter({ ...raw, admin_state_up: undefined }).adminStateUp, true);
    assert.equal(parseRouter({ ...raw, admin_state_up: false }).adminStateUp, false);
    assert.equal(parseRouter({ ...raw, ha: 'true' }).ha, false);
    assert.equal(parseRouter({ ...raw, ha: true }).ha, true);
    assert.equal(parseRouter({ ...raw, distributed: true }).distributed, true);
    assert.equal(parseRouter({ ...raw, external_gateway_info: { enable_snat: false } }).enableSnat, false);
    assert.equal(parseRouter({ ...raw, external_gateway_info: null, enable_snat: false }).enableSnat, false);
  });

  it('keeps only a usable MTU', () => {
    const raw = routerJson(1);
    const mtu = (v: unknown) => parseRouter({ ...raw, gw_port: { ...(raw['gw_port'] as Json), mtu: v } }).gateway?.mtu;
    assert.equal(mtu(1400), 1400);
    for (const v of [0, 67, '1500', null, undefined, 1500.5, 70000, Number.NaN]) assert.equal(mtu(v), null, String(v));
  });

  it('throws only RouterPayloadError for arbitrary junk in any field', () => {
    const junk: unknown[] = [null, undefined, 0, -1, 1e9, 'x', '', true, [], [null], [1, 'a'], {}, { id: 1 }, [[{}]]];
    const raw = routerJson(1, { fips: [{ id: uuid(1, 'ffffffff'), fip: '198.51.100.50', fixed: '10.1.0.10' }] });
    const fields = Object.keys(raw);
    for (const f of fields) {
      for (const j of junk) {
        try { parseRouter({ ...raw, [f]: j }); } catch (e) { assert.ok(e instanceof RouterPayloadError, `${f}=${JSON.stringify(j)}: ${String(e)}`); }
        for (const pf of ['gw_port', '_interfaces'] as const) {
          const port = pf === 'gw_port' ? (raw['gw_port'] as Json) : (raw['_interfaces'] as Json[])[0]!;
          for (const k of Object.keys(port)) {
            const bad = { ...port, [k]: j };
            try { parseRouter({ ...raw, [pf]: pf === 'gw_port' ? bad : [bad] }); } catch (e) { assert.ok(e instanceof RouterPayloadError, `${pf}.${k}=${JSON.stringify(j)}: ${String(e)}`); }
          }
        }
      }
    }
  });
});

describe('router names', () => {
  it('qrouter-<id>, qr-/qg- and tap + port_id[:11]', () => {
    assert.equal(routerNamespace('e1d9b2a3-a909-48c9-b0c7-5036560dce07'), 'qrouter-e1d9b2a3-a909-48c9-b0c7-5036560dce07');
    assert.deepEqual(routerDevices('qr', '906a0fdd-eb80-4d27-9dba-a44f69975930'), { ns: 'qr-906a0fdd-eb', tap: 'tap906a0fdd-eb' });
    assert.deepEqual(routerDevices('qg', '39fe28b4-9e18-4093-b693-49e1abf9d816'), { ns: 'qg-39fe28b4-9e', tap: 'tap39fe28b4-9e' });
  });
});

describe('parseRouter keeps only what the op renderers accept', () => {
  it('addresses with leading zeros are not IPv4 here', () => {
    const raw = routerJson(1);
    const r = parseRouter({ ...raw, routes: [{ destination: '10.0.0.0/8', nexthop: '010.1.0.5' }], _floatingips: [{ id: uuid(1, 'ffffffff'), floating_ip_address: '198.51.100.050', fixed_ip_address: '10.1.0.10' }] });
    assert.deepEqual([r.routes, r.floatingIps], [[], []]);
  });
});
