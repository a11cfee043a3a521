/**
 * Option constructors: the oslo.config opt types we need, as plain descriptors.
 *
 * An `Opt<T>` knows its default (typed `T`), how to convert one raw string from a
 * file into `T` (`parse`, throwing `ValueError` with a short reason) and how to
 * render a `T` back as Python's `str()` would, for `$var` substitution.
 *
 * Conversion rules follow `oslo_config.types` (9.0):
 * - Boolean: true/1/on/yes and false/0/off/no, case-insensitive, nothing else
 *   (no trimming: the INI parser already strips).
 * - Integer / Float: Python `int()` / `float()` syntax (surrounding whitespace,
 *   sign, `_` between digits; Float also `inf`/`nan`/exponents); an empty value is
 *   `None` in oslo: here it is `null` for options without a default and an error
 *   otherwise, so a typed `number` is never null. min/max inclusive.
 * - Port: Integer limited to 0..65535.
 * - List: strip, drop *trailing* commas, split on `,`, strip items. Inner empty
 *   items stay (`a,,b` → `['a', '', 'b']`) exactly as oslo; empty value → `[]`.
 * - Dict: `k:v` pairs split on `,` then on the first `:`, stripped; empty key and
 *   duplicate key are errors; empty value → `{}`.
 * - IPAddress: strict dotted quad / RFC 4291 text (inet_pton), no zone id.
 * - HostAddress: an IP address or an RFC 1123 host name (labels of 1..63 letters,
 *   digits, `-`, not starting or ending with `-`, at most 253 characters, a
 *   non-numeric last label; a trailing `.` is dropped).
 * - String with `choices`: exact (case-sensitive unless `ignoreCase`).
 * - MultiStr: every assignment of the key, across all files, oldest first.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ValueError } from './errors.js';
import { parseMappings } from './mappings.js';

export type OptKind = 'string' | 'choice' | 'bool' | 'int' | 'float' | 'port' | 'list' | 'dict' | 'mappings' | 'ip' | 'host' | 'multistr';

/** Another name this option was known by: `group` and/or `name` (either defaults to the option's own). */
export interface DeprecatedName {
  readonly group?: string;
  readonly name?: string;
}

export interface Opt<T> {
  readonly kind: OptKind;
  /** The typed default. String defaults may hold `$var` templates; they are substituted like file values. */
  readonly default: T;
  /** Secret values are never logged and are shown as `***` in errors. */
  readonly secret: boolean;
  /** MultiStrOpt: values accumulate across repeated keys and files instead of the last one winning. */
  readonly multi: boolean;
  readonly deprecated: readonly DeprecatedName[];
  readonly help: string | undefined;
  /** Converts one raw (already substituted) value. Throws `ValueError(reason)`. */
  parse(raw: string): T;
  /** Python's `str()` of the value, as `$var` substitution renders it. */
  format(value: T): string;
}

/** Any option; method syntax in `Opt` keeps this assignable from every `Opt<T>`. */
export type AnyOpt = Opt<unknown>;

export interface CommonOptions {
  help?: string;
  secret?: boolean;
  deprecated?: readonly DeprecatedName[];
}

function make<T>(kind: OptKind, def: T, o: CommonOptions, parse: (raw: string) => T, format: (v: T) => string, multi = false): Opt<T> {
  return {
    kind,
    default: def,
    secret: o.secret ?? false,
    multi,
    deprecated: o.deprecated ?? [],
    help: o.help,
    parse,
    format,
  };
}

// ---------------------------------------------------------------- Python str()

/** Python `repr()` of a str, close enough for substitution of list/dict values. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .split(q)
    .join('\\' + q);
  return q + body + q;
}

/** Python `str()` of a float: `30.0`, `0.1`, `1e+16`, `inf`, `nan`. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  return String(n);
}

const strOrEmpty = (v: string | null): string => v ?? '';

// ---------------------------------------------------------------- string

export interface StrOptions extends CommonOptions {
  maxLength?: number;
}

function checkLength(v: string, max: number | undefined): string {
  if (max !== undefined && max > 0 && v.length > max) throw new ValueError(`longer than ${max} characters`);
  return v;
}

/** StrOpt. Without a default the value is `null` when unset (oslo's None). */
export function strOpt(o: StrOptions & { default: string }): Opt<string>;
export function strOpt(o?: StrOptions & { default?: null }): Opt<string | null>;
export function strOpt(o: StrOptions & { default?: string | null } = {}): Opt<string> | Opt<string | null> {
  return make<string | null>('string', o.default ?? null, o, (raw) => checkLength(raw, o.maxLength), strOrEmpty);
}

/** StrOpt with `choices`: the value type is the union of the choices. */
export function choiceOpt<const C extends readonly string[]>(choices: C, o: CommonOptions & { default: C[number]; ignoreCase?: boolean }): Opt<C[number]>;
export function choiceOpt<const C extends readonly string[]>(choices: C, o?: CommonOptions & { default?: null; ignoreCase?: boolean }): Opt<C[number] | null>;
export function choiceOpt<const C extends readonly string[]>(
  choices: C,
  o: CommonOptions & { default?: C[number] | null; ignoreCase?: boolean } = {},
): Opt<C[number]> | Opt<C[number] | null> {
  const parse = (raw: string): C[number] => {
    // Like oslo, an ignore-case match returns the value as written.
    const ok = o.ignoreCase ? choices.some((c) => c.toLowerCase() === raw.toLowerCase()) : choices.includes(raw);
    if (!ok) throw new ValueError(`not one of: ${choices.join(', ')}`);
    return raw;
  };
  return make<C[number] | null>('choice', o.default ?? null, o, parse, strOrEmpty);
}

// ---------------------------------------------------------------- bool

const TRUE_VALUES = ['true', '1', 'on', 'yes'];
const FALSE_VALUES = ['false', '0', 'off', 'no'];

export function parseBool(raw: string): boolean {
  const s = raw.toLowerCase();
  if (TRUE_VALUES.includes(s)) return true;
  if (FALSE_VALUES.includes(s)) return false;
  throw new ValueError('not a boolean (true/false, yes/no, on/off, 1/0)');
}

export function boolOpt(o: CommonOptions & { default: boolean }): Opt<boolean> {
  return make('bool', o.default, o, parseBool, (v) => (v ? 'True' : 'False'));
}

// ---------------------------------------------------------------- numbers

export interface NumberOptions extends CommonOptions {
  min?: number;
  max?: number;
}

const DIGITS = String.raw`\d(?:_?\d)*`;
const INT_RE = new RegExp(String.raw`^\s*[+-]?${DIGITS}\s*$`);
const FLOAT_RE = new RegExp(
  String.raw`^\s*[+-]?(?:(?:(?:${DIGITS})(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)\s*$`,
  'i',
);

function checkRange(n: number, o: NumberOptions): number {
  if (o.min !== undefined && n < o.min) throw new ValueError(`less than the minimum ${o.min}`);
  if (o.max !== undefined && n > o.max) throw new ValueError(`greater than the maximum ${o.max}`);
  return n;
}

function numberParser(what: string, re: RegExp, nullable: boolean, o: NumberOptions): (raw: string) => number | null {
  return (raw) => {
    if (raw.trim() === '') {
      if (nullable) return null;
      throw new ValueError(`not ${what} (empty value)`);
    }
    if (!re.test(raw)) throw new ValueError(`not ${what}`);
    const s = raw.trim().replace(/_/g, '').toLowerCase();
    const n = s.endsWith('inf') || s.endsWith('infinity') ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
    return checkRange(n, o);
  };
}

/** IntOpt. Without a default the value is `null` when unset or empty. */
export function intOpt(o: NumberOptions & { default: number }): Opt<number>;
export function intOpt(o?: NumberOptions & { default?: null }): Opt<number | null>;
export function intOpt(o: NumberOptions & { default?: number | null } = {}): Opt<number> | Opt<number | null> {
  const nullable = o.default === undefined || o.default === null;
  return make<number | null>('int', o.default ?? null, o, numberParser('an integer', INT_RE, nullable, o), (v) => (v === null ? '' : String(v)));
}

export function floatOpt(o: NumberOptions & { default: number }): Opt<number>;
export function floatOpt(o?: NumberOptions & { default?: null }): Opt<number | null>;
export function floatOpt(o: NumberOptions & { default?: number | null } = {}): Opt<number> | Opt<number | null> {
  const nullable = o.default === undefined || o.default === null;
  return make<number | null>('float', o.default ?? null, o, numberParser('a number', FLOAT_RE, nullable, o), (v) => (v === null ? '' : pyFloat(v)));
}

/** PortOpt: an integer in 0..65535 (narrower with min/max). */
export function portOpt(o: NumberOptions & { default: number }): Opt<number>;
export function portOpt(o?: NumberOptions & { default?: null }): Opt<number | null>;
export function portOpt(o: NumberOptions & { default?: number | null } = {}): Opt<number> | Opt<number | null> {
  const bounds = { ...o, min: o.min ?? 0, max: o.max ?? 65535 };
  const nullable = o.default === undefined || o.default === null;
  const parseInt = numberParser('an integer', INT_RE, nullable, {});
  const parse = (raw: string): number | null => {
    const n = parseInt(raw);
    if (n === null) return null;
    if (n < bounds.min || n > bounds.max) throw new ValueError(`not a port number in ${bounds.min}..${bounds.max}`);
    return n;
  };
  return make<number | null>('port', o.default ?? null, o, parse, (v) => (v === null ? '' : String(v)));
}

// ---------------------------------------------------------------- list, dict, mappings

/** oslo `types.List()` of strings. */
export function parseList(raw: string): string[] {
  const s = raw.trim().replace(/,+$/, '');
  if (s === '') return [];
  return s.split(',').map((item) => item.trim());
}

const formatList = (v: readonly string[] | null): string => (v === null ? '' : `[${v.map(pyRepr).join(', ')}]`);
const formatDict = (v: Readonly<Record<string, string>> | null): string =>
  v === null ? '' : `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;

/** ListOpt of strings. */
export function listOpt(o: CommonOptions & { default: readonly string[] }): Opt<string[]>;
export function listOpt(o?: CommonOptions & { default?: null }): Opt<string[] | null>;
export function listOpt(o: CommonOptions & { default?: readonly string[] | null } = {}): Opt<string[]> | Opt<string[] | null> {
  return make<string[] | null>('list', o.default ? [...o.default] : null, o, parseList, formatList);
}

/** oslo `types.Dict()` of strings. */
export function parseDict(raw: string): Record<string, string> {
  const s = raw.trim();
  const result = new Map<string, string>();
  if (s === '') return {};
  const pairs = s.split(',');
  while (pairs.length > 0) {
    let pair = pairs.shift() as string;
    // Like oslo: a piece without ':' is glued to the next one ("a:b,c,d:e" → c = "d:e").
    while (!pair.includes(':')) {
      if (pairs.length === 0) throw new ValueError('not NAME:VALUE pairs separated by ","');
      pair += ',' + (pairs.shift() as string);
    }
    const at = pair.indexOf(':');
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (key === '') throw new ValueError('empty key name');
    if (result.has(key)) throw new ValueError(`duplicate key ${key}`);
    result.set(key, value);
  }
  return Object.fromEntries(result);
}

/** DictOpt with string values. */
export function dictOpt(o: CommonOptions & { default: Readonly<Record<string, string>> }): Opt<Record<string, string>>;
export function dictOpt(o?: CommonOptions & { default?: null }): Opt<Record<string, string> | null>;
export function dictOpt(
  o: CommonOptions & { default?: Readonly<Record<string, string>> | null } = {},
): Opt<Record<string, string>> | Opt<Record<string, string> | null> {
  return make<Record<string, string> | null>('dict', o.default ? { ...o.default } : null, o, parseDict, formatDict);
}

/**
 * A ListOpt that Neutron feeds to `parse_mappings` (physical_interface_mappings,
 * bridge_mappings): `physnet1:eth1,physnet2:eth2` → `{ physnet1: 'eth1', ... }`,
 * with parse_mappings' duplicate-key/value errors.
 */
export function mappingsOpt(o: CommonOptions & { default?: Readonly<Record<string, string>>; uniqueValues?: boolean } = {}): Opt<Record<string, string>> {
  const uniqueValues = o.uniqueValues ?? true;
  return make<Record<string, string>>(
    'mappings',
    { ...(o.default ?? {}) },
    o,
    (raw) => parseMappings(parseList(raw), { uniqueValues }),
    (v) => formatList(Object.entries(v).map(([k, x]) => `${k}:${x}`)),
  );
}

/** MultiStrOpt: one item per assignment; items accumulate across files. Unset without a default: `null`, as oslo. */
export function multiStrOpt(o: CommonOptions & { default: readonly string[] }): Opt<string[]>;
export function multiStrOpt(o?: CommonOptions & { default?: null }): Opt<string[] | null>;
export function multiStrOpt(o: CommonOptions & { default?: readonly string[] | null } = {}): Opt<string[]> | Opt<string[] | null> {
  return make<string[] | null>('multistr', o.default ? [...o.default] : null, o, (raw) => [raw], formatList, true);
}

// ---------------------------------------------------------------- addresses

export function isIpAddress(value: string, version?: 4 | 6): boolean {
  if (value.includes('%')) return false; // inet_pton takes no zone id
  if (version === 4) return isIPv4(value);
  if (version === 6) return isIPv6(value);
  return isIPv4(value) || isIPv6(value);
}

function parseIp(version: 4 | 6 | undefined): (raw: string) => string {
  return (raw) => {
    if (raw === '') throw new ValueError('an IP address cannot be empty');
    if (!isIpAddress(raw, version)) throw new ValueError(version ? `not an IPv${version} address` : 'not an IPv4 or IPv6 address');
    return raw;
  };
}

/** IPOpt. */
export function ipOpt(o: CommonOptions & { version?: 4 | 6; default: string }): Opt<string>;
export function ipOpt(o?: CommonOptions & { version?: 4 | 6; default?: null }): Opt<string | null>;
export function ipOpt(o: CommonOptions & { version?: 4 | 6; default?: string | null } = {}): Opt<string> | Opt<string | null> {
  return make<string | null>('ip', o.default ?? null, o, parseIp(o.version), strOrEmpty);
}

const LABEL_RE = /^(?!-)[A-Z0-9-]{1,63}(?<!-)$/i;

/** oslo `types.Hostname` (returns the name without a trailing dot). */
export function parseHostname(raw: string): string {
  if (raw.length === 0) throw new ValueError('an empty host name');
  if (raw.length > 253) throw new ValueError('a host name longer than 253 characters');
  const value = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  const labels = value.split('.');
  if (!/[a-zA-Z-]/.test(labels[labels.length - 1] as string)) throw new ValueError('not a valid host address (numeric top-level label)');
  if (!labels.every((l) => LABEL_RE.test(l))) throw new ValueError('not a valid host address');
  return value;
}

/** HostAddressOpt: an IP address or a host name. */
export function hostAddressOpt(o: CommonOptions & { version?: 4 | 6; default: string }): Opt<string>;
export function hostAddressOpt(o?: CommonOptions & { version?: 4 | 6; default?: null }): Opt<string | null>;
export function hostAddressOpt(o: CommonOptions & { version?: 4 | 6; default?: string | null } = {}): Opt<string> | Opt<string | null> {
  const parse = (raw: string): string => {
    if (raw !== '' && isIpAddress(raw, o.version)) return raw;
    try {
      return parseHostname(raw);
    } catch {
      throw new ValueError('not a valid host address');
    }
  };
  return make<string | null>('host', o.default ?? null, o, parse, strOrEmpty);
}
