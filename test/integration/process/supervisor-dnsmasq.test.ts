/**
 * The supervisor with a real dnsmasq in a throwaway namespace, started as the DHCP
 * agent will (daemonizing, `--pid-file`), and a foreground child for the other path.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { DetachedProcessSupervisor } from '../../../shared/process/supervisor.js';
import type { SupervisedProcessSpec } from '../../../shared/process/types.js';
import { waitFor } from '../../harness/wait.js';
import { inNetns, isDead, LogCapture, ProcessFixture, procState } from './fixture.js';

const fx = new ProcessFixture();
const net = randomUUID();
const logs = new LogCapture();
const logger = pino({ level: 'debug' }, logs);
let ns = '';
let sup: DetachedProcessSupervisor;
let spec: SupervisedProcessSpec;

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
const newSupervisor = (): DetachedProcessSupervisor => new DetachedProcessSupervisor({ pidDir: join(fx.dir, 'pids'), logger, stopGraceMs: 2_000 });

before(async () => {
  await fx.init();
  ns = await fx.netns('d');
  await execa('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  await execa('ip', ['-n', ns, 'addr', 'add', '10.251.0.1/24', 'dev', 'v0']);
  await execa('ip', ['-n', ns, 'link', 'set', 'v0', 'up']);
  await execa('ip', ['-n', ns, 'link', 'set', 'v1', 'up']);
  const d = join(fx.dir, 'dhcp', net);
  spec = {
    id: `dnsmasq:${net}`,
    argv: ['dnsmasq', '--no-hosts', '--no-resolv', `--pid-file=${d}/pid`, `--dhcp-leasefile=${d}/leases`, '--conf-file=/dev/null', '--interface=v0', '--bind-interfaces', '--dhcp-range=set:subnet-1,10.251.0.10,10.251.0.50,255.255.255.0,3600s'],
    netns: ns,
    pidFile: `${d}/pid`,
    daemonizes: true,
    logFile: join(fx.dir, 'dnsmasq.log'),
  };
  sup = newSupervisor();
});

after(async () => {
  await fx.cleanup([net]);
});

/** state, ppid, pgrp, session from /proc/<pid>/stat (fields 3-6). */
async function statFields(pid: number): Promise<[string, number, number, number]> {
  const st = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return [f[0] ?? '', Number(f[1]), Number(f[2]), Number(f[3])];
}

async function pidOf(s: DetachedProcessSupervisor): Promise<number> {
  const pid = await s.pidOf(spec.id);
  assert.ok(pid !== undefined, 'running');
  fx.track(pid);
  return pid;
}

test('dnsmasq starts detached inside the namespace; its own pid file names it', async () => {
  const r = await sup.ensure(spec);
  fx.track(r.pid);
  assert.equal(r.action, 'started');
  assert.equal(await inNetns(r.pid, ns), true, 'runs in the namespace');
  assert.equal(Number((await readFile(spec.pidFile as string, 'utf8')).trim()), r.pid, 'pid file written by dnsmasq');
  const [, ppid, , sid] = await statFields(r.pid);
  const [, , , mySid] = await statFields(process.pid);
  assert.notEqual(sid, mySid, 'own session, not the agent\'s');
  assert.notEqual(ppid, process.pid, 'daemonized away from the agent');
  // The DHCP port is really bound inside the namespace.
  const ss = await execa('ip', ['netns', 'exec', ns, 'ss', '-lunp']);
  assert.match(ss.stdout, /:67\b.*dnsmasq/);
});

test('a new supervisor instance (agent restart) adopts it: same PID, no restart', async () => {
  const before = await pidOf(sup);
  const sup2 = newSupervisor();
  const r = await sup2.ensure(spec);
  assert.deepEqual(r, { pid: before, action: 'adopted' });
  assert.ok(logs.lines.some((l) => l.msg === 'process adopted' && l.pid === before));
  sup = sup2;
});

test('killed by hand (left a zombie: nobody reaps it): check() respawns it with a new PID and logs why', async () => {
  const old = await pidOf(sup);
  process.kill(old, 'SIGKILL');
  await waitFor(() => isDead(old), { timeoutMs: 5_000, description: 'dnsmasq dead' });
  assert.equal(await sup.isAlive(spec.id), false);
  const zombie = (await procState(old)) === 'Z';
  const r = await sup.check();
  assert.deepEqual(r, { respawned: [spec.id], failed: [] });
  const now = await pidOf(sup);
  assert.notEqual(now, old);
  assert.equal(await inNetns(now, ns), true);
  const warn = logs.lines.find((l) => l.msg === 'process not running; respawning' && l.pid === old);
  assert.ok(warn, 'respawn logged');
  assert.equal(warn.level, 40);
  assert.equal(warn.process_id, spec.id);
  // A zombie carries its exit status; a reaped process would read 'exited, reason unknown'.
  assert.equal(warn.reason, zombie ? 'signal SIGKILL (zombie)' : 'exited, reason unknown');
  assert.deepEqual(await sup.check(), { respawned: [], failed: [] }, 'healthy: nothing to do');
});

test('a changed argv restarts it; SIGHUP reaches the new one', async () => {
  const old = await pidOf(sup);
  spec = { ...spec, argv: [...spec.argv, '--dhcp-lease-max=100'] };
  const r = await sup.ensure(spec);
  fx.track(r.pid);
  assert.equal(r.action, 'restarted');
  assert.notEqual(r.pid, old);
  assert.equal(await isDead(old), true);
  assert.match(await readFile(`/proc/${r.pid}/cmdline`, 'utf8'), /--dhcp-lease-max=100/);
  assert.deepEqual(await sup.ensure(spec), { pid: r.pid, action: 'running' });
  assert.equal(await sup.signal(spec.id, 'SIGHUP'), true);
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(await sup.pidOf(spec.id), r.pid, 'dnsmasq reloads on SIGHUP, keeps running');
});

test('stop: gone, pid file removed, unregistered; a second stop is success', async () => {
  const pid = await pidOf(sup);
  await sup.stop(spec.id);
  assert.equal(await isDead(pid), true);
  assert.equal(await exists(spec.pidFile as string), false);
  assert.equal(await sup.isAlive(spec.id), false);
  assert.deepEqual(sup.registered(), []);
  assert.deepEqual(await sup.check(), { respawned: [], failed: [] }, 'a stopped process is not respawned');
  await sup.stop(spec.id);
});

test('a pid file naming a foreign live process is ignored: that process is untouched, ours is started', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const foreign = child.pid;
  assert.ok(foreign !== undefined);
  try {
    await writeFile(spec.pidFile as string, `${foreign}\n`);
    assert.equal(await sup.signal(spec.id, 'SIGTERM'), false, 'never signalled');
    const r = await sup.ensure(spec);
    fx.track(r.pid);
    assert.equal(r.action, 'started');
    assert.notEqual(r.pid, foreign);
    assert.equal(await isDead(foreign), false, 'foreign process still alive');
    await sup.stop(spec.id);
  } finally {
    process.kill(foreign, 'SIGKILL');
  }
});

test('a foreground program (no pid file of its own): the supervisor writes the pid file and knows the exit reason', async () => {
  const marker = `ntp-fg-${net}`;
  const fg: SupervisedProcessSpec = { id: `fg:${net}`, argv: [process.execPath, '-e', 'setInterval(() => {}, 1e6)', marker], netns: ns };
  const fgSup = newSupervisor();
  const r = await fgSup.ensure(fg);
  fx.track(r.pid);
  assert.equal(r.action, 'started');
  assert.equal(await inNetns(r.pid, ns), true);
  const pidFile = join(fx.dir, 'pids', `${net}.pid.fg`);
  assert.equal((await readFile(pidFile, 'utf8')).trim(), String(r.pid));
  process.kill(r.pid, 'SIGKILL');
  await waitFor(() => isDead(r.pid), { timeoutMs: 5_000, description: 'foreground child dead' });
  // Our own child: Node reaps it, and the exit event gives the reason.
  await new Promise((res) => setTimeout(res, 50));
  const c = await fgSup.check();
  assert.deepEqual(c.respawned, [fg.id]);
  const again = await fgSup.pidOf(fg.id);
  fx.track(again);
  const warn = logs.lines.find((l) => l.msg === 'process not running; respawning' && l.pid === r.pid);
  assert.equal(warn?.reason, 'signal SIGKILL');
  await fgSup.stop(fg.id);
  assert.ok(again !== undefined);
  // Dead, though a loaded machine may take a moment to show it in /proc.
  await waitFor(() => isDead(again), { timeoutMs: 5_000, description: 'respawned child stopped' });
  assert.equal(await exists(pidFile), false);
});

test('start failures are errors with the reason (missing namespace, bad option)', async () => {
  const s = newSupervisor();
  await assert.rejects(s.ensure({ ...spec, id: `dnsmasq:${net}`, netns: `${fx.prefix}none` }), /exited 255|exited 1/);
  await assert.rejects(s.ensure({ ...spec, argv: [...spec.argv, '--no-such-option'] }), (e: Error) => /exited 1/.test(e.message) && /bad command line options/.test(e.message));
  await s.stop(spec.id);
});
