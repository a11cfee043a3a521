import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCidr, assertIfName, assertIp, assertMac, assertNetnsName, assertSysctlKey, assertUuid, InvalidNameError } from '../../../shared/exec/names.js';

const rejects = (fn: () => void): void => assert.throws(fn, InvalidNameError);

test('interface names: 1-15 bytes, no slash, colon, whitespace, NUL, dot names', () => {
  for (const ok of ['eth0', 'tap1234567890ab', 'brq-3f2a', 'vxlan-42', 'a']) assertIfName(ok);
  for (const bad of ['', 'tap1234567890abc', 'a/b', 'a:b', 'a b', 'a\tb', 'a\0b', '.', '..', 'a#b', 'é'.repeat(8), 42]) rejects(() => assertIfName(bad));
});

test('netns names are safe file names', () => {
  assertNetnsName('qrouter-3f2a9c1e-1111-2222-3333-444455556666');
  assertNetnsName('nct1a2b');
  for (const bad of ['', '../etc', 'a/b', '-x', 'a b', '.hidden']) rejects(() => assertNetnsName(bad));
});

test('uuid, mac, ip, cidr', () => {
  assertUuid('3f2a9c1e-1111-2222-3333-444455556666');
  rejects(() => assertUuid('3f2a9c1e-1111-2222-3333-44445555666'));
  assertMac('fa:16:3e:00:00:01');
  for (const bad of ['fa:16:3e:00:00', 'fa-16-3e-00-00-01', 'zz:16:3e:00:00:01']) rejects(() => assertMac(bad));
  assertIp('10.0.0.1');
  assertIp('2001:db8::1', 6);
  rejects(() => assertIp('10.0.0.1', 6));
  rejects(() => assertIp('10.0.0.256'));
  assertCidr('10.0.0.0/24');
  assertCidr('2001:db8::/64', 6);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/24 dev eth0', 'x/8']) rejects(() => assertCidr(bad));
});

test('sysctl keys, dotted or slashed', () => {
  assertSysctlKey('net.ipv4.ip_forward');
  assertSysctlKey('net.ipv4.conf.qr-1234.forwarding');
  assertSysctlKey('net/ipv4/conf/eth0.100/forwarding');
  for (const bad of ['ip_forward', 'net.ipv4.ip_forward=1', 'net/../../etc', 'net.ipv4 .x']) rejects(() => assertSysctlKey(bad));
});
