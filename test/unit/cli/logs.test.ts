import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buildFilter, filterLogStream, type LogsIo } from '../../../cli/logs.js';

function io(): LogsIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (s) => { lines.push(s); return true; }, err: () => undefined, style: { color: false }, now: () => Date.parse('2024-05-01T10:05:00.000Z') };
}

const input = [
  JSON.stringify({ level: 'info', time: '2024-05-01T10:00:00.000Z', agent: 'nucleon-dhcp-agent', msg: 'old', port_id: 'p1' }),
  '',
  JSON.stringify({ level: 'warn', time: '2024-05-01T10:04:00.000Z', agent: 'nucleon-dhcp-agent', msg: 'recent', port_id: 'p1' }),
  JSON.stringify({ level: 'warn', time: '2024-05-01T10:04:30.000Z', agent: 'nucleon-l3-agent', msg: 'other agent', port_id: 'p1' }),
  '{"broken json',
].join('\n');

test('logs: agent, resource, since and level filters combine; json format passes lines through unchanged', async () => {
  const o = io();
  const f = buildFilter({ agent: 'dhcp', resource: 'p1', since: '2m', level: 'warn', format: 'json' }, o.now());
  assert.equal(await filterLogStream(Readable.from([input]), f, 'json', o), 1);
  assert.deepEqual(o.lines, [input.split('\n')[2]]);
});

test('logs: pretty format, and raw non-JSON lines kept when nothing filters', async () => {
  const o = io();
  await filterLogStream(Readable.from([input]), {}, 'pretty', o);
  assert.deepEqual(o.lines, [
    '2024-05-01T10:00:00.000Z INFO  dhcp old port_id=p1',
    '2024-05-01T10:04:00.000Z WARN  dhcp recent port_id=p1',
    '2024-05-01T10:04:30.000Z WARN  l3 other agent port_id=p1',
    '{"broken json',
  ]);
});

test('logs: backpressure waits for drain', async () => {
  let drains = 0;
  const o: LogsIo = { out: () => false, drain: async () => { drains += 1; }, err: () => undefined, style: { color: false }, now: () => 0 };
  await filterLogStream(Readable.from([input]), {}, 'json', o);
  assert.equal(drains, 4);
});
