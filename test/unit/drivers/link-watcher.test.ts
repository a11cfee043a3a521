/**
 * LinkWatcher logic with a fake notification source (a small stateful "kernel"
 * that both emits notifications and answers scans), a fake clock and a
 * capturing logger. No sockets, no processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { FakeClock, settle } from '../../../shared/reconcile/clock.js';
import {
  LinkWatcher,
  type LinkChangeEvent,
  type LinkEventSink,
  type LinkEventSource,
  type LinkInfo,
  type LinkScanner,
} from '../../../shared/drivers/link-watcher.js';

/** A fake kernel: links by ifindex; notifies the open sink on every change unless muted. */
class FakeKernel implements LinkEventSource, LinkScanner {
  links = new Map<number, LinkInfo & { masterIndex?: number }>();
  sink: LinkEventSink | undefined;
  closed = false;
  muted = false;
  scans = 0;
  failScans = 0;
  /** When set, scan() waits for this before answering (with the state at answer time or at call time). */
  gate: Promise<void> | undefined;
  private nextIndex = 10;

  open(sink: LinkEventSink): void {
    this.sink = sink;
  }

  close(): void {
    this.closed = true;
    this.sink = undefined;
  }

  async scan(): Promise<LinkInfo[]> {
    this.scans++;
    if (this.failScans > 0) {
      this.failScans--;
      throw new Error('ip failed');
    }
    // The dump reflects the state when it was taken (call time), like `ip` does.
    const dump = [...this.links.values()].map((l) => {
      const { masterIndex, ...rest } = l;
      const out: LinkInfo = { ...rest };
      if (masterIndex !== undefined) out.master = this.links.get(masterIndex)?.name ?? masterIndex;
      return out;
    });
    if (this.gate) await this.gate;
    return dump;
  }

  add(name: string, extra: Partial<LinkInfo> = {}): number {
    const index = this.nextIndex++;
    this.links.set(index, { name, index, mac: `fa:16:3e:00:00:${index.toString(16).padStart(2, '0')}`, up: false, mtu: 1500, ...extra });
    this.notifyNew(index);
    return index;
  }

  set(name: string, change: Partial<LinkInfo & { masterIndex: number | undefined }>): void {
    const l = this.byName(name);
    const next = { ...l, ...change };
    if ('masterIndex' in change && change.masterIndex === undefined) delete next.masterIndex;
    this.links.set(l.index, next);
    this.notifyNew(l.index);
  }

  del(name: string): void {
    const l = this.byName(name);
    this.links.delete(l.index);
    if (!this.muted) this.sink?.link({ kind: 'del', name: l.name, index: l.index });
  }

  byName(name: string): LinkInfo & { masterIndex?: number } {
    const l = [...this.links.values()].find((x) => x.name === name);
    if (!l) throw new Error(`no link ${name}`);
    return l;
  }

  private notifyNew(index: number): void {
    if (this.muted) return;
    const l = this.links.get(index);
    if (!l) return;
    const rec = { kind: 'new' as const, name: l.name, index: l.index, mac: l.mac, up: l.up, mtu: l.mtu, ...(l.masterIndex !== undefined ? { masterIndex: l.masterIndex } : {}), ...(l.operstate !== undefined ? { operstate: l.operstate } : {}) };
    this.sink?.link(rec);
  }
}

function capturingLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines };
}

function setup(opts: { prefix?: string | string[]; rescanIntervalMs?: number } = {}) {
  const kernel = new FakeKernel();
  const clock = new FakeClock(0);
  const { logger, lines } = capturingLogger();
  const events: Array<LinkChangeEvent & { at: number }> = [];
  const w = new LinkWatcher({
    prefix: opts.prefix ?? 'tap',
    logger,
    rescanIntervalMs: opts.rescanIntervalMs ?? 30_000,
    source: kernel,
    scanner: kernel,
    clock,
    debounceMs: 15,
    maxDelayMs: 100,
  });
  w.on('change', (ev) => events.push({ ...ev, at: clock.now() }));
  return { kernel, clock, w, events, logs: lines };
}

const names = (ls: LinkInfo[]): string[] => ls.map((l) => l.name);
const warns = (logs: Array<{ level: number; msg: string }>): string[] => logs.filter((l) => l.level === 40).map((l) => l.msg);

test('start subscribes before scanning and emits the existing prefixed links as one full event', async () => {
  const { kernel, w, events } = setup();
  kernel.add('tap1');
  kernel.add('eth0');
  kernel.add('tap2', { up: true });
  await w.start();
  assert.ok(kernel.sink, 'subscribed');
  assert.equal(events.length, 1);
  assert.equal(events[0]?.full, true);
  assert.deepEqual(names(events[0]?.added ?? []), ['tap1', 'tap2']);
  assert.deepEqual([...w.snapshot().keys()].sort(), ['tap1', 'tap2']);
});

test('a burst of 50 notifications becomes one event after the debounce, none before', async () => {
  const { kernel, clock, w, events } = setup();
  await w.start();
  for (let i = 0; i < 50; i++) kernel.add(`tap${i}`);
  await clock.advance(14);
  assert.equal(events.length, 1, 'still debouncing');
  await clock.advance(1);
  assert.equal(events.length, 2);
  assert.equal(events[1]?.full, false);
  assert.equal(events[1]?.added.length, 50);
  assert.equal(w.snapshot().size, 50);
});

test('a steady trickle is still emitted at least every maxDelayMs', async () => {
  const { kernel, clock, w, events } = setup();
  await w.start();
  for (let i = 0; i < 100; i++) {
    kernel.add(`tap${i}`);
    await clock.advance(5);
  }
  await clock.advance(15);
  const incremental = events.filter((e) => !e.full);
  assert.ok(incremental.length >= 5 && incremental.length <= 6, `got ${incremental.length} events for 500 ms`);
  let prev = 0;
  for (const e of incremental) {
    assert.ok(e.at - prev <= 100 + 15, `gap ${e.at - prev}`);
    prev = e.at;
  }
  assert.equal(incremental.reduce((n, e) => n + e.added.length, 0), 100);
});

test('changes: up, mtu, mac, master (by name), nomaster; operstate alone is silent but reaches the snapshot', async () => {
  const { kernel, clock, w, events } = setup();
  const br = kernel.add('brq1');
  kernel.add('tap1');
  await w.start();
  const step = async (fn: () => void): Promise<LinkChangeEvent | undefined> => {
    const n = events.length;
    fn();
    await clock.advance(20);
    return events.length > n ? events[events.length - 1] : undefined;
  };
  assert.equal((await step(() => kernel.set('tap1', { up: true })))?.changed[0]?.up, true);
  assert.equal((await step(() => kernel.set('tap1', { mtu: 1450 })))?.changed[0]?.mtu, 1450);
  assert.equal((await step(() => kernel.set('tap1', { mac: 'fa:16:3e:aa:bb:cc' })))?.changed[0]?.mac, 'fa:16:3e:aa:bb:cc');
  assert.equal((await step(() => kernel.set('tap1', { masterIndex: br })))?.changed[0]?.master, 'brq1');
  const released = await step(() => kernel.set('tap1', { masterIndex: undefined }));
  assert.equal(released?.changed.length, 1);
  assert.equal(released?.changed[0]?.master, undefined);
  assert.deepEqual(released?.removed, []);
  assert.equal(await step(() => kernel.set('tap1', { operstate: 'UP' })), undefined);
  assert.equal(w.snapshot().get('tap1')?.operstate, 'UP');
  assert.equal(await step(() => kernel.set('brq1', { up: true })), undefined, 'non-prefixed links are not reported');
});

test('level-triggered: create+delete inside one window is nothing; delete+recreate is a change with the new index', async () => {
  const { kernel, clock, w, events } = setup();
  kernel.add('tapkeep');
  await w.start();
  kernel.add('tapflash');
  kernel.del('tapflash');
  await clock.advance(20);
  assert.equal(events.length, 1);

  const oldIndex = kernel.byName('tapkeep').index;
  kernel.del('tapkeep');
  const newIndex = kernel.add('tapkeep');
  await clock.advance(20);
  assert.equal(events.length, 2);
  assert.deepEqual(events[1]?.removed, []);
  assert.deepEqual(events[1]?.changed.map((l) => l.index), [newIndex]);
  assert.notEqual(oldIndex, newIndex);
});

test('renames: out of the prefix is a removal, into it an addition', async () => {
  const { kernel, clock, w, events } = setup();
  kernel.add('tap1');
  kernel.add('other');
  await w.start();
  kernel.set('tap1', { name: 'renamed' });
  kernel.set('other', { name: 'tap9' });
  await clock.advance(20);
  assert.deepEqual(events[1]?.removed, ['tap1']);
  assert.deepEqual(names(events[1]?.added ?? []), ['tap9']);
  assert.deepEqual([...w.snapshot().keys()], ['tap9']);
});

test('overflow: warns once, rescans, and the full event carries exactly what was missed', async () => {
  const { kernel, clock, w, events, logs } = setup();
  kernel.add('tapstay');
  kernel.add('tapgone');
  kernel.add('tapmtu');
  await w.start();
  kernel.muted = true; // these notifications are "lost"
  kernel.add('tapnew');
  kernel.del('tapgone');
  kernel.set('tapmtu', { mtu: 9000 });
  kernel.muted = false;
  kernel.sink?.overflow('ENOBUFS', Object.assign(new Error('no buffer space'), { code: 'ENOBUFS' }));
  kernel.sink?.overflow('ENOBUFS');
  await clock.advance(0);
  assert.deepEqual(warns(logs), ['link notifications lost, full rescan']);
  const full = events.filter((e) => e.full);
  // start, the rescan, and one more queued by the overflow that came while it ran.
  assert.equal(full.length, 3);
  assert.deepEqual(full[2], { added: [], removed: [], changed: [], full: true, at: 0 });
  const last = full[1];
  assert.deepEqual(names(last?.added ?? []), ['tapnew']);
  assert.deepEqual(last?.removed, ['tapgone']);
  assert.deepEqual(last?.changed.map((l) => [l.name, l.mtu]), [['tapmtu', 9000]]);
  assert.deepEqual([...w.snapshot().keys()].sort(), ['tapmtu', 'tapnew', 'tapstay']);
});

test('an overflow during a scan queues exactly one more scan; a parse error counts as overflow', async () => {
  const { kernel, clock, w } = setup();
  await w.start();
  let open: () => void = () => {};
  kernel.gate = new Promise<void>((r) => {
    open = r;
  });
  kernel.sink?.overflow('parse-error', new Error('bad attr'));
  kernel.sink?.overflow('ENOBUFS');
  kernel.sink?.overflow('truncated');
  await settle();
  assert.equal(kernel.scans, 2);
  kernel.gate = undefined;
  open();
  await clock.advance(0);
  assert.equal(kernel.scans, 3);
});

test('notifications that arrive during a scan are replayed over it: a link deleted meanwhile is not resurrected', async () => {
  const { kernel, clock, w, events } = setup();
  kernel.add('tapdoomed');
  await w.start();
  let open: () => void = () => {};
  kernel.gate = new Promise<void>((r) => {
    open = r;
  });
  w.requestRescan();
  await settle();
  // The dump (taken at call time) still lists tapdoomed; then it is deleted and another one added.
  kernel.del('tapdoomed');
  kernel.add('tapborn');
  kernel.gate = undefined;
  open();
  await clock.advance(50);
  assert.deepEqual([...w.snapshot().keys()], ['tapborn']);
  const removed = events.flatMap((e) => e.removed);
  assert.deepEqual(removed, ['tapdoomed']);
});

test('the periodic scan is the safety net: drift without notifications is found, with full: true', async () => {
  const { kernel, clock, w, events } = setup({ rescanIntervalMs: 1000 });
  await w.start();
  kernel.muted = true;
  kernel.add('tapsilent');
  await clock.advance(999);
  assert.equal(w.snapshot().size, 0);
  await clock.advance(1);
  assert.deepEqual(names(events[events.length - 1]?.added ?? []), ['tapsilent']);
  assert.equal(events[events.length - 1]?.full, true);
  await clock.advance(1000);
  assert.equal(events.length, 3, 'a periodic scan with nothing new still emits an empty full event');
  assert.deepEqual(events[2], { added: [], removed: [], changed: [], full: true, at: 2000 });
});

test('a failing rescan is logged and retried; a failing first scan rejects start and closes the source', async () => {
  const { kernel, clock, w, events, logs } = setup({ rescanIntervalMs: 30_000 });
  await w.start();
  kernel.failScans = 1;
  kernel.add('tapx');
  w.requestRescan();
  await clock.advance(0);
  assert.deepEqual(warns(logs), ['link scan failed, retrying']);
  await clock.advance(1000);
  assert.equal(kernel.scans, 3);
  const full = events.filter((e) => e.full);
  assert.equal(full.length, 2, 'start, then the successful retry');
  assert.equal(full[1]?.at, 1000);
  assert.ok(w.snapshot().has('tapx'));

  const s2 = setup();
  s2.kernel.failScans = 1;
  await assert.rejects(s2.w.start(), /ip failed/);
  assert.equal(s2.kernel.closed, true);
  assert.equal(s2.clock.pending, 0);
});

test('stop closes the source, clears every timer, and nothing is emitted afterwards', async () => {
  const { kernel, clock, w, events } = setup();
  await w.start();
  kernel.add('tap1');
  const sink = kernel.sink;
  w.stop();
  assert.equal(kernel.closed, true);
  assert.equal(clock.pending, 0);
  sink?.link({ kind: 'new', name: 'tap2', index: 99, mac: '', up: true, mtu: 1500 });
  sink?.overflow('ENOBUFS');
  await clock.advance(60_000);
  assert.equal(events.length, 1);
  assert.equal(kernel.scans, 1);
  w.stop();
  await assert.rejects(w.start(), /once/);
});

test('a throwing listener is logged and does not stop other listeners or later events', async () => {
  const { kernel, clock, w, events, logs } = setup();
  w.on('change', () => {
    throw new Error('consumer bug');
  });
  const second: LinkChangeEvent[] = [];
  w.on('change', (ev) => second.push(ev));
  await w.start();
  kernel.add('tap1');
  await clock.advance(20);
  assert.equal(events.length, 2);
  assert.equal(second.length, 2);
  assert.equal(logs.filter((l) => l.msg === 'link change listener failed').length, 2);
});

test('several prefixes', async () => {
  const { kernel, w } = setup({ prefix: ['tap', 'qvb'] });
  kernel.add('tap1');
  kernel.add('qvb1');
  kernel.add('qvo1');
  await w.start();
  assert.deepEqual([...w.snapshot().keys()].sort(), ['qvb1', 'tap1']);
});
