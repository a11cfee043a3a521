import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTransportUrl, maskTransportUrl, maskRawTransportUrl } from '../../../shared/rpc/transport-url.js';
import { TransportUrlError } from '../../../shared/rpc/errors.js';

test('several hosts, each with its own credentials, and a vhost', () => {
  const u = parseTransportUrl('rabbit://user:p%40ss@h1:5672,other:pw2@h2:5673/neutron');
  assert.equal(u.virtualHost, 'neutron');
  assert.deepEqual(u.hosts, [
    { hostname: 'h1', port: 5672, username: 'user', password: 'p@ss' },
    { hostname: 'h2', port: 5673, username: 'other', password: 'pw2' },
  ]);
});

test('defaults: port 5672, guest/guest, vhost "/" for an empty or "/" path', () => {
  for (const s of ['rabbit://h', 'rabbit://h/', 'rabbit://h:5672/']) {
    const u = parseTransportUrl(s);
    assert.equal(u.virtualHost, '/');
    assert.deepEqual(u.hosts[0], { hostname: 'h', port: 5672, username: 'guest', password: 'guest' });
  }
  assert.equal(parseTransportUrl('rabbit://u:p@h/%2F').virtualHost, '/');
});

test('IPv6 hosts in brackets and query parameters', () => {
  const u = parseTransportUrl('rabbit://u:p@[fd00::1]:5671/?ssl=1');
  assert.equal(u.hosts[0]!.hostname, 'fd00::1');
  assert.equal(u.hosts[0]!.port, 5671);
  assert.deepEqual(u.query, { ssl: '1' });
});

test('errors name the wrong part and never contain the password', () => {
  const bad: Array<[string, TransportUrlError['part']]> = [
    ['', 'url'],
    ['http://u:secretpw@h/', 'scheme'],
    ['rabbit://', 'host'],
    ['rabbit://u:secretpw@h:notaport/', 'port'],
    ['rabbit://u:secretpw@h:70000/', 'port'],
    ['rabbit://u:secretpw@:5672/', 'host'],
    ['no scheme at all', 'url'],
  ];
  for (const [s, part] of bad) {
    assert.throws(
      () => parseTransportUrl(s),
      (e: unknown) => e instanceof TransportUrlError && e.part === part && !e.message.includes('secretpw'),
      s,
    );
  }
});

test('masking hides every password', () => {
  const u = parseTransportUrl('rabbit://a:pw1@h1:5672,b:pw2@h2:5672/v');
  const m = maskTransportUrl(u);
  assert.equal(m, 'rabbit://a:***@h1:5672,b:***@h2:5672/v');
  assert.equal(maskRawTransportUrl('rabbit://a:pw1@h1,b:pw2@h2/v'), 'rabbit://a:***@h1,b:***@h2/v');
});
