import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPidFile, parsePidFile, readPidFile, writePidFile } from '../../../shared/process/pid-file.js';

test('pid file text: one positive integer, whitespace and newline allowed', () => {
  assert.equal(parsePidFile('1234\n'), 1234);
  assert.equal(parsePidFile('  77  '), 77);
  assert.equal(parsePidFile('101\n102\n'), 101, 'haproxy nbproc: first line');
});

test('pid file text: anything else is no PID', () => {
  for (const bad of ['', '\n', '0', '-5', '12a', 'abc', '1.5', '99999999', '4194305', ' 12 34'])
    assert.equal(parsePidFile(bad), undefined, JSON.stringify(bad));
  assert.equal(parsePidFile('4194304'), 4194304);
});

test('default layout is Neutron ProcessManager: <dir>/<uuid>.pid.<service>', () => {
  const id = '3b1c2d4e-0000-4000-8000-000000000001';
  assert.equal(defaultPidFile('/var/lib/neutron/external/pids', `haproxy:${id}`), `/var/lib/neutron/external/pids/${id}.pid.haproxy`);
  assert.equal(defaultPidFile('/p', 'keepalived'), '/p/keepalived.pid');
  for (const bad of ['dnsmasq:../../etc/x', 'a/b', ':x', '']) assert.throws(() => defaultPidFile('/p', bad), /not usable as a file name/, bad);
});

test('read/write: written atomically, missing file reads as no PID', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ntp-pid-'));
  try {
    const p = join(dir, 'x.pid');
    assert.equal(await readPidFile(p), undefined);
    await writePidFile(p, 4321);
    assert.equal(await readFile(p, 'utf8'), '4321\n');
    assert.equal(await readPidFile(p), 4321);
    await writeFile(p, 'junk');
    assert.equal(await readPidFile(p), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
