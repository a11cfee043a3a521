import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner, RunOptions, RunResult } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import type { Op } from '../../../shared/reconcile/ops.js';

/**
 * Replays iproute2's -force batch behaviour from recorded stderr: lines whose text
 * contains a trigger word fail with the given message. Not an argv-asserting mock:
 * it models what the tool prints so the attribution logic can be checked without
 * a kernel (the integration tests run the real thing).
 */
class BatchReplayRunner implements CommandRunner {
  readonly calls: Array<{ argv: readonly string[]; input?: string }> = [];
  constructor(private readonly fail: Array<{ match: string; stderr: string; abort?: boolean }>) {}
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    const lines = (opts.input ?? '').split('\n').filter((l) => l !== '');
    let stderr = '';
    let exitCode = 0;
    for (const [i, l] of lines.entries()) {
      const f = this.fail.find((x) => l.includes(x.match));
      if (!f) continue;
      if (f.abort) {
        stderr += `${f.stderr}\n`;
        exitCode = 2;
        break;
      }
      stderr += `${f.stderr}\nCommand failed -:${i + 1}\n`;
      exitCode = 1;
    }
    if (exitCode !== 0) throw new CommandError({ argv, exitCode, stdout: '', stderr, timedOut: false });
    return { stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
  }
}

const ns = 'nsx';

test('one batch per namespace; failed lines are attributed to their op and key', async () => {
  const runner = new BatchReplayRunner([{ match: 'dev bad0', stderr: 'Cannot find device "bad0"' }]);
  const ops: Op[] = [
    { kind: 'link.add', key: 'network:a', netns: ns, name: 'br0', link: { type: 'bridge' } },
    { kind: 'addr.add', key: 'port:bad', netns: ns, dev: 'bad0', cidr: '10.0.0.1/24' },
    { kind: 'addr.add', key: 'port:good', netns: ns, dev: 'br0', cidr: '10.0.0.2/24' },
  ];
  const r = await new Executor({ runner }).apply(ops);
  assert.equal(runner.calls.length, 1);
  assert.deepEqual(runner.calls[0]?.argv, ['ip', '-n', ns, '-force', '-batch', '-']);
  assert.equal(r.applied, 2);
  assert.equal(r.failed.length, 1);
  const f = r.failed[0];
  assert.equal(f?.key, 'port:bad');
  assert.equal(f?.error.kind, 'NOT_FOUND');
  assert.ok(f?.error instanceof CommandError);
  assert.deepEqual((f?.error as CommandError).argv, ['ip', '-n', ns, 'addr', 'add', '10.0.0.1/24', 'dev', 'bad0']);
});

test('EXISTS on add and NOT_FOUND on delete count as applied', async () => {
  const runner = new BatchReplayRunner([
    { match: 'link add', stderr: 'RTNETLINK answers: File exists' },
    { match: 'link del', stderr: 'Cannot find device "gone0"' },
    { match: 'route del', stderr: 'RTNETLINK answers: No such process' },
    { match: 'link set', stderr: 'Cannot find device "gone1"' },
  ]);
  const ops: Op[] = [
    { kind: 'link.add', key: 'a', netns: ns, name: 'br0', link: { type: 'bridge' } },
    { kind: 'link.del', key: 'b', netns: ns, name: 'gone0' },
    { kind: 'route.del', key: 'c', netns: ns, dst: '10.9.0.0/24' },
    { kind: 'link.set', key: 'd', netns: ns, name: 'gone1', up: true },
  ];
  const r = await new Executor({ runner }).apply(ops);
  assert.equal(r.applied, 3);
  assert.deepEqual(r.failed.map((f) => f.key), ['d']);
});

test('a batch killed by a failing neigh replace re-runs the neigh tail line by line', async () => {
  const runner = new BatchReplayRunner([{ match: '10.0.0.7', stderr: 'RTNETLINK answers: Invalid argument', abort: true }]);
  const ops: Op[] = [
    { kind: 'neigh.replace', key: 'n6', netns: ns, ip: '10.0.0.6', lladdr: 'fa:16:3e:00:00:06', dev: 'v0' },
    { kind: 'neigh.replace', key: 'n7', netns: ns, ip: '10.0.0.7', lladdr: 'fa:16:3e:00:00:07', dev: 'v0' },
    { kind: 'neigh.replace', key: 'n8', netns: ns, ip: '10.0.0.8', lladdr: 'fa:16:3e:00:00:08', dev: 'v0' },
    { kind: 'addr.add', key: 'a', netns: ns, dev: 'v0', cidr: '10.0.0.1/24' },
  ];
  const r = await new Executor({ runner }).apply(ops);
  assert.deepEqual(r.failed.map((f) => f.key), ['n7']);
  assert.equal(r.applied, 3);
  // 1 batch + 3 single-line re-runs of the neigh tail (addr line ran before the abort).
  assert.equal(runner.calls.length, 4);
  assert.equal(r.commands, 4);
});

test('a namespace that cannot be opened fails every line of its batch; deletes succeed', async () => {
  const runner: CommandRunner = {
    run: async (argv) => {
      throw new CommandError({ argv, exitCode: 255, stdout: '', stderr: 'Cannot open network namespace "nsx": No such file or directory\n', timedOut: false });
    },
  };
  const r = await new Executor({ runner }).apply([
    { kind: 'addr.add', key: 'a', netns: ns, dev: 'v0', cidr: '10.0.0.1/24' },
    { kind: 'link.del', key: 'b', netns: ns, name: 'v1' },
  ]);
  assert.deepEqual(r.failed.map((f) => [f.key, f.error.kind]), [['a', 'NOT_FOUND']]);
});

test('merged sysctl/iptables/ovs commands are re-run per op to find the failing key', async () => {
  const calls: string[] = [];
  const runner: CommandRunner = {
    run: async (argv, opts) => {
      calls.push(`${opts?.netns ?? 'root'} ${argv.join(' ')}`);
      if (argv.some((a) => a.startsWith('net.ipv4.bogus'))) {
        throw new CommandError({ argv, exitCode: 255, stdout: '', stderr: 'sysctl: cannot stat /proc/sys/net/ipv4/bogus: No such file or directory', timedOut: false });
      }
      return { stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    },
  };
  const r = await new Executor({ runner }).apply([
    { kind: 'sysctl.set', key: 'ok', netns: ns, name: 'net.ipv4.ip_forward', value: '1' },
    { kind: 'sysctl.set', key: 'bad', netns: ns, name: 'net.ipv4.bogus', value: '1' },
  ]);
  assert.deepEqual(calls, [
    `${ns} sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.bogus=1`,
    `${ns} sysctl -q -w net.ipv4.ip_forward=1`,
    `${ns} sysctl -q -w net.ipv4.bogus=1`,
  ]);
  assert.deepEqual(r.failed.map((f) => f.key), ['bad']);
});

test('ovs-vsctl exit 0 with "Error detected while setting up" is a failure', async () => {
  const runner: CommandRunner = {
    run: async () => ({ stdout: '', stderr: "ovs-vsctl: Error detected while setting up 'br-x'.\n", exitCode: 0, durationMs: 1 }),
  };
  const r = await new Executor({ runner }).apply([{ kind: 'ovs.vsctl', key: 'br', commands: [{ cmd: 'add-br', bridge: 'br-x', mayExist: true }] }]);
  assert.equal(r.failed[0]?.error.kind, 'FATAL');
});

test('ovs rc-0 setup error in a merged transaction lands on the op naming the object, without a re-run', async () => {
  // Models ovs-vsctl 3.1: the failing transaction commits; a re-run with --may-exist
  // finds the bridge and prints nothing, so an op-by-op retry would report success.
  const seen = new Set<string>();
  const calls: string[] = [];
  const runner: CommandRunner = {
    run: async (argv) => {
      calls.push(argv.join(' '));
      const fresh = argv.includes('br-sys') && !seen.has('br-sys');
      seen.add('br-sys');
      return { stdout: '', stderr: fresh ? "ovs-vsctl: Error detected while setting up 'br-sys'.  See ovs-vswitchd log for details.\n" : '', exitCode: 0, durationMs: 1 };
    },
  };
  const r = await new Executor({ runner }).apply([
    { kind: 'ovs.vsctl', key: 'ok', commands: [{ cmd: 'add-br', bridge: 'br-nd', mayExist: true, datapathType: 'netdev' }] },
    { kind: 'ovs.vsctl', key: 'sys', commands: [{ cmd: 'add-br', bridge: 'br-sys', mayExist: true }] },
  ]);
  assert.deepEqual(r.failed.map((f) => [f.key, f.error.kind]), [['sys', 'FATAL']]);
  assert.equal(calls.length, 1);
});

test('ovs rc-0 setup error naming no op fails the whole group', async () => {
  const runner: CommandRunner = {
    run: async () => ({ stdout: '', stderr: "ovs-vsctl: Error detected while setting up 'other'.\n", exitCode: 0, durationMs: 1 }),
  };
  const r = await new Executor({ runner }).apply([
    { kind: 'ovs.vsctl', key: 'a', commands: [{ cmd: 'add-br', bridge: 'br-a', mayExist: true }] },
    { kind: 'ovs.vsctl', key: 'b', commands: [{ cmd: 'del-br', bridge: 'br-b', ifExists: true }] },
  ]);
  assert.deepEqual(r.failed.map((f) => f.key), ['a', 'b']);
});

test('process ops go through the supervisor port; signals to a gone pid fail', async () => {
  const started: string[] = [];
  const ex = new Executor({
    runner: { run: async () => ({ stdout: '', stderr: '', exitCode: 0, durationMs: 0 }) },
    supervisor: { start: async (s) => void started.push(s.id), stop: async () => { throw Object.assign(new Error('gone'), { code: 'ESRCH' }); } },
    signal: () => { throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' }); },
  });
  const r = await ex.apply([
    { kind: 'process.start', key: 'a', spec: { id: 'dnsmasq:1', argv: ['dnsmasq'] } },
    { kind: 'process.stop', key: 'b', id: 'dnsmasq:2' },
    { kind: 'process.signal', key: 'c', pid: 999999, signal: 'SIGHUP' },
  ]);
  assert.deepEqual(started, ['dnsmasq:1']);
  assert.deepEqual(r.failed.map((f) => [f.key, f.error.kind]), [['c', 'NOT_FOUND']]);
});

test('invalid names fail FATAL without running anything', async () => {
  const runner = new BatchReplayRunner([]);
  const r = await new Executor({ runner }).apply([{ kind: 'link.del', key: 'x', name: 'a b' }]);
  assert.equal(runner.calls.length, 0);
  assert.equal(r.failed[0]?.error.kind, 'FATAL');
});
