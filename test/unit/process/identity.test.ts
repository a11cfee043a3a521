import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRecognisable, cmdlineHasMarker, decideEnsure, markerOf, observe, sameArgv, type ProcSnapshot } from '../../../shared/process/identity.js';
import type { SupervisedProcessSpec } from '../../../shared/process/types.js';

const net = '5a6b7c8d-1111-4222-8333-444455556666';
const spec: SupervisedProcessSpec = {
  id: `dnsmasq:${net}`,
  argv: ['dnsmasq', '--no-hosts', `--pid-file=/var/lib/neutron/dhcp/${net}/pid`, `--conf-file=/var/lib/neutron/dhcp/${net}/conf`],
  netns: `qdhcp-${net}`,
  daemonizes: true,
};
const snap = (pid: number, cmdline: string[], state = 'S', exitStatus?: number): ProcSnapshot => ({ pid, state, cmdline, exitStatus });

test('marker: explicit, else the id after its first colon', () => {
  assert.equal(markerOf(spec), net);
  assert.equal(markerOf({ id: 'haproxy:abc:def' }), 'abc:def');
  assert.equal(markerOf({ id: 'plain' }), 'plain');
  assert.equal(markerOf({ id: 'x:y', marker: '/conf/path' }), '/conf/path');
});

test('a spec whose marker is missing from argv or too short is refused (it would restart forever or match anything)', () => {
  assert.doesNotThrow(() => assertRecognisable(spec));
  assert.throws(() => assertRecognisable({ ...spec, marker: 'ffffffff-not-there' }), /does not occur in argv/);
  assert.throws(() => assertRecognisable({ ...spec, id: 'dnsmasq:', marker: undefined }), /too short/);
  assert.throws(() => assertRecognisable({ ...spec, argv: [] }), /empty argv|does not occur/);
});

test('marker is matched in the space-joined cmdline (Neutron: uuid in cmdline)', () => {
  assert.equal(cmdlineHasMarker(spec.argv, net), true);
  assert.equal(cmdlineHasMarker(['sleep', '100'], net), false);
  assert.equal(cmdlineHasMarker([], net), false);
  assert.equal(cmdlineHasMarker(['x'], ''), false, 'empty marker never matches');
});

test('argv comparison: argv[0] by basename, extra interpreter tolerated, anything else differs', () => {
  assert.equal(sameArgv(['/usr/sbin/dnsmasq', ...spec.argv.slice(1)], spec.argv), true);
  assert.equal(sameArgv(['/usr/bin/python3', '/usr/bin/helper', 'a'], ['helper', 'a']), true);
  assert.equal(sameArgv([...spec.argv, '--extra'], spec.argv), false);
  assert.equal(sameArgv(spec.argv.slice(0, -1), spec.argv), false);
  assert.equal(sameArgv(['ip', 'netns', 'exec', 'ns', ...spec.argv], spec.argv), false, 'launcher before exec is not the program');
});

test('adoption decisions', () => {
  // Live, ours, same argv: adopt (no outage across an agent restart).
  assert.deepEqual(decideEnsure(observe(100, snap(100, spec.argv), spec)), { action: 'keep', pid: 100 });
  // Ours but started with another argv: restart that PID.
  const old = spec.argv.map((a) => a.replace('--no-hosts', '--no-resolv'));
  assert.deepEqual(decideEnsure(observe(100, snap(100, old), spec)), { action: 'restart', pid: 100 });
  // No pid file, dead PID, zombie, foreign PID: start (the foreign one is never touched).
  assert.deepEqual(observe(undefined, undefined, spec), { kind: 'absent' });
  assert.deepEqual(observe(100, undefined, spec), { kind: 'dead', pid: 100, exitStatus: undefined });
  assert.deepEqual(observe(100, snap(100, [], 'Z', 9), spec), { kind: 'dead', pid: 100, exitStatus: 9 });
  assert.deepEqual(observe(100, snap(100, spec.argv, 'Z'), spec), { kind: 'dead', pid: 100, exitStatus: undefined }, 'a zombie is dead even with a cmdline');
  assert.deepEqual(observe(100, snap(100, ['sshd', '-D']), spec), { kind: 'foreign', pid: 100 });
  for (const o of [observe(undefined, undefined, spec), observe(100, undefined, spec), observe(100, snap(100, [], 'Z'), spec), observe(100, snap(100, ['bash']), spec)])
    assert.deepEqual(decideEnsure(o), { action: 'start' }, o.kind);
});
