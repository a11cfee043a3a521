/** Conjunction id allocation: a function of the set of keys only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateConjIds, conjKeyText, type ConjKey } from '../../../agents/ovs/firewall/conj-ids.js';

const key = (i: number, over: Partial<ConjKey> = {}): string => conjKeyText({ sgId: `sg-${i}`, remoteId: `sg-${i % 7}`, direction: 'ingress', ethertype: 'IPv4', stateless: false, ...over });

test('ids are multiples of 8 in 8..2^32-8, one block per key, the same for the same keys in any order', () => {
  const keys = Array.from({ length: 500 }, (_, i) => key(i));
  const a = allocateConjIds(keys);
  const b = allocateConjIds([...keys].reverse().concat(keys.slice(0, 10)));
  assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
  assert.equal(a.size, 500);
  for (const id of a.values()) assert.ok(id % 8 === 0 && id >= 8 && id <= 2 ** 32 - 8, String(id));
  assert.equal(new Set(a.values()).size, 500);
});

test('a key\'s id does not depend on the other keys (barring a hash collision)', () => {
  const alone = allocateConjIds([key(1)]).get(key(1));
  const crowd = allocateConjIds(Array.from({ length: 300 }, (_, i) => key(i))).get(key(1));
  assert.equal(crowd, alone);
});

test('direction, ethertype, remote and statefulness each make another key', () => {
  const k = (over: Partial<ConjKey>): string => key(1, over);
  const texts = [k({}), k({ direction: 'egress' }), k({ ethertype: 'IPv6' }), k({ remoteId: 'x' }), k({ stateless: true })];
  assert.equal(new Set(texts).size, texts.length);
  assert.equal(new Set(allocateConjIds(texts).values()).size, texts.length);
});

test('hash collisions: with 100 000 keys (about nine colliding pairs expected) every key still gets its own block', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => key(i, { remoteId: `r-${i}` }));
  const ids = allocateConjIds(keys);
  assert.equal(new Set(ids.values()).size, keys.length);
});
