/**
 * ReconcileRunner: full-sync reasons kept apart from markDirty's, and work done in
 * slices (deferredKeys) interleaved with fresh triggers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../shared/reconcile/clock.js';
import { ReconcileRunner, type ApplyOutcome, type ApplyWork } from '../../../shared/reconcile/runner.js';

interface Rec { at: number; fullSync: boolean; keys: string[]; reason: string[]; fullSyncReasons: string[] | undefined }

function setup(apply: (w: ApplyWork, clock: FakeClock) => Promise<ApplyOutcome> | ApplyOutcome, opts: { minIntervalMs?: number } = {}) {
  const clock = new FakeClock(0);
  const applies: Rec[] = [];
  const runner = new ReconcileRunner({
    clock,
    minIntervalMs: opts.minIntervalMs ?? 50,
    retryIntervalMs: 5000,
    maxIntervalMs: 60_000,
    apply: async (w) => {
      applies.push({ at: clock.now(), fullSync: w.fullSync, keys: [...w.keys].sort(), reason: [...w.reason], fullSyncReasons: w.fullSyncReasons ? [...w.fullSyncReasons] : undefined });
      return apply(w, clock);
    },
  });
  return { clock, applies, runner };
}

const ok = (): ApplyOutcome => ({ failedKeys: new Map() });
const sleep = (clock: FakeClock, ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));

test('fullSyncReasons: a periodic pass says only "periodic", even with markDirty reasons merged in', async () => {
  const { clock, applies, runner } = setup(() => ok());
  runner.start();
  await clock.advance(0);
  assert.deepEqual(applies[0]?.fullSyncReasons, ['startup']);
  await clock.advance(59_980);
  runner.markDirty('network:a', 'port_create_end');
  await clock.advance(0);
  assert.deepEqual(applies[1], { at: 59_980, fullSync: false, keys: ['network:a'], reason: ['port_create_end'], fullSyncReasons: [] });
  // Held back by minIntervalMs until 60 030, when the periodic pass is due too: merged.
  await clock.advance(10);
  runner.markDirty('network:b', 'port_update_end');
  await clock.advance(40);
  assert.deepEqual(applies[2], { at: 60_030, fullSync: true, keys: ['network:b'], reason: ['port_update_end', 'periodic'], fullSyncReasons: ['periodic'] });
  await runner.stop();
});

test('fullSyncReasons: requestFullSync reasons (revived, reconnect) with periodic, without markDirty reasons', async () => {
  const { clock, applies, runner } = setup(() => ok());
  runner.start();
  await clock.advance(0);
  await clock.advance(1000);
  runner.markDirty('network:a', 'port_create_end');
  runner.requestFullSync('revived');
  runner.requestFullSync('broker reconnected');
  await clock.advance(0);
  assert.deepEqual(applies[1], { at: 1000, fullSync: true, keys: ['network:a'], reason: ['port_create_end', 'revived', 'broker reconnected'], fullSyncReasons: ['revived', 'broker reconnected'] });
  await runner.stop();
});

test('fullSyncReasons survive an incremental apply that runs while the retry full sync waits', async () => {
  let n = 0;
  const { clock, applies, runner } = setup(() => {
    n += 1;
    if (n === 2) throw new Error('boom');
    return ok();
  });
  runner.start();
  await clock.advance(0);
  await clock.advance(1000);
  runner.markDirty('a');
  await clock.advance(0); // throws: full sync after 5 s
  await clock.advance(1000);
  runner.markDirty('b', 'port_update_end');
  await clock.advance(0);
  assert.deepEqual(applies[2], { at: 2000, fullSync: false, keys: ['b'], reason: ['incremental-failed', 'port_update_end'], fullSyncReasons: [] });
  await clock.advance(4000);
  assert.equal(applies[3]?.fullSync, true);
  assert.deepEqual(applies[3]?.fullSyncReasons, ['incremental-failed']);
  await runner.stop();
});

test('deferredKeys: handed to the next apply after minIntervalMs, with what was marked meanwhile, without backoff', async () => {
  const queue = ['s1', 's2', 's3', 's4', 's5'];
  const { clock, applies, runner } = setup(async (w, c) => {
    // Each apply does fresh keys, then one queued key, and defers the others.
    await sleep(c, 100);
    const mine = [...w.keys].filter((k) => k.startsWith('s')).sort();
    const todo = w.fullSync ? queue : mine;
    return { failedKeys: new Map(), deferredKeys: todo.slice(1) };
  });
  runner.start();
  await clock.advance(0);
  assert.equal(applies.length, 1);
  await clock.advance(100); // first slice ends; next one 50 ms after its start... but not before it ended
  await clock.advance(0);
  assert.deepEqual(applies[1], { at: 100, fullSync: false, keys: ['s2', 's3', 's4', 's5'], reason: [], fullSyncReasons: [] });
  await clock.advance(30);
  runner.markDirty('network:new', 'port_create_end');
  await clock.advance(70); // slice 2 ends at 200
  assert.deepEqual(applies[2], { at: 200, fullSync: false, keys: ['network:new', 's3', 's4', 's5'], reason: ['port_create_end'], fullSyncReasons: [] }, 'the fresh key waits one slice, not the whole job');
  for (let i = 0; i < 5; i++) await clock.advance(100);
  assert.deepEqual(applies.map((a) => a.keys.length), [0, 4, 4, 2, 1]);
  assert.deepEqual(runner.status().degraded, []);
  assert.equal(runner.status().dirtyKeys, 0);
  assert.equal(runner.status().lastApply?.deferred, undefined, 'last slice deferred nothing');
  await runner.stop();
});

test('deferredKeys: a key both failed and deferred counts as failed; a deferred key keeps its backoff', async () => {
  let round = 0;
  const { clock, applies, runner } = setup((w) => {
    round += 1;
    if (round === 2) return { failedKeys: new Map([['x', new Error('busy')]]), deferredKeys: ['x'] };
    if (round === 3) return { failedKeys: new Map(), deferredKeys: w.keys };
    return ok();
  }, { minIntervalMs: 0 });
  runner.start();
  await clock.advance(0);
  runner.markDirty('x');
  await clock.advance(0);
  assert.deepEqual(runner.status().degraded.map((d) => [d.key, d.attempts]), [['x', 1]]);
  await clock.advance(99);
  assert.equal(applies.length, 2, 'x waits for its backoff, deferral or not');
  await clock.advance(1);
  assert.deepEqual(applies[2]?.keys, ['x']);
  // Round 3 deferred x without trying it: no new backoff, so round 4 takes it at once
  // (a failure would have waited 200 ms).
  assert.deepEqual(applies[3], { at: 100, fullSync: false, keys: ['x'], reason: [], fullSyncReasons: [] });
  assert.deepEqual(runner.status().degraded, []);
  await runner.stop();
});

test('deferredKeys of a full sync do not clear their backoff; others not reported do', async () => {
  let fail = true;
  const { clock, runner } = setup((w) => {
    if (fail && w.keys.has('x')) return { failedKeys: new Map([['x', new Error('e1')], ['y', new Error('e2')]]) };
    if (w.fullSync) return { failedKeys: new Map(), deferredKeys: ['x'] };
    return ok();
  });
  runner.start();
  runner.markDirty('x');
  await clock.advance(0);
  assert.equal(runner.status().degraded.length, 2);
  fail = false;
  runner.requestFullSync('revived');
  await clock.advance(50);
  assert.deepEqual(runner.status().degraded.map((d) => d.key), ['x']);
  await runner.stop();
});
