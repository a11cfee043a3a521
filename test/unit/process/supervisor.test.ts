/**
 * The supervisor's ownership rules against a small stateful fake of /proc and
 * kill(2): what it signals, what it adopts, what it leaves alone. Nothing here
 * spawns; the real spawn paths are in test/integration/process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcSnapshot } from '../../../shared/process/identity.js';
import { DetachedProcessSupervisor } from '../../../shared/process/supervisor.js';
import type { SupervisedProcessSpec } from '../../../shared/process/types.js';

/** PID → process; `kill` delivers signals the way the processes are told to react. */
class FakeKernel {
  readonly procs = new Map<number, { cmdline: string[]; state: string; ignoreTerm?: boolean }>();
  readonly sent: Array<[number, NodeJS.Signals]> = [];
  readProc = async (pid: number): Promise<ProcSnapshot | undefined> => {
    const p = this.procs.get(pid);
    return p ? { pid, state: p.state, cmdline: p.state === 'Z' ? [] : p.cmdline, exitStatus: p.state === 'Z' ? 9 : undefined } : undefined;
  };
  kill = (pid: number, sig: NodeJS.Signals): void => {
    const p = this.procs.get(pid);
    if (!p) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    this.sent.push([pid, sig]);
    if (sig === 'SIGKILL' || (sig === 'SIGTERM' && !p.ignoreTerm)) p.state = 'Z'; // orphan: nobody reaps it
  };
}

const net = '0f0e0d0c-aaaa-4bbb-8ccc-dddddddddddd';
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ntp-sup-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(): { k: FakeKernel; sup: DetachedProcessSupervisor; spec: SupervisedProcessSpec } {
  const k = new FakeKernel();
  const sup = new DetachedProcessSupervisor({ pidDir: dir, readProc: k.readProc, signal: k.kill, stopGraceMs: 60 });
  const spec: SupervisedProcessSpec = { id: `dnsmasq:${net}`, argv: ['dnsmasq', `--conf-file=/s/${net}/conf`], daemonizes: true };
  return { k, sup, spec };
}
const pidFile = (): string => join(dir, `${net}.pid.dnsmasq`);
const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

test('ensure adopts a live process of ours with the same argv (no spawn), then reports it running', async () => {
  const { k, sup, spec } = setup();
  k.procs.set(500, { cmdline: ['/usr/sbin/dnsmasq', `--conf-file=/s/${net}/conf`], state: 'S' });
  await writeFile(pidFile(), '500\n');
  assert.deepEqual(await sup.ensure(spec), { pid: 500, action: 'adopted' });
  assert.deepEqual(await sup.ensure(spec), { pid: 500, action: 'running' });
  assert.deepEqual(sup.registered(), [spec.id]);
  assert.deepEqual(k.sent, []);
});

test('signal goes only to a live process whose cmdline carries the marker', async () => {
  const { k, sup, spec } = setup();
  await writeFile(pidFile(), '501\n');
  k.procs.set(501, { cmdline: ['sshd', '-D'], state: 'S' });
  assert.equal(await sup.signal(spec.id, 'SIGHUP'), false, 'PID reused by a foreign process');
  k.procs.set(501, { cmdline: spec.argv, state: 'Z' });
  assert.equal(await sup.signal(spec.id, 'SIGHUP'), false, 'zombie');
  assert.equal(await sup.isAlive(spec.id), false);
  k.procs.set(501, { cmdline: spec.argv, state: 'S' });
  assert.equal(await sup.signal(spec.id, 'SIGHUP'), true);
  assert.equal(await sup.isAlive(spec.id), true);
  assert.deepEqual(k.sent, [[501, 'SIGHUP']]);
});

test('stop: SIGTERM, process gone (as a zombie), pid file removed', async () => {
  const { k, sup, spec } = setup();
  await writeFile(pidFile(), '502\n');
  k.procs.set(502, { cmdline: spec.argv, state: 'S' });
  await sup.ensure(spec);
  await sup.stop(spec.id);
  assert.deepEqual(k.sent, [[502, 'SIGTERM']]);
  assert.equal(await exists(pidFile()), false);
  assert.deepEqual(sup.registered(), [], 'unregistered: check() will not respawn it');
});

test('stop: SIGKILL after the grace period when SIGTERM is ignored', async () => {
  const { k, sup, spec } = setup();
  await writeFile(pidFile(), '503\n');
  k.procs.set(503, { cmdline: spec.argv, state: 'S', ignoreTerm: true });
  await sup.stop(spec.id); // unknown to this instance: default pid file and marker
  assert.deepEqual(k.sent, [[503, 'SIGTERM'], [503, 'SIGKILL']]);
});

test('stop never signals a foreign PID, and an unknown or dead process is success', async () => {
  const { k, sup, spec } = setup();
  await sup.stop(spec.id); // no pid file at all
  await writeFile(pidFile(), '504\n');
  k.procs.set(504, { cmdline: ['postgres'], state: 'S' });
  await sup.stop(spec.id);
  assert.deepEqual(k.sent, []);
  assert.equal(k.procs.get(504)?.state, 'S');
  assert.equal(await exists(pidFile()), false, 'the stale pid file is removed');
});

test('a locator finds a process stopped after a restart under a non-default pid file and marker', async () => {
  const { k, sup } = setup();
  const p = join(dir, 'custom.pid');
  await writeFile(p, '505\n');
  k.procs.set(505, { cmdline: ['haproxy', '-f', '/s/ns-metadata-proxy/X-1.conf'], state: 'S' });
  assert.equal(await sup.signal('haproxy:whatever', 'SIGHUP', { pidFile: p, marker: 'X-1' }), true);
  await sup.stop('haproxy:whatever', { pidFile: p, marker: 'X-1' });
  assert.deepEqual(k.sent, [[505, 'SIGHUP'], [505, 'SIGTERM']]);
});

test('ensure refuses a spec it could never recognise again', async () => {
  const { sup, spec } = setup();
  await assert.rejects(sup.ensure({ ...spec, marker: 'not-in-argv' }), /does not occur in argv/);
  await assert.rejects(sup.ensure({ ...spec, netns: 'bad name' }), /netns name/);
});
