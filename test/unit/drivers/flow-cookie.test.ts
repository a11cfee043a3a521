import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCookie, isNucleonCookie, newRunCookie, NUCLEON_COOKIE_MARKER, parseCookie, UINT64_MAX } from '../../../shared/drivers/ovs/flow-cookie.js';

test('a run cookie carries the nucleon marker in its top 16 bits and 48 random bits below', () => {
  const c = newRunCookie();
  assert.equal(c >> 48n, NUCLEON_COOKIE_MARKER);
  assert.ok(c <= UINT64_MAX);
  assert.ok(isNucleonCookie(c));
  assert.notEqual(newRunCookie(), c, 'two runs get different cookies');
});

test('the random part is never zero (a zero draw is redrawn), and comes from the given source', () => {
  const draws = [Buffer.alloc(6), Buffer.from('0000000000ab', 'hex')];
  const c = newRunCookie(() => draws.shift() as Buffer);
  assert.equal(c, 0x6e750000000000abn);
});

test('isNucleonCookie: only the marker counts, any run', () => {
  assert.ok(isNucleonCookie(0x6e75000000000001n));
  assert.ok(isNucleonCookie(0x6e75ffffffffffffn));
  assert.equal(isNucleonCookie(0n), false, "OVS's default flow");
  assert.equal(isNucleonCookie(0x1234n), false);
  assert.equal(isNucleonCookie(0x6e74ffffffffffffn), false);
  assert.equal(isNucleonCookie(UINT64_MAX), false);
  assert.equal(isNucleonCookie(-1n), false);
  assert.equal(isNucleonCookie(1n << 64n), false);
});

test('cookies print and parse as ovs-ofctl writes them', () => {
  assert.equal(formatCookie(0x6e75000000000abcn), '0x6e75000000000abc');
  assert.equal(formatCookie(0n), '0x0');
  assert.equal(parseCookie('0x6e75000000000ABC'), 0x6e75000000000abcn);
  assert.equal(parseCookie('0xffffffffffffffff'), UINT64_MAX);
  assert.equal(parseCookie('42'), 42n);
  assert.throws(() => parseCookie('0x1ffffffffffffffff'), RangeError);
  assert.throws(() => parseCookie('cookie'), RangeError);
  assert.throws(() => parseCookie(''), RangeError);
  assert.throws(() => formatCookie(-1n), RangeError);
});
