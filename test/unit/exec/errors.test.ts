import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStderr, CommandError } from '../../../shared/exec/errors.js';

test('stderr texts seen on this kernel map to error classes', () => {
  const cases: Array<[string, string]> = [
    ['Cannot find device "nosuch"', 'NOT_FOUND'],
    ['Cannot remove namespace file "/run/netns/x": No such file or directory', 'NOT_FOUND'],
    ['RTNETLINK answers: No such process', 'NOT_FOUND'],
    ['Error: ipv4: Address not found.', 'NOT_FOUND'],
    ['Cannot open network namespace "x": No such file or directory', 'NOT_FOUND'],
    ['ovs-vsctl: no port named tap1', 'NOT_FOUND'],
    ['RTNETLINK answers: File exists', 'EXISTS'],
    ['Cannot create namespace file "/run/netns/x": File exists', 'EXISTS'],
    ['Error: ipv4: Address already assigned.', 'EXISTS'],
    ['RTNETLINK answers: Device or resource busy', 'TRANSIENT'],
    ['Another app is currently holding the xtables lock.', 'TRANSIENT'],
    ['Error: Unknown device type.', 'FATAL'],
    ['exec of "nft" failed: No such file or directory', 'FATAL'],
    ['iptables-restore: line 12 failed', 'FATAL'],
  ];
  for (const [stderr, kind] of cases) assert.equal(classifyStderr(stderr), kind, stderr);
});

test('CommandError carries argv, exit code, streams; timeouts are TRANSIENT', () => {
  const e = new CommandError({ argv: ['ip', 'link'], exitCode: 2, stdout: 'o', stderr: 'RTNETLINK answers: File exists\n', timedOut: false });
  assert.equal(e.kind, 'EXISTS');
  assert.deepEqual(e.argv, ['ip', 'link']);
  assert.match(e.message, /ip link: exit 2: RTNETLINK answers: File exists/);
  const t = new CommandError({ argv: ['sleep'], exitCode: undefined, stdout: '', stderr: '', timedOut: true });
  assert.equal(t.kind, 'TRANSIENT');
});
