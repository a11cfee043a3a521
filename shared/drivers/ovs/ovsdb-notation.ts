/**
 * Strict decoders for OVSDB's JSON value notation (RFC 7047 §5.1), as found in
 * monitor updates and select results:
 * - atoms: string, integer, real, boolean, `["uuid", "…"]`, `["named-uuid", "…"]`;
 * - sets: `["set", [atom…]]`, or a bare atom for a set of exactly one element;
 *   an optional value (min 0, max 1) is a set of zero or one atom;
 * - maps: `["map", [[key, value]…]]`.
 * Each decoder throws {@link OvsdbDecodeError} naming what it expected and what it got.
 * Pure.
 */
import { OvsdbDecodeError } from './ovs-vsctl.js';

export { OvsdbDecodeError } from './ovs-vsctl.js';

function show(d: unknown): string {
  const s = JSON.stringify(d);
  return s === undefined ? String(d) : s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function fail(expected: string, d: unknown): never {
  throw new OvsdbDecodeError(`expected ${expected}, got ${show(d)}`);
}

export function isUuidAtom(d: unknown): d is ['uuid', string] {
  return Array.isArray(d) && d.length === 2 && d[0] === 'uuid' && typeof d[1] === 'string';
}

/** The elements of a set (a bare atom counts as a one-element set). Never a map. */
export function decodeSet(d: unknown): unknown[] {
  if (Array.isArray(d)) {
    if (d[0] === 'set') {
      if (d.length !== 2 || !Array.isArray(d[1])) fail('["set", [...]]', d);
      return d[1] as unknown[];
    }
    if (isUuidAtom(d) || (d.length === 2 && d[0] === 'named-uuid')) return [d];
    fail('an OVSDB set or atom', d);
  }
  if (d === null || typeof d === 'object' || d === undefined) fail('an OVSDB set or atom', d);
  return [d];
}

export function decodeString(d: unknown): string {
  if (typeof d !== 'string') fail('a string', d);
  return d;
}

export function decodeInteger(d: unknown): number {
  if (typeof d !== 'number' || !Number.isInteger(d)) fail('an integer', d);
  return d;
}

export function decodeBoolean(d: unknown): boolean {
  if (typeof d !== 'boolean') fail('a boolean', d);
  return d;
}

/** `["uuid", "…"]` → the UUID string. */
export function decodeUuid(d: unknown): string {
  if (!isUuidAtom(d)) fail('["uuid", "…"]', d);
  return d[1];
}

/** A set of references → UUIDs, sorted (OVSDB sets are unordered). */
export function decodeUuidSet(d: unknown): string[] {
  return decodeSet(d).map(decodeUuid).sort();
}

/** An optional column (set of 0 or 1 element) through `atom`. */
export function decodeOptional<T>(d: unknown, atom: (a: unknown) => T): T | undefined {
  const elems = decodeSet(d);
  if (elems.length > 1) fail('a set of at most one element', d);
  return elems.length === 0 ? undefined : atom(elems[0]);
}

/** `["map", [[k, v]…]]` with string keys and values → a plain record (own keys only). */
export function decodeStringMap(d: unknown): Record<string, string> {
  if (!Array.isArray(d) || d.length !== 2 || d[0] !== 'map' || !Array.isArray(d[1])) fail('["map", [...]]', d);
  const pairs: Array<[string, string]> = [];
  for (const pair of d[1] as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') fail('a [string, string] map pair', pair);
    pairs.push([pair[0], pair[1]]);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays a key.
  return Object.fromEntries(pairs);
}

/** Encoders for operations we send (transact rows and where-clauses). */
export const ovsdbEncode = {
  uuid: (u: string): ['uuid', string] => ['uuid', u],
  namedUuid: (n: string): ['named-uuid', string] => ['named-uuid', n],
  set: (atoms: readonly unknown[]): ['set', unknown[]] => ['set', [...atoms]],
  map: (m: Readonly<Record<string, string>>): ['map', Array<[string, string]>] => ['map', Object.entries(m)],
} as const;
