import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeWaitStatus, isDeadState, parseCmdline, parseStatExitCode, parseStatusState } from '../../../shared/process/proc.js';

test('cmdline: NUL-separated and NUL-terminated', () => {
  assert.deepEqual(parseCmdline(Buffer.from('dnsmasq\0--no-hosts\0--pid-file=/x/pid\0')), ['dnsmasq', '--no-hosts', '--pid-file=/x/pid']);
  assert.deepEqual(parseCmdline('haproxy\0-f\0/a b/c.conf\0'), ['haproxy', '-f', '/a b/c.conf'], 'spaces inside an argument stay when NULs separate');
});

test('cmdline: empty for a zombie or kernel thread', () => {
  assert.deepEqual(parseCmdline(Buffer.alloc(0)), []);
});

test('cmdline: a setproctitle-style single string is split on spaces (as Neutron)', () => {
  assert.deepEqual(parseCmdline('nginx: worker process\0'), ['nginx:', 'worker', 'process']);
  assert.deepEqual(parseCmdline('single\0'), ['single']);
});

const zombieStatus = 'Name:\tsh\nUmask:\t0022\nState:\tZ (zombie)\nTgid:\t31336\nPid:\t31336\nPPid:\t31334\n';
const sleepingStatus = 'Name:\tdnsmasq\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n';

test('status: state letter; Z and X are dead, S/R/D/T are alive', () => {
  assert.equal(parseStatusState(zombieStatus), 'Z');
  assert.equal(parseStatusState(sleepingStatus), 'S');
  assert.equal(parseStatusState('Name:\tx\n'), undefined);
  assert.equal(isDeadState('Z'), true);
  assert.equal(isDeadState('X'), true);
  for (const s of ['S', 'R', 'D', 'T', 'I', undefined]) assert.equal(isDeadState(s), false, String(s));
});

// Recorded on this kernel: `sh -c "exit 3"` left unreaped by its parent.
const zombieStat = '31336 (sh) Z 31334 31332 25329 0 -1 4227084 85 0 0 0 0 0 0 0 20 0 1 0 308734 0 0 18446744073709551615 0 0 0 0 0 0 0 6 65536 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 768\n';

test('stat: exit_code (field 52) of a zombie, comm with spaces and parentheses', () => {
  assert.equal(parseStatExitCode(zombieStat), 768);
  assert.equal(describeWaitStatus(768), 'exit 3');
  const tricky = zombieStat.replace('(sh)', '(a) b (c))');
  assert.equal(parseStatExitCode(tricky), 768);
  assert.equal(parseStatExitCode('12 (x) S 1 2'), undefined, 'old kernels: field missing');
  assert.equal(parseStatExitCode('garbage'), undefined);
});

test('wait status: signals and core dumps', () => {
  assert.equal(describeWaitStatus(9), 'signal SIGKILL');
  assert.equal(describeWaitStatus(11 | 0x80), 'signal SIGSEGV (core dumped)');
  assert.equal(describeWaitStatus(0), 'exit 0');
  assert.equal(describeWaitStatus(40), 'signal 40');
});
