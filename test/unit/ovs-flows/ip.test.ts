/** The address formatting that must equal what OVS prints in a dump. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv6, formatMaskedAddress, linkLocalOf, macToHex, parseAddressOrCidr, parseIpv6 } from '../../../agents/ovs/flows/ip.js';

const canon = (s: string): string => formatIpv6(parseIpv6(s) as bigint);

test('IPv6 as glibc inet_ntop writes it', () => {
  assert.equal(canon('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canon('::'), '::');
  assert.equal(canon('::1'), '::1');
  assert.equal(canon('fe80::'), 'fe80::');
  assert.equal(canon('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1'); // the longer run
  assert.equal(canon('2001:0:0:1:0:0:1:1'), '2001::1:0:0:1:1'); // first of equal runs
  assert.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(canon('::ffff:10.0.0.1'), '::ffff:10.0.0.1');
  assert.equal(canon('::10.0.0.1'), '::10.0.0.1');
  assert.equal(parseIpv6('fe80::1%eth0'), undefined);
  assert.equal(parseIpv6('1::2::3'), undefined);
});

test('masked addresses print as network/len, hosts bare', () => {
  const f = (s: string): string => formatMaskedAddress(parseAddressOrCidr(s)!);
  assert.equal(f('10.0.9.7/24'), '10.0.9.0/24');
  assert.equal(f('10.0.9.7/32'), '10.0.9.7');
  assert.equal(f('0.0.0.0/0'), '0.0.0.0/0');
  assert.equal(f('2001:db8::7/64'), '2001:db8::/64');
  assert.equal(f('2001:db8::7/128'), '2001:db8::7');
  assert.equal(parseAddressOrCidr('10.0.0.1/33'), undefined);
  assert.equal(parseAddressOrCidr('010.0.0.1'), undefined);
});

test('EUI-64 link-local and load: immediates', () => {
  assert.equal(linkLocalOf('fa:16:3e:00:00:01'), 'fe80::f816:3eff:fe00:1');
  assert.equal(linkLocalOf('00:00:5e:00:53:01'), 'fe80::200:5eff:fe00:5301');
  assert.equal(macToHex('fa:16:3e:00:00:05'), '0xfa163e000005');
  assert.equal(macToHex('02:00:00:00:00:01'), '0x20000000001');
});
