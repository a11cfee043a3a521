import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createRootLogger } from '../../../shared/logging/logger.js';
import { createRecentLog } from '../../../shared/logging/recent.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  let buf = '';
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { buf += chunk.toString(); cb(); } });
  return { stream, lines: () => buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('the recent log keeps the last N lines per resource id, from every id field of a line', () => {
  const recent = createRecentLog(3);
  const w = (o: Record<string, unknown>): void => recent.stream.write(JSON.stringify(o) + '\n');
  for (let i = 0; i < 5; i++) w({ level: 'info', msg: `m${i}`, port_id: 'p1' });
  w({ level: 'warn', msg: 'both', port_id: 'p2', network_id: 'n1' });
  w({ level: 'info', msg: 'no id' });
  recent.stream.write('not json with port_id"\n');
  assert.deepEqual(recent.linesFor('p1').map((l) => l['msg']), ['m2', 'm3', 'm4']);
  assert.deepEqual(recent.linesFor('n1').map((l) => l['msg']), ['both']);
  assert.deepEqual(recent.linesFor('p2').map((l) => l['msg']), ['both']);
  assert.deepEqual(recent.linesFor('unknown'), []);
  assert.equal(recent.size(), 3);
});

test('the number of ids is bounded, least recently logged first out', () => {
  const recent = createRecentLog(2, { maxIds: 2 });
  const w = (id: string): void => recent.stream.write(JSON.stringify({ msg: 'x', router_id: id }));
  w('r1');
  w('r2');
  w('r1');
  w('r3');
  assert.equal(recent.size(), 2);
  assert.deepEqual(recent.linesFor('r2'), [], 'r2 was the least recently logged');
  assert.equal(recent.linesFor('r1').length, 2);
});

test('createRootLogger with extraStreams feeds the buffer and still writes every line to its destination', () => {
  const recent = createRecentLog(10);
  const main = capture();
  const log = createRootLogger({ agent: 'nucleon-l3-agent', host: 'h', level: 'debug', destination: main.stream, extraStreams: [{ stream: recent.stream }] });
  log.debug({ router_id: 'r1' }, 'router added');
  log.child({ component: 'nat' }).error({ router_id: 'r1', err: new Error('iptables-restore failed') }, 'apply failed');
  log.info('no id');
  log.info({ router_id: 'r1', password: 'secret' }, 'redacted');
  const written = main.lines();
  assert.deepEqual(written.map((l) => l['msg']), ['router added', 'apply failed', 'no id', 'redacted']);
  assert.equal(written[0]?.['level'], 'debug', 'labels, as without extra streams');
  const lines = recent.linesFor('r1');
  assert.deepEqual(lines.map((l) => l['msg']), ['router added', 'apply failed', 'redacted']);
  assert.equal(lines[1]?.['component'], 'nat');
  assert.equal(lines[2]?.['password'], '***', 'the buffer sees redacted lines only');
});

test('an extra stream level filters that stream only', () => {
  const recent = createRecentLog(10);
  const main = capture();
  const log = createRootLogger({ agent: 'a', host: 'h', level: 'debug', destination: main.stream, extraStreams: [{ stream: recent.stream, level: 'warn' }] });
  log.debug({ port_id: 'p' }, 'd');
  log.warn({ port_id: 'p' }, 'w');
  assert.deepEqual(recent.linesFor('p').map((l) => l['msg']), ['w']);
  assert.equal(main.lines().length, 2);
});

test('without extraStreams the logger is unchanged (single destination)', () => {
  const main = capture();
  const log = createRootLogger({ agent: 'a', host: 'h', destination: main.stream });
  log.debug('hidden');
  log.info({ port_id: 'p' }, 'shown');
  assert.deepEqual(main.lines().map((l) => l['msg']), ['shown']);
});
