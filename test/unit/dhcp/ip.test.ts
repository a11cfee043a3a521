/**
 * Network address text as netaddr 0.8 prints it (glibc inet_ntop for IPv6):
 * zero-run compression, ties, single zero words, embedded IPv4 forms.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { netmask, networkAddress, parseCidr } from '../../../agents/dhcp/dnsmasq/ip.js';
import { skipReason } from './neutron.js';

const CIDRS = [
  '10.1.2.3/24', '0.0.0.0/0', '255.255.255.255/32', '192.168.7.0/28',
  '2001:db8::/64', '2001:DB8:0:0:1::/80', '2001:db8:0:1:1:1:1:1/128', '2001:0:0:1:0:0:1:1/128',
  '1:0:0:2:0:0:0:3/128', '0:0:1:0:0:1:0:0/128', '::/0', '::1/128', '::2/128', '::1.2.3.4/128',
  '::0.0.1.2/128', '::ffff:10.9.0.0/120', '::ffff:0:0/96', '0:0:0:0:0:ffff:1.2.3.4/128', '64:ff9b::1.2.3.4/128',
  'fe80::/10', 'fd00:0:0:0:0:0:0:0/64', '1::/16', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', '1:2:3:4:5:6:7::/128',
];

test('network address and netmask text equal netaddr', { skip: skipReason }, () => {
  const code = 'import json,sys,netaddr\nout=[]\nfor c in json.load(sys.stdin):\n n=netaddr.IPNetwork(c); out.append([str(n.network), str(n.netmask)])\nprint(json.dumps(out))';
  const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(CIDRS), encoding: 'utf8' })) as [string, string][];
  const got = CIDRS.map((c) => {
    const p = parseCidr(c);
    assert.ok(p, c);
    return [networkAddress(p), netmask(p)];
  });
  assert.deepEqual(got, expected);
});

test('strict parsing rejects what neutron-server never sends', () => {
  for (const bad of ['10.1', '010.0.0.1', '10.0.0.0/33', '::/129', 'fe80::1%eth0', '[::1]', '1:2:3:4:5:6:7:8:9', '1::2::3', '', '10.0.0.0/']) {
    assert.equal(parseCidr(bad), null, bad);
  }
});
