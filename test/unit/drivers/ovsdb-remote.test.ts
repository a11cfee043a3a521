/** `[ovs] ovsdb_connection` parsing: active remotes accepted, passive and ssl rejected clearly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OvsdbConfigError } from '../../../shared/drivers/ovs/ovsdb-errors.js';
import { OVSDB_DEFAULT_PORT, parseOvsdbRemote } from '../../../shared/drivers/ovs/ovsdb-remote.js';

test('unix:PATH and tcp:HOST[:PORT] (IPv4, hostname, [IPv6]) parse', () => {
  assert.deepEqual(parseOvsdbRemote('unix:/run/openvswitch/db.sock'), { kind: 'unix', path: '/run/openvswitch/db.sock' });
  assert.deepEqual(parseOvsdbRemote('tcp:127.0.0.1:6640'), { kind: 'tcp', host: '127.0.0.1', port: 6640 });
  assert.deepEqual(parseOvsdbRemote('tcp:ovsdb.example:16640'), { kind: 'tcp', host: 'ovsdb.example', port: 16640 });
  assert.deepEqual(parseOvsdbRemote('tcp:[::1]:6641'), { kind: 'tcp', host: '::1', port: 6641 });
  assert.deepEqual(parseOvsdbRemote('tcp:10.0.0.1'), { kind: 'tcp', host: '10.0.0.1', port: OVSDB_DEFAULT_PORT });
  assert.deepEqual(parseOvsdbRemote('tcp:[fe80::1]'), { kind: 'tcp', host: 'fe80::1', port: OVSDB_DEFAULT_PORT });
});

test('passive remotes are rejected saying they are server-side and what to use instead', () => {
  assert.throws(() => parseOvsdbRemote('punix:/run/openvswitch/db.sock'), (e: unknown) => e instanceof OvsdbConfigError && /passive \(server-side\).*connects to it with unix:/.test(e.message) && e.kind === 'FATAL');
  assert.throws(() => parseOvsdbRemote('ptcp:6640:127.0.0.1'), /passive \(server-side\).*tcp:/);
  assert.throws(() => parseOvsdbRemote('pssl:6640'), /passive/);
  assert.throws(() => parseOvsdbRemote('ssl:127.0.0.1:6640'), /ssl: is not supported/);
});

test('malformed strings are rejected with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /expected unix:PATH or tcp:HOST:PORT/],
    ['/run/openvswitch/db.sock', /expected unix:PATH/],
    ['unix:', /needs a socket path/],
    [`unix:/${'x'.repeat(107)}`, /longer than 107 bytes/],
    ['tcp:', /needs a host/],
    ['tcp:127.0.0.1:', /bad port ""/],
    ['tcp:127.0.0.1:0', /out of range/],
    ['tcp:127.0.0.1:65536', /out of range/],
    ['tcp:127.0.0.1:66x', /bad port/],
    ['tcp:::1:6640', /IPv6 address in brackets/],
    ['tcp:[::1', /unterminated/],
    ['tcp:[::1]x', /expected :PORT/],
    ['tcp:[1.2.3.4]:1', /not an IPv6 address/],
    ['tcp:bad host:1', /bad host/],
  ];
  for (const [s, re] of cases) assert.throws(() => parseOvsdbRemote(s), (e: unknown) => e instanceof OvsdbConfigError && re.test(e.message), s);
});
