import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../shared/reconcile/clock.js';
import { ReconcileRunner, type ApplyOutcome, type ApplyWork } from '../../../shared/reconcile/runner.js';

interface Rec { at: number; fullSync: boolean; keys: string[]; reason: string[] }

function setup(opts: { fail?: (w: ApplyWork, n: number) => Map<string, Error> | 'throw'; durationMs?: number } = {}) {
  const clock = new FakeClock(0);
  const applies: Rec[] = [];
  const runner = new ReconcileRunner({
    clock,
    minIntervalMs: 1000,
    retryIntervalMs: 5000,
    maxIntervalMs: 60_000,
    apply: async (w): Promise<ApplyOutcome> => {
      applies.push({ at: clock.now(), fullSync: w.fullSync, keys: [...w.keys].sort(), reason: w.reason });
      if (opts.durationMs) await new Promise<void>((r) => clock.setTimeout(r, opts.durationMs ?? 0));
      const f = opts.fail?.(w, applies.length);
      if (f === 'throw') throw new Error('boom');
      return { failedKeys: f ?? new Map(), ops: w.keys.size };
    },
  });
  return { clock, applies, runner };
}

test('start runs a full sync; a burst of markDirty coalesces into one apply', async () => {
  const { clock, applies, runner } = setup();
  runner.start();
  await clock.advance(0);
  assert.deepEqual(applies, [{ at: 0, fullSync: true, keys: [], reason: ['startup'] }]);
  await clock.advance(2000);
  runner.markDirty('port:1', 'port_update');
  runner.markDirty('port:2');
  runner.markDirty('port:1');
  await clock.advance(0);
  assert.deepEqual(applies[1], { at: 2000, fullSync: false, keys: ['port:1', 'port:2'], reason: ['port_update'] });
  assert.equal(applies.length, 2);
  await runner.stop();
});

test('min interval: at most one apply per interval, triggers meanwhile merge', async () => {
  const { clock, applies, runner } = setup();
  runner.start();
  await clock.advance(0);
  runner.markDirty('a');
  await clock.advance(100);
  runner.markDirty('b');
  await clock.advance(500);
  assert.equal(applies.length, 1, 'held back by minIntervalMs');
  await clock.advance(400);
  assert.equal(applies.length, 2);
  assert.deepEqual(applies[1], { at: 1000, fullSync: false, keys: ['a', 'b'], reason: [] });
  await runner.stop();
});

test('one apply at a time: keys marked during an apply go into the next one', async () => {
  const { clock, applies, runner } = setup({ durationMs: 3000 });
  runner.start();
  await clock.advance(0);
  runner.markDirty('a');
  await clock.advance(1000);
  assert.equal(applies.length, 1, 'first apply still running');
  await clock.advance(2000);
  assert.equal(applies.length, 2);
  assert.deepEqual(applies[1]?.keys, ['a']);
  assert.equal(applies[1]?.at, 3000);
  const stopped = runner.stop();
  await clock.advance(3000);
  await stopped;
});

test('per-key backoff: failed key retried at 100ms, 200ms, 400ms…; others go on; success resets', async () => {
  let failing = true;
  const { clock, applies, runner } = setup({
    fail: (w) => (failing && w.keys.has('bad') ? new Map([['bad', new Error('RTNETLINK answers: Device or resource busy')]]) : new Map()),
  });
  // Backoff is measured in the same clock; min interval 1000 would hide it, so use a fresh runner with 0.
  await runner.stop();
  const clock2 = new FakeClock(0);
  const seen: Rec[] = [];
  const r = new ReconcileRunner({
    clock: clock2,
    minIntervalMs: 0,
    maxIntervalMs: 3_600_000,
    apply: async (w) => {
      seen.push({ at: clock2.now(), fullSync: w.fullSync, keys: [...w.keys].sort(), reason: w.reason });
      return { failedKeys: failing && w.keys.has('bad') ? new Map([['bad', new Error('busy')]]) : new Map() };
    },
  });
  void clock; void applies;
  r.start();
  await clock2.advance(0);
  r.markDirty('bad');
  r.markDirty('good');
  await clock2.advance(0);
  assert.deepEqual(seen[1], { at: 0, fullSync: false, keys: ['bad', 'good'], reason: [] });
  let st = r.status();
  assert.deepEqual(st.degraded.map((d) => [d.key, d.attempts, d.lastError, d.nextAttemptAt]), [['bad', 1, 'busy', 100]]);
  await clock2.advance(50);
  r.markDirty('other');
  await clock2.advance(0);
  assert.deepEqual(seen[2], { at: 50, fullSync: false, keys: ['other'], reason: [] }, 'bad is still backing off, other goes on');
  await clock2.advance(50);
  assert.deepEqual(seen[3], { at: 100, fullSync: false, keys: ['bad'], reason: [] });
  await clock2.advance(199);
  assert.equal(seen.length, 4);
  await clock2.advance(1);
  assert.deepEqual(seen[4]?.at, 300, 'second retry after 200 ms');
  assert.equal(r.status().degraded[0]?.attempts, 3);
  failing = false;
  await clock2.advance(400);
  assert.equal(seen[5]?.at, 700, 'third retry after 400 ms');
  st = r.status();
  assert.deepEqual(st.degraded, []);
  assert.equal(st.dirtyKeys, 0);
  await clock2.advance(10_000);
  assert.equal(seen.length, 6, 'nothing to do: idle');
  await r.stop();
});

test('backoff is capped at 60 s', async () => {
  const clock = new FakeClock(0);
  const at: number[] = [];
  const r = new ReconcileRunner({
    clock,
    minIntervalMs: 0,
    maxIntervalMs: 10_000_000,
    apply: async (w) => {
      if (w.keys.has('k')) at.push(clock.now());
      return { failedKeys: w.keys.has('k') ? new Map([['k', new Error('x')]]) : new Map() };
    },
  });
  r.start();
  r.markDirty('k');
  await clock.advance(0);
  for (let i = 0; i < 14; i++) await clock.advance(60_000);
  const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
  assert.deepEqual(gaps.slice(0, 10), [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200]);
  assert.ok(gaps.slice(10).every((g) => g === 60_000), gaps.join(','));
  await r.stop();
});

test('periodic full sync every maxIntervalMs', async () => {
  const { clock, applies, runner } = setup();
  runner.start();
  await clock.advance(0);
  await clock.advance(59_999);
  assert.equal(applies.length, 1);
  await clock.advance(1);
  assert.deepEqual(applies[1], { at: 60_000, fullSync: true, keys: [], reason: ['periodic'] });
  await clock.advance(60_000);
  assert.equal(applies.length, 3);
  await runner.stop();
});

test('a thrown apply keeps keys dirty and retries as a full sync after retryIntervalMs', async () => {
  const { clock, applies, runner } = setup({ fail: (_w, n) => (n === 2 || n === 3 ? 'throw' : new Map()) });
  runner.start();
  await clock.advance(0);
  await clock.advance(1000);
  runner.markDirty('a');
  await clock.advance(0);
  assert.deepEqual(applies[1], { at: 1000, fullSync: false, keys: ['a'], reason: [] });
  assert.equal(runner.status().lastApply?.error, 'boom');
  await clock.advance(4999);
  assert.equal(applies.length, 2);
  await clock.advance(1);
  assert.deepEqual(applies[2], { at: 6000, fullSync: true, keys: ['a'], reason: ['incremental-failed'] });
  // That full sync threw too: retried as a full sync again.
  await clock.advance(5000);
  assert.deepEqual(applies[3], { at: 11000, fullSync: true, keys: ['a'], reason: ['retry-full-sync'] });
  assert.equal(runner.status().dirtyKeys, 0);
  assert.equal(runner.status().fullSyncPending, false);
  await runner.stop();
});

test('a full sync that no longer reports a degraded key clears it; requestFullSync coalesces', async () => {
  let fail = true;
  const { clock, applies, runner } = setup({ fail: (w) => (fail && w.keys.has('x') ? new Map([['x', new Error('e')]]) : new Map()) });
  runner.start();
  runner.markDirty('x');
  await clock.advance(0);
  assert.equal(runner.status().degraded.length, 1);
  fail = false;
  runner.requestFullSync('revived');
  runner.requestFullSync('reconnect');
  await clock.advance(1000);
  assert.deepEqual(applies[1], { at: 1000, fullSync: true, keys: ['x'], reason: ['revived', 'reconnect'] });
  assert.deepEqual(runner.status().degraded, []);
  assert.equal(runner.status().lastApply?.fullSync, true);
  await runner.stop();
  runner.markDirty('y');
  await clock.advance(10_000);
  assert.equal(applies.length, 2, 'stopped runner does nothing');
});
