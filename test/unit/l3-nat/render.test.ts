/**
 * renderRouterNat on its own: the rules the brief names, their absence when the
 * router lacks a gateway / SNAT / metadata, and input validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRouterNat } from '../../../agents/l3/nat/render.js';
import type { RouterNatInput } from '../../../agents/l3/nat/types.js';
import { InvalidNameError } from '../../../shared/exec/names.js';

const W = 'neutron-l3-agent';
const input = (over: Partial<RouterNatInput> = {}): RouterNatInput => ({
  routerId: 'e1d9b2a3-a909-48c9-b0c7-5036560dce07',
  gatewayDevice: 'qg-39fe28b4-9e',
  gatewayIps: ['198.51.100.140'],
  internalDevices: [{ dev: 'qr-906a0fdd-eb', cidrs: ['10.90.0.1/24'] }],
  enableSnat: true,
  floatingIps: [{ id: 'f1', floatingIp: '198.51.100.50', fixedIp: '10.90.0.10' }],
  metadata: { enabled: true, port: 9697, accessMark: '0x1', ingressMark: '0x2' },
  ...over,
});
const nat = (x: RouterNatInput): string[] => renderRouterNat(x)[4].nat.rules;

test('gateway + SNAT: internal traffic SNATed to the gateway IP, DNAT exceptions, ingress mark', () => {
  const d = renderRouterNat(input());
  assert.deepEqual(d[4].nat.rules.filter((r) => r.startsWith(`-A ${W}-snat`)), [
    `-A ${W}-snat -j ${W}-float-snat`,
    `-A ${W}-snat -o qg-39fe28b4-9e -j SNAT --to-source 198.51.100.140 --random-fully`,
    `-A ${W}-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source 198.51.100.140 --random-fully`,
  ]);
  assert.ok(d[4].nat.rules.includes(`-A ${W}-POSTROUTING ! -o qg-39fe28b4-9e -m conntrack ! --ctstate DNAT -j ACCEPT`));
  assert.ok(d[4].mangle.rules.includes(`-A ${W}-mark -i qg-39fe28b4-9e -j MARK --set-xmark 0x2/0xffff`));
  assert.deepEqual(d[4].nat.jumps.map((j) => `${j.chain}>${j.target}`), [
    `PREROUTING>${W}-PREROUTING`, `OUTPUT>${W}-OUTPUT`, `POSTROUTING>${W}-POSTROUTING`,
    'POSTROUTING>neutron-postrouting-bottom', `neutron-postrouting-bottom>${W}-snat`,
  ]);
});

test('floating IP: DNAT in PREROUTING and OUTPUT, SNAT in float-snat', () => {
  const r = nat(input());
  for (const l of [
    `-A ${W}-PREROUTING -d 198.51.100.50/32 -j DNAT --to-destination 10.90.0.10`,
    `-A ${W}-OUTPUT -d 198.51.100.50/32 -j DNAT --to-destination 10.90.0.10`,
    `-A ${W}-float-snat -s 10.90.0.10/32 -j SNAT --to-source 198.51.100.50 --random-fully`,
  ]) assert.ok(r.includes(l), l);
});

test('enable_snat false: no gateway SNAT, DNAT-reply SNAT and floating IPs stay', () => {
  const r = nat(input({ enableSnat: false }));
  assert.ok(!r.some((l) => l.includes('-o qg-39fe28b4-9e -j SNAT')));
  assert.ok(r.some((l) => l.includes('--ctstate DNAT -j SNAT')));
  assert.ok(r.some((l) => l.includes('-j DNAT --to-destination 10.90.0.10')));
});

test('no gateway: no SNAT, no floating IP rules, snat still jumps to float-snat', () => {
  const { gatewayDevice: _, ...rest } = input();
  const r = nat({ ...rest, gatewayIps: [] });
  assert.ok(!r.some((l) => / -j (S|D)NAT /.test(l)));
  assert.ok(r.includes(`-A ${W}-snat -j ${W}-float-snat`));
});

test('metadata on: REDIRECT to the proxy port and INPUT rules; off: neither (the mangle mark stays, as Python)', () => {
  const redirect = `-A ${W}-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697`;
  const on = renderRouterNat(input());
  assert.equal(on[4].nat.rules[0], redirect, 'before the floating IP DNATs');
  assert.deepEqual(on[4].filter.rules.filter((l) => l.startsWith(`-A ${W}-INPUT`)), [
    `-A ${W}-INPUT -m mark --mark 0x1/0xffff -j ACCEPT`,
    `-A ${W}-INPUT -p tcp -m tcp --dport 9697 -j DROP`,
  ]);
  const off = renderRouterNat(input({ metadata: { enabled: false, port: 9697, accessMark: '0x1', ingressMark: '0x2' } }));
  assert.ok(!off[4].nat.rules.includes(redirect));
  assert.ok(!off[4].filter.rules.some((l) => l.startsWith(`-A ${W}-INPUT`)));
  assert.ok(off[4].mangle.rules.includes(`-A ${W}-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xffff`));
  assert.ok(on[6]?.nat?.rules.includes(`-A ${W}-PREROUTING -d fe80::a9fe:a9fe/128 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697`));
});

test('metadata port and marks come from the input', () => {
  const d = renderRouterNat(input({ metadata: { enabled: true, port: 8775, accessMark: '0x10', ingressMark: '0x20' } }));
  assert.ok(d[4].nat.rules.some((l) => l.endsWith('--to-ports 8775')));
  assert.ok(d[4].nat.rules.some((l) => l.includes('! --mark 0x20/0xffff')));
  assert.ok(d[4].filter.rules.includes(`-A ${W}-INPUT -m mark --mark 0x10/0xffff -j ACCEPT`));
});

test('ipv6: false renders IPv4 only', () => {
  assert.equal(renderRouterNat(input({ ipv6: false }))[6], undefined);
});

test('pure: the same input renders the same output, and the input is not changed', () => {
  const x = input();
  const copy = structuredClone(x);
  assert.deepEqual(renderRouterNat(x), renderRouterNat(x));
  assert.deepEqual(x, copy);
});

test('unsafe input is refused before it reaches a restore script', () => {
  assert.throws(() => renderRouterNat(input({ gatewayDevice: 'qg-x -j ACCEPT' })), InvalidNameError);
  assert.throws(() => renderRouterNat(input({ gatewayIps: ['198.51.100.140\n-A INPUT -j DROP'] })), InvalidNameError);
  assert.throws(() => renderRouterNat(input({ floatingIps: [{ id: 'f', floatingIp: '2001:db8::1', fixedIp: '10.0.0.1' }] })), InvalidNameError);
  assert.throws(() => renderRouterNat(input({ internalDevices: [{ dev: 'qr-a', cidrs: ['10.0.0.1/33'] }] })), InvalidNameError);
  assert.throws(() => renderRouterNat(input({ metadata: { enabled: true, port: 0, accessMark: '0x1', ingressMark: '0x2' } })), InvalidNameError);
  assert.throws(() => renderRouterNat(input({ metadata: { enabled: true, port: 9697, accessMark: '1', ingressMark: '0x2' } })), InvalidNameError);
});
