/**
 * The JSON-RPC stream splitter: messages back to back without delimiter, split or
 * merged anywhere (also inside strings and multi-byte characters), braces, quotes
 * and backslashes inside strings, garbage and size bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonFramingError, JsonMessageSplitter } from '../../../shared/drivers/ovs/ovsdb-framing.js';

/** Feeds `bytes` cut at the given offsets; returns every message. */
function feed(bytes: Buffer, cuts: number[], s = new JsonMessageSplitter()): unknown[] {
  const out: unknown[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...s.push(bytes.subarray(from, c)));
    from = c;
  }
  return out;
}

const TRICKY: unknown[] = [
  { id: 1, result: ['set', []], error: null },
  { method: 'update', params: ['m', { Interface: { u: { new: { name: 'a}b{c', external_ids: ['map', [['k', '"}]']]] } } } }], id: null },
  { s: 'back\\slash\\', t: 'quote "in" string', u: '\\"', v: '\\\\' },
  { uni: 'héllo wörld ✓ 日本語 🦀', esc: '\u00e9\u2713\ud83e\udd80', ctrl: '\n\t\r\b\f\u0001' },
  { nested: [[[{}]], { a: [{ b: [] }] }], empty: {}, n: -1.5e3, t: true, f: false, z: null },
];

test('messages back to back, with and without whitespace between, come out parsed and in order', () => {
  const s = new JsonMessageSplitter();
  const text = TRICKY.map((m) => JSON.stringify(m)).join('') + '\n' + JSON.stringify({ last: 1 }) + ' \r\n\t';
  assert.deepEqual(s.push(Buffer.from(text)), [...TRICKY, { last: 1 }]);
  assert.equal(s.pendingBytes, 0);
});

test('a stream cut at every byte position gives the same messages (braces/quotes/escapes in strings, multi-byte UTF-8)', () => {
  const bytes = Buffer.from(TRICKY.map((m) => JSON.stringify(m)).join(''));
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(feed(bytes, [cut]), TRICKY, `cut at ${cut}`);
  }
});

test('one byte at a time, and random cuts over many messages, lose and merge nothing', () => {
  const bytes = Buffer.from(TRICKY.map((m) => JSON.stringify(m)).join(''));
  assert.deepEqual(feed(bytes, Array.from({ length: bytes.length }, (_, i) => i)), TRICKY);
  // Deterministic pseudo-random cuts (LCG) over 200 messages.
  const many = Array.from({ length: 200 }, (_, i) => TRICKY[i % TRICKY.length]);
  const big = Buffer.from(many.map((m) => JSON.stringify(m)).join(' '));
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let round = 0; round < 20; round++) {
    const cuts = Array.from({ length: 50 }, () => rnd(big.length)).sort((a, b) => a - b);
    assert.deepEqual(feed(big, cuts), many, `round ${round}`);
  }
});

test('a chunk may be reused by the caller after push(): held bytes are copied', () => {
  const s = new JsonMessageSplitter();
  const buf = Buffer.from('{"a":"xy');
  assert.deepEqual(s.push(buf), []);
  buf.fill(0x20);
  assert.deepEqual(s.push(Buffer.from('z"}')), [{ a: 'xyz' }]);
});

test('pendingBytes counts the unfinished message only', () => {
  const s = new JsonMessageSplitter();
  assert.deepEqual(s.push(Buffer.from('{"a":1}  {"b":')), [{ a: 1 }]);
  assert.equal(s.pendingBytes, 5);
  assert.deepEqual(s.push(Buffer.from('2}')), [{ b: 2 }]);
  assert.equal(s.pendingBytes, 0);
});

test('anything but an object between messages is a framing error, and the splitter stays failed', () => {
  for (const bad of ['x', '[1]', '"s"', '1', '}', '{"a":1}garbage']) {
    const s = new JsonMessageSplitter();
    assert.throws(() => s.push(Buffer.from(bad)), JsonFramingError, bad);
    assert.throws(() => s.push(Buffer.from('{"ok":1}')), JsonFramingError, `${bad}: stays failed`);
  }
});

test('balanced but invalid JSON is a framing error naming the start of the message', () => {
  const s = new JsonMessageSplitter();
  assert.throws(() => s.push(Buffer.from('{"a":1,}')), (e: unknown) => e instanceof JsonFramingError && /invalid JSON message/.test(e.message) && e.message.includes('{\\"a\\":1,}'));
  const s2 = new JsonMessageSplitter();
  assert.throws(() => s2.push(Buffer.from('{"a":[1}]')), JsonFramingError, 'mismatched brackets');
});

test('the size bound: an unfinished message over it fails as soon as it is exceeded, a complete one too', () => {
  const s = new JsonMessageSplitter(16);
  assert.deepEqual(s.push(Buffer.from('{"a":"123456"}')), [{ a: '123456' }], '14 bytes fit');
  assert.deepEqual(s.push(Buffer.from('{"a":"1234')), []);
  assert.throws(() => s.push(Buffer.from('5678901')), (e: unknown) => e instanceof JsonFramingError && /exceeds 16 bytes/.test(e.message));
  assert.equal(s.pendingBytes, 0, 'nothing held after the error');
  const s2 = new JsonMessageSplitter(16);
  assert.throws(() => s2.push(Buffer.from('{"a":"12345678901234"}')), /exceeds 16 bytes/);
  assert.throws(() => new JsonMessageSplitter(0), RangeError);
});

test('long strings full of escapes (and braces) split quickly; an escape across a chunk end holds', () => {
  const value = '\\"'.repeat(200_000) + '}{' + 'x'.repeat(100_000);
  const bytes = Buffer.from(JSON.stringify({ v: value }) + JSON.stringify({ w: 1 }));
  const t0 = performance.now();
  const cuts = Array.from({ length: Math.floor(bytes.length / 65536) }, (_, i) => (i + 1) * 65536);
  assert.deepEqual(feed(bytes, cuts), [{ v: value }, { w: 1 }]);
  assert.ok(performance.now() - t0 < 2000, `took ${Math.round(performance.now() - t0)} ms`);
  // A backslash as the last byte of a chunk escapes the first byte of the next.
  const esc = Buffer.from('{"a":"x\\\\\\"y"}');
  for (let cut = 0; cut <= esc.length; cut++) assert.deepEqual(feed(esc, [cut]), [{ a: 'x\\"y' }], `cut at ${cut}`);
});
