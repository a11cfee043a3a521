import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeFile, writeFileAtomic } from '../../../shared/reconcile/atomic-file.js';

test('atomic write: creates, skips unchanged content, replaces, leaves no temp files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nct-atomic-'));
  try {
    const p = join(dir, 'host');
    assert.equal(await writeFileAtomic(p, 'a\n', { mode: 0o640 }), true);
    assert.equal(await readFile(p, 'utf8'), 'a\n');
    assert.equal((await stat(p)).mode & 0o777, 0o640);
    const ino = (await stat(p)).ino;
    assert.equal(await writeFileAtomic(p, 'a\n'), false, 'unchanged: no write');
    assert.equal((await stat(p)).ino, ino);
    assert.equal(await writeFileAtomic(p, 'b\n'), true);
    assert.notEqual((await stat(p)).ino, ino, 'replaced by rename, not rewritten in place');
    assert.equal((await stat(p)).mode & 0o777, 0o640, 'mode kept');
    assert.equal(await writeFileAtomic(p, 'b\n', { mode: 0o600 }), true, 'mode change alone rewrites');
    assert.deepEqual(await readdir(dir), ['host']);
    assert.equal(await removeFile(p), true);
    assert.equal(await removeFile(p), false, 'missing file: success');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('atomic write into a missing directory fails and leaves nothing behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nct-atomic-'));
  try {
    await writeFile(join(dir, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(join(dir, 'nodir', 'f'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), ['keep']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
