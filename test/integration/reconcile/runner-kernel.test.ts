import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { Executor } from '../../../shared/reconcile/executor.js';
import type { Op } from '../../../shared/reconcile/ops.js';
import { ReconcileRunner } from '../../../shared/reconcile/runner.js';
import { ipJson, NetnsFixture, type JsonLink } from './netns-fixture.js';

const fx = new NetnsFixture();
after(async () => {
  await fx.cleanup();
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('runner + executor: a bridge deleted by hand is restored by a full sync; a broken key is degraded, others converge', async () => {
  const ns = await fx.add('rk');
  const ex = new Executor({ runner: new ExecaCommandRunner() });
  // Desired state per key (a planner would compute this from RPC data).
  const desired = new Map<string, Op[]>([
    ['network:good', [
      { kind: 'link.add', key: 'network:good', netns: ns, name: 'brq-good', link: { type: 'bridge' } },
      { kind: 'link.set', key: 'network:good', netns: ns, name: 'brq-good', up: true },
    ]],
    ['network:bad', [{ kind: 'link.set', key: 'network:bad', netns: ns, name: 'missing0', up: true }]],
  ]);
  const runner = new ReconcileRunner({
    minIntervalMs: 10,
    maxIntervalMs: 60_000,
    apply: async (work) => {
      const keys = work.fullSync ? [...desired.keys()] : [...work.keys];
      const r = await ex.apply(keys.flatMap((k) => desired.get(k) ?? []));
      return { failedKeys: new Map(r.failed.map((f) => [f.key, f.error])), ops: r.applied + r.failed.length };
    },
  });
  runner.start();
  try {
    const up = async (): Promise<boolean> => (await ipJson<JsonLink[]>(ns, ['link', 'show'])).some((l) => l.ifname === 'brq-good' && l.flags.includes('UP'));
    await eventually(up);
    await eventually(async () => runner.status().degraded.some((d) => d.key === 'network:bad' && d.attempts >= 2));
    assert.match(runner.status().degraded[0]?.lastError ?? '', /Cannot find device "missing0"/);

    await execa('ip', ['-n', ns, 'link', 'del', 'brq-good']);
    runner.requestFullSync('drift-test');
    await eventually(up);
    assert.ok(!runner.status().degraded.some((d) => d.key === 'network:good'));
  } finally {
    await runner.stop();
  }
});
