/**
 * Stale lease release (Neutron's _release_unused_leases): dnsmasq lease file lines are
 * parsed (IPv4 only: duid and IPv6 lines are skipped, as are malformed ones); a lease
 * is stale when its (MAC, IP) is not in the new hosts file, or when the port pins a
 * client id (`id:` in its hosts line) that the lease does not carry.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostPairs, parseLeases, staleLeases } from '../../../agents/dhcp/leases.js';
import { parseNetwork, renderNetwork, DNSMASQ_DEFAULTS } from '../../../agents/dhcp/dnsmasq/index.js';

const LEASES = [
  'duid 00:01:00:01:2c:1e:3a:10:fa:16:3e:00:00:01',
  '1767225600 fa:16:3e:4a:c8:bd 10.90.0.125 host-10-90-0-125 01:fa:16:3e:4a:c8:bd',
  '1767225600 FA:16:3E:11:22:33 10.90.0.7 * *',
  '0 fa:16:3e:00:00:09 10.90.0.9 vm9 *',
  '1767225600 1234567 fd00:1::5 host-fd00-1--5 00:04:ab:cd',
  '1767225600 T1234 fd00:1::6 * 00:04:ab:ce',
  '1767225600 20-80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:c9:a1 10.90.0.40 ib *',
  '',
  'garbage',
  '1767225600 fa:16:3e:00:00:0a not-an-ip x *',
  '1767225600 fa:16:3e:00:00:0b 10.90.0.11',
].join('\n');

describe('parseLeases', () => {
  test('IPv4 lines only; MAC lower-cased; "*" client id means none', () => {
    assert.deepEqual(parseLeases(LEASES), [
      { mac: 'fa:16:3e:4a:c8:bd', ip: '10.90.0.125', clientId: '01:fa:16:3e:4a:c8:bd' },
      { mac: 'fa:16:3e:11:22:33', ip: '10.90.0.7', clientId: undefined },
      { mac: 'fa:16:3e:00:00:09', ip: '10.90.0.9', clientId: undefined },
    ]);
  });

  test('empty, duid-only and CRLF files', () => {
    assert.deepEqual(parseLeases(''), []);
    assert.deepEqual(parseLeases('duid 00:01:00:01\n'), []);
    assert.deepEqual(parseLeases('1 fa:16:3e:00:00:01 10.0.0.1 * *\r\n'), [{ mac: 'fa:16:3e:00:00:01', ip: '10.0.0.1', clientId: undefined }]);
  });
});

describe('hostPairs', () => {
  test('every hosts-file line shape yields its (mac, ip); IPv6 and tag-only lines none', () => {
    const hosts = [
      'fa:16:3e:4a:c8:bd,host-10-90-0-125.openstacklocal,10.90.0.125',
      'fa:16:3e:11:22:33,set:subnet-37c52aa8,host-10-90-0-7.openstacklocal,10.90.0.7,set:port-abc',
      'fa:16:3e:00:00:09,id:01:fa:16:3e:00:00:09,vm9.openstacklocal,10.90.0.9',
      'fa:16:3e:00:00:0c,host-fd00-1--c.openstacklocal,[fd00:1::c]',
      'fa:16:3e:00:00:0d,set:port-def',
      'not a line',
    ].join('\n');
    assert.deepEqual([...hostPairs(hosts)].sort(), ['fa:16:3e:00:00:09|10.90.0.9', 'fa:16:3e:11:22:33|10.90.0.7', 'fa:16:3e:4a:c8:bd|10.90.0.125']);
  });
});

describe('staleLeases', () => {
  const leases = parseLeases(LEASES);

  test('a lease whose port is gone or whose IP changed is stale; the others are kept', () => {
    const hosts = [
      'fa:16:3e:4a:c8:bd,host-10-90-0-125.openstacklocal,10.90.0.125', // unchanged (lease has a client id, port pins none)
      'fa:16:3e:11:22:33,host-10-90-0-8.openstacklocal,10.90.0.8', // fixed IP changed .7 -> .8
    ].join('\n'); // fa:16:3e:00:00:09: port deleted
    assert.deepEqual(staleLeases(leases, hosts).map((l) => l.ip), ['10.90.0.7', '10.90.0.9']);
  });

  test('nothing to release when every lease is in the hosts file', () => {
    const hosts = leases.map((l) => `${l.mac},h,${l.ip}`).join('\n');
    assert.deepEqual(staleLeases(leases, hosts), []);
  });

  test('MAC case does not matter', () => {
    assert.deepEqual(staleLeases(leases, 'FA:16:3E:11:22:33,h,10.90.0.7\nfa:16:3e:4a:c8:bd,h,10.90.0.125\nfa:16:3e:00:00:09,h,10.90.0.9'), []);
  });

  test('client ids: a port pinning a client id keeps only the lease with that id (as Neutron compares them)', () => {
    const cid = '01:fa:16:3e:4a:c8:bd';
    const mine = { mac: 'fa:16:3e:4a:c8:bd', ip: '10.90.0.125', clientId: cid };
    const other = { ...mine, clientId: 'ff:00:11' };
    const none = { ...mine, clientId: undefined };
    const hosts = `fa:16:3e:4a:c8:bd,id:${cid},host-10-90-0-125.openstacklocal,10.90.0.125,set:port-x`;
    assert.deepEqual(staleLeases([mine, other, none], hosts), [other, none]);
    // no id pinned: the lease's own client id does not matter
    assert.deepEqual(staleLeases([mine, other, none], 'fa:16:3e:4a:c8:bd,host-10-90-0-125.openstacklocal,10.90.0.125'), []);
  });

  test('against a hosts file rendered by the dnsmasq renderer', () => {
    const net = parseNetwork({
      id: '47ce444c-163d-468e-a0ea-18702b267e61', admin_state_up: true, mtu: 1450,
      subnets: [{ id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', cidr: '10.90.0.0/24', ip_version: 4, enable_dhcp: true, gateway_ip: '10.90.0.1', host_routes: [], dns_nameservers: [], allocation_pools: [{ start: '10.90.0.2', end: '10.90.0.254' }] }],
      ports: [
        { id: '4d3c95f2-84ca-49a0-ad29-bde4f4df8448', mac_address: 'fa:16:3e:4a:c8:bd', device_owner: 'compute:nova', admin_state_up: true, extra_dhcp_opts: [], fixed_ips: [{ subnet_id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', ip_address: '10.90.0.125' }] },
        { id: '5e4d06a3-95ab-4ab1-be3a-cef5e5e0c0d1', mac_address: 'fa:16:3e:11:22:33', device_owner: 'compute:nova', admin_state_up: true, extra_dhcp_opts: [{ opt_name: 'client-id', opt_value: 'abc', ip_version: 4 }], fixed_ips: [{ subnet_id: '37c52aa8-83b8-4bc1-b62a-d01344db566f', ip_address: '10.90.0.7' }] },
      ],
    }, []);
    assert.ok(net);
    const hosts = renderNetwork(net, { ...DNSMASQ_DEFAULTS, dhcp_confs: '/tmp/x' }, { dhcpPortId: null, hostTagSupported: true, bridged: true }).files.host;
    assert.deepEqual(staleLeases(leases, hosts).map((l) => l.ip), ['10.90.0.7', '10.90.0.9']);
    assert.deepEqual(staleLeases([{ mac: 'fa:16:3e:11:22:33', ip: '10.90.0.7', clientId: 'abc' }], hosts), []);
  });
});
