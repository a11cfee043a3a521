import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecaCommandRunner } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';

// The real runner against harmless binaries: no namespaces needed.
const runner = new ExecaCommandRunner();

test('runs argv without a shell and feeds stdin', async () => {
  const r = await runner.run(['cat'], { input: 'a; echo $HOME | x\n' });
  assert.equal(r.stdout, 'a; echo $HOME | x\n');
  assert.equal(r.exitCode, 0);
  assert.ok(r.durationMs >= 0);
  const s = await runner.run(['echo', '$(id)', '*']);
  assert.equal(s.stdout, '$(id) *\n');
});

test('non-zero exit rejects with a classified CommandError', async () => {
  await assert.rejects(runner.run(['ls', '/nonexistent-nucleon-path']), (e: unknown) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.kind, 'NOT_FOUND');
    assert.equal(e.exitCode, 2);
    assert.deepEqual(e.argv, ['ls', '/nonexistent-nucleon-path']);
    assert.match(e.stderr, /No such file or directory/);
    return true;
  });
});

test('timeout sets timedOut and TRANSIENT', async () => {
  await assert.rejects(runner.run(['sleep', '5'], { timeoutMs: 100 }), (e: unknown) => {
    assert.ok(e instanceof CommandError);
    assert.equal(e.timedOut, true);
    assert.equal(e.kind, 'TRANSIENT');
    return true;
  });
});

test('a missing binary is FATAL, never NOT_FOUND', async () => {
  await assert.rejects(runner.run(['nucleon-no-such-binary']), (e: unknown) => e instanceof CommandError && e.kind === 'FATAL');
});

test('env is passed, netns names are validated before use', async () => {
  const r = await runner.run(['sh', '-c', 'printf %s "$NUCLEON_X"'], { env: { NUCLEON_X: 'y' } });
  assert.equal(r.stdout, 'y');
  await assert.rejects(runner.run(['true'], { netns: '../x' }), /invalid netns name/);
});
