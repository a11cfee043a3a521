/**
 * LinkWatcher against the real kernel. The netlink socket belongs to the process's
 * network namespace, so each test runs the watcher in a child process
 * (`ip netns exec NS node link-watcher-child.js`) inside a throwaway namespace
 * `ntw<4 hex><letter>` and reads its change events as JSON lines. Devices are only
 * created inside those namespaces. Cleanup (kill the child by PID, `ip netns del`)
 * runs in after() even when a test failed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { LinkInfo } from '../../../shared/drivers/link-watcher.js';

const RUN = `ntw${randomBytes(2).toString('hex')}`;
const CHILD_SCRIPT = fileURLToPath(new URL('./link-watcher-child.js', import.meta.url));
const namespaces = new Set<string>();
const children = new Set<ChildProcess>();

interface ChangeLine { type: 'change'; added: LinkInfo[]; removed: string[]; changed: LinkInfo[]; full: boolean }
type Line = ChangeLine | { type: 'ready' } | { type: 'stopped' };

after(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch { /* gone */ }
    }
  }
  for (const ns of namespaces) {
    const pids = await execa('ip', ['netns', 'pids', ns], { reject: false });
    for (const p of pids.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', p], { reject: false });
    await execa('ip', ['netns', 'del', ns], { reject: false });
  }
});

async function addNetns(suffix: string): Promise<string> {
  const ns = `${RUN}${suffix}`;
  assert.ok(ns.length <= 15, ns);
  namespaces.add(ns);
  await execa('ip', ['netns', 'add', ns]);
  return ns;
}

async function ip(ns: string, ...args: string[]): Promise<void> {
  await execa('ip', ['-n', ns, ...args]);
}

async function ipBatch(ns: string, lines: string[]): Promise<void> {
  await execa('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** The watcher child: its output lines, and waits on them. */
class WatcherChild {
  readonly lines: Line[] = [];
  stderr = '';
  private readonly proc: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private wake: (() => void) | undefined;

  constructor(ns: string, opts: { prefix: string | string[] }) {
    this.proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--enable-source-maps', CHILD_SCRIPT], {
      env: { ...process.env, LINK_WATCHER_CHILD: JSON.stringify(opts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(this.proc);
    let buf = '';
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (l.trim() !== '') this.lines.push(JSON.parse(l) as Line);
      }
      this.wake?.();
    });
    this.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      resolve({ code, signal });
      this.wake?.();
    }));
  }

  get changes(): ChangeLine[] {
    return this.lines.filter((l): l is ChangeLine => l.type === 'change');
  }

  /** Waits until `pred` holds over the lines so far (generous timeout: no timing assertion). */
  async waitFor(what: string, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) assert.fail(`child exited while waiting for ${what}; stderr: ${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  async ready(): Promise<void> {
    await this.waitFor('ready', () => this.lines.some((l) => l.type === 'ready'));
  }

  /** Live view of the prefixed devices, folded from the events. */
  state(): Map<string, LinkInfo> {
    const m = new Map<string, LinkInfo>();
    for (const c of this.changes) {
      for (const n of c.removed) m.delete(n);
      for (const l of [...c.added, ...c.changed]) m.set(l.name, l);
    }
    return m;
  }

  allNames(): Set<string> {
    const s = new Set<string>();
    for (const c of this.changes) {
      for (const n of c.removed) s.add(n);
      for (const l of [...c.added, ...c.changed]) s.add(l.name);
    }
    return s;
  }

  /** Sends SIGUSR2 (→ stop()) and expects the process to exit 0 on its own. */
  async stopAndExpectExit(): Promise<void> {
    assert.ok(this.proc.pid !== undefined);
    process.kill(this.proc.pid, 'SIGUSR2');
    const r = await Promise.race([
      this.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000).unref()),
    ]);
    assert.deepEqual(r, { code: 0, signal: null }, `child did not exit by itself after stop(); stderr: ${this.stderr}`);
    assert.ok(this.lines.some((l) => l.type === 'stopped'));
  }
}

test('a tap veth is added, set up, resized, enslaved and released (changed, never removed), deleted; other names ignored; stop() lets the process exit', async () => {
  const ns = await addNetns('a');
  await ip(ns, 'link', 'add', 'tapexisting0', 'type', 'veth', 'peer', 'name', 'pexisting0');
  const w = new WatcherChild(ns, { prefix: 'tap' });
  await w.ready();
  const first = w.changes[0];
  assert.ok(first?.full);
  assert.deepEqual(first.added.map((l) => l.name), ['tapexisting0']);

  await ip(ns, 'link', 'add', 'tapa0123456789', 'type', 'veth', 'peer', 'name', 'pa0123456789');
  await w.waitFor('tap added', () => w.state().has('tapa0123456789'));
  const added = w.state().get('tapa0123456789');
  assert.ok(added);
  assert.equal(added.up, false);
  assert.equal(added.mtu, 1500);
  assert.match(added.mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.ok(added.index > 0);
  assert.equal(added.master, undefined);

  await ip(ns, 'link', 'set', 'tapa0123456789', 'up');
  await w.waitFor('up', () => w.state().get('tapa0123456789')?.up === true);
  await ip(ns, 'link', 'set', 'tapa0123456789', 'down');
  await w.waitFor('down', () => w.state().get('tapa0123456789')?.up === false);
  await ip(ns, 'link', 'set', 'tapa0123456789', 'up', 'mtu', '1400');
  await w.waitFor('mtu 1400', () => w.state().get('tapa0123456789')?.mtu === 1400);

  // Bridge port events are AF_BRIDGE NEWLINK/DELLINK on the same group: leaving the
  // bridge must be a change, not a removal.
  await ip(ns, 'link', 'add', 'brqa', 'type', 'bridge');
  await ip(ns, 'link', 'set', 'tapa0123456789', 'master', 'brqa');
  await w.waitFor('master brqa', () => w.state().get('tapa0123456789')?.master === 'brqa');
  const removedBefore = w.changes.flatMap((c) => c.removed);
  await ip(ns, 'link', 'set', 'tapa0123456789', 'nomaster');
  await w.waitFor('nomaster', () => w.state().get('tapa0123456789')?.master === undefined);
  assert.deepEqual(w.changes.flatMap((c) => c.removed), removedBefore, 'nomaster reported as a removal');
  for (const c of w.changes.filter((x) => !x.full)) {
    for (const l of c.changed) assert.equal(l.index, added.index, 'the same device throughout');
  }

  await ip(ns, 'link', 'add', 'xtapnot0', 'type', 'veth', 'peer', 'name', 'ytapnot0');
  // Renamed into the prefix: added; renamed out of it: removed.
  await ip(ns, 'link', 'set', 'xtapnot0', 'name', 'taprenamed0');
  await w.waitFor('renamed in', () => w.state().has('taprenamed0'));
  await ip(ns, 'link', 'set', 'taprenamed0', 'name', 'xtapnot0');
  await w.waitFor('renamed out', () => !w.state().has('taprenamed0'));

  await ip(ns, 'link', 'del', 'tapa0123456789');
  await w.waitFor('removed', () => w.changes.some((c) => c.removed.includes('tapa0123456789')));
  assert.deepEqual([...w.state().keys()], ['tapexisting0']);
  for (const n of w.allNames()) assert.ok(n.startsWith('tap'), `${n} reported without the prefix`);

  await w.stopAndExpectExit();
});

test('300 tap veths created by one ip -batch are all reported, in a few coalesced events; all removed again', async (t) => {
  const ns = await addNetns('b');
  const w = new WatcherChild(ns, { prefix: 'tap' });
  await w.ready();
  const names = Array.from({ length: 300 }, (_, i) => `tapb${String(i).padStart(4, '0')}`);
  // group 7 so one `link del group 7` removes them all (per-link deletes take ~19 ms each).
  await ipBatch(ns, names.map((n, i) => `link add ${n} group 7 up type veth peer name pb${String(i).padStart(4, '0')}`));
  await w.waitFor('300 added', () => names.every((n) => w.state().has(n)));
  const burst = w.changes.slice(1);
  t.diagnostic(`300 devices arrived in ${burst.length} change events`);
  assert.ok(burst.length < 50, `expected coalesced events, got ${burst.length}`);
  assert.equal(new Set(burst.flatMap((c) => c.added.map((l) => l.name))).size, 300);
  for (const n of w.allNames()) assert.ok(n.startsWith('tap'), `${n} reported without the prefix`);

  await ip(ns, 'link', 'del', 'group', '7');
  await w.waitFor('300 removed', () => w.state().size === 0);
  assert.equal(new Set(w.changes.flatMap((c) => c.removed)).size, 300);

  await w.stopAndExpectExit();
});
