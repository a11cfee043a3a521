/** Header verdicts (Neutron's answers without the RPC), X-Forwarded-For forms, the signature. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHeaders } from '../../../agents/metadata/headers.js';
import { parseRemoteAddress } from '../../../agents/metadata/ip.js';
import { instanceSigner } from '../../../agents/metadata/sign.js';

const NET = '11111111-1111-4111-8111-111111111111';
const RTR = '33333333-3333-4333-8333-333333333333';
const h = (o: Record<string, string | string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]));

test('one id and one address: ok, with the target kind', () => {
  assert.deepEqual(checkHeaders(h({ 'X-Neutron-Network-ID': NET, 'X-Forwarded-For': '10.0.0.5' })),
    { ok: true, forwardedFor: '10.0.0.5', remote: { ip: '10.0.0.5', mac: null }, target: { kind: 'network', networkId: NET } });
  const r = checkHeaders(h({ 'X-Neutron-Router-ID': RTR.toUpperCase(), 'X-Forwarded-For': '10.0.0.5' }));
  assert.ok(r.ok && r.target.kind === 'router');
});

test('Neutron\'s answers: both ids 404, none 500, bad or repeated address 500, non-UUID 404', () => {
  const cases: Array<[Record<string, string | string[]>, number, string]> = [
    [{ 'X-Neutron-Network-ID': NET, 'X-Neutron-Router-ID': RTR, 'X-Forwarded-For': '10.0.0.5' }, 404, 'both-ids'],
    [{ 'X-Forwarded-For': '10.0.0.5' }, 500, 'no-id'],
    [{ 'X-Neutron-Network-ID': '', 'X-Forwarded-For': '10.0.0.5' }, 500, 'no-id'],
    [{ 'X-Neutron-Network-ID': NET }, 500, 'bad-forwarded-for'],
    [{ 'X-Neutron-Network-ID': NET, 'X-Forwarded-For': '10.0.0.5, 10.0.0.6' }, 500, 'bad-forwarded-for'],
    [{ 'X-Neutron-Network-ID': NET, 'X-Forwarded-For': ['10.0.0.6', '10.0.0.5'] }, 500, 'bad-forwarded-for'],
    [{ 'X-Neutron-Network-ID': NET, 'X-Forwarded-For': 'fe80::1%eth0' }, 500, 'bad-forwarded-for'],
    [{ 'X-Neutron-Network-ID': NET, 'X-Forwarded-For': 'x'.repeat(5000) }, 500, 'bad-forwarded-for'],
    [{ 'X-Neutron-Network-ID': 'not-a-uuid', 'X-Forwarded-For': '10.0.0.5' }, 404, 'bad-id'],
    [{ 'X-Neutron-Network-ID': [NET, NET], 'X-Forwarded-For': '10.0.0.5' }, 404, 'bad-id'],
  ];
  for (const [headers, status, reason] of cases) assert.deepEqual(checkHeaders(h(headers)), { ok: false, status, reason }, JSON.stringify(headers));
});

test('X-Forwarded-For forms: IPv4, IPv6, IPv4-mapped → IPv4, link-local → MAC (as oslo_utils computes it)', () => {
  assert.deepEqual(parseRemoteAddress('2001:db8::5'), { ip: '2001:db8::5', mac: null });
  assert.deepEqual(parseRemoteAddress('::ffff:10.0.0.5'), { ip: '10.0.0.5', mac: null });
  assert.deepEqual(parseRemoteAddress('fe80::f816:3eff:fe12:3456'), { ip: 'fe80::f816:3eff:fe12:3456', mac: 'fa:16:3e:12:34:56' });
  assert.deepEqual(parseRemoteAddress('FE80::A8BB:CCFF:FEDD:EEFF'), { ip: 'FE80::A8BB:CCFF:FEDD:EEFF', mac: 'aa:bb:cc:dd:ee:ff' });
  assert.equal(parseRemoteAddress('10.0.0'), null);
  assert.equal(parseRemoteAddress('010.000.000.005'), null);
});

test('signature: hex HMAC-SHA256(secret, instance id) as Python\'s hmac computes it (UTF-8 secret)', () => {
  // /usr/bin/python3 -c "import hmac,hashlib; print(hmac.new('sécret'.encode(), b'6a4c…', hashlib.sha256).hexdigest())"
  assert.equal(instanceSigner('sécret')('6a4c6ad4-4e7f-4d8a-9d8e-6c4a1a7e3b21'), '5e1d6d70e50e023f3c76d837dcc33d34086a6ced910d15f104c507de5d4cfc29');
});
