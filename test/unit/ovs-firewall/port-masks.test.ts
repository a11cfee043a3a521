import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portRangeMasks } from '../../../agents/ovs/firewall/port-masks.js';
import { protocolMatch } from '../../../agents/ovs/firewall/protocol.js';
import { linkLocalOf, matchPrefix } from '../../../agents/ovs/firewall/addresses.js';

// Expected values computed with Neutron Zed's utils.port_rule_masking (sorted).
test('port ranges become the aligned value/mask blocks Neutron makes', () => {
  assert.deepEqual(portRangeMasks(80, 80), ['0x0050']);
  assert.deepEqual(portRangeMasks(40, 105), ['0x0028/0xfff8', '0x0030/0xfff0', '0x0040/0xffe0', '0x0060/0xfff8', '0x0068/0xfffe']);
  assert.deepEqual(portRangeMasks(22, 23), ['0x0016/0xfffe']);
  assert.deepEqual(portRangeMasks(0, 65535), ['0x0000/0x0000']);
  assert.deepEqual(portRangeMasks(65535, 65535), ['0xffff']);
  const all = portRangeMasks(1, 65535);
  assert.equal(all.length, 16);
  assert.equal(all[0], '0x0001');
  assert.equal(all[15], '0x8000/0x8000');
  assert.deepEqual(portRangeMasks(1000, 1999).sort(), ['0x03e8/0xfff8', '0x03f0/0xfff0', '0x0400/0xfe00', '0x0600/0xff00', '0x0700/0xff80', '0x0780/0xffc0', '0x07c0/0xfff0'].sort());
});

test('every port of a range is covered exactly once', () => {
  for (const [lo, hi] of [[3, 77], [1000, 1999], [5000, 5100], [1, 1024], [33333, 65535]] as const) {
    const blocks = portRangeMasks(lo, hi).map((m) => {
      const [v, mask] = m.split('/');
      return { v: parseInt(v as string, 16), mask: mask === undefined ? 0xffff : parseInt(mask, 16) };
    });
    for (let p = Math.max(0, lo - 5); p <= Math.min(65535, hi + 5); p++) {
      const hits = blocks.filter((b) => (p & b.mask) === b.v).length;
      assert.equal(hits, p >= lo && p <= hi ? 1 : 0, `port ${p} of ${lo}-${hi}`);
    }
  }
});

test('bad port ranges are errors', () => {
  assert.throws(() => portRangeMasks(10, 5), /max is smaller than min/);
  assert.throws(() => portRangeMasks(0, 70000), /outside/);
});

test('protocols: names and numbers as Neutron normalises them; 0/any/absent are all protocols', () => {
  assert.deepEqual(protocolMatch('tcp', 'IPv4'), { kind: 'number', proto: 6 });
  assert.deepEqual(protocolMatch('icmp', 'IPv6'), { kind: 'number', proto: 58 });
  assert.deepEqual(protocolMatch('icmp', 'IPv4'), { kind: 'number', proto: 1 });
  assert.deepEqual(protocolMatch('ipv6-icmp', 'IPv6'), { kind: 'number', proto: 58 });
  assert.deepEqual(protocolMatch('icmpv6', 'IPv6'), { kind: 'number', proto: 58 });
  assert.deepEqual(protocolMatch('112', 'IPv4'), { kind: 'number', proto: 112 });
  assert.deepEqual(protocolMatch('vrrp', 'IPv4'), { kind: 'number', proto: 112 });
  for (const p of [undefined, 'any', '0', 'ip']) assert.deepEqual(protocolMatch(p, 'IPv4'), { kind: 'any' });
  assert.deepEqual(protocolMatch('bogus', 'IPv4'), { kind: 'unknown', name: 'bogus' });
});

test('addresses as OVS prints them; EUI-64 link-local of a MAC', () => {
  assert.deepEqual(matchPrefix('10.0.0.5/24'), { version: 4, prefixlen: 24, text: '10.0.0.0/24' });
  assert.deepEqual(matchPrefix('10.0.0.5/32'), { version: 4, prefixlen: 32, text: '10.0.0.5' });
  assert.deepEqual(matchPrefix('2001:DB8:0:0::1/64'), { version: 6, prefixlen: 64, text: '2001:db8::/64' });
  assert.equal(matchPrefix('10.0.0.300'), null);
  assert.equal(linkLocalOf('fa:16:3e:0d:95:5c'), 'fe80::f816:3eff:fe0d:955c');
});
