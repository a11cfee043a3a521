/**
 * Readers for the fields of oslo.versionedobjects primitives (PROTOCOL.md B5):
 * `{"versioned_object.name", ".namespace", ".version", ".data", ".changes"}`.
 *
 * Every reader throws {@link MalformedObject} with the field's path; the decoders in
 * ovo.ts catch it once per object, so one bad field rejects that object only.
 *
 * What the primitives look like on the wire (recorded, neutron 21.0.0):
 * - a field that is not set on the Python object is absent from `data` (a deleted
 *   push carries `id` and a few defaults only); a nullable field set to None is `null`;
 * - `DictOfMiscValuesField` (binding profile, vif_details) travels as a JSON string;
 * - `IPNetworkField` values keep the text stored in the database (AuthenticIPNetwork):
 *   "10.0.0.5" and "10.0.0.0/24" both occur;
 * - sets (security_group_ids) become lists in no particular order.
 */
import { isIP } from 'node:net';

export type Obj = Record<string, unknown>;

export class MalformedObject extends Error {
  override readonly name = 'MalformedObject';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);

/**
 * The `data` of a primitive whose `versioned_object.name` is `name`. A different
 * major version is refused; any minor is accepted, the field readers then decide
 * whether what we need is there (a newer minor only adds fields).
 */
export function unwrapPrimitive(prim: unknown, name: string, major: number, path: string): Obj {
  if (!isObj(prim)) throw new MalformedObject(path, 'not an object');
  const got = prim['versioned_object.name'];
  if (got !== name) throw new MalformedObject(path, `versioned_object.name is ${JSON.stringify(got)}, expected ${name}`);
  const ns = prim['versioned_object.namespace'];
  if (ns !== undefined && ns !== 'versionedobjects') throw new MalformedObject(path, `unknown namespace ${JSON.stringify(ns)}`);
  const version = prim['versioned_object.version'];
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)$/.exec(version) : null;
  if (!m) throw new MalformedObject(path, `bad versioned_object.version ${JSON.stringify(version)}`);
  if (Number(m[1]) !== major) throw new MalformedObject(path, `${name} ${version} has another major version than ours (${major}.x)`);
  const data = prim['versioned_object.data'];
  if (!isObj(data)) throw new MalformedObject(path, 'versioned_object.data is not an object');
  return data;
}

/** Field access on one object's data with the path used in error reasons. */
export class Fields {
  constructor(
    readonly data: Obj,
    readonly path: string,
  ) {}

  private at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.data[key] !== undefined;
  }

  /** The raw value; absent and null both read as null. */
  raw(key: string): unknown {
    return this.data[key] ?? null;
  }

  uuid(key: string): string {
    const v = this.data[key];
    if (!isUuid(v)) throw new MalformedObject(this.at(key), v === undefined ? 'missing' : `not a UUID: ${JSON.stringify(v)}`);
    return v.toLowerCase();
  }

  optUuid(key: string): string | null {
    const v = this.data[key];
    if (v === undefined || v === null) return null;
    return this.uuid(key);
  }

  str(key: string): string {
    const v = this.data[key];
    if (typeof v !== 'string') throw new MalformedObject(this.at(key), v === undefined ? 'missing' : 'not a string');
    return v;
  }

  optStr(key: string): string | null {
    const v = this.data[key];
    if (v === undefined || v === null) return null;
    return this.str(key);
  }

  bool(key: string): boolean {
    const v = this.data[key];
    if (typeof v !== 'boolean') throw new MalformedObject(this.at(key), v === undefined ? 'missing' : 'not a boolean');
    return v;
  }

  /** Absent or null: the field's Python default. */
  boolOr(key: string, dflt: boolean): boolean {
    const v = this.data[key];
    if (v === undefined || v === null) return dflt;
    return this.bool(key);
  }

  int(key: string, min: number, max: number): number {
    const v = this.data[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new MalformedObject(this.at(key), v === undefined ? 'missing' : `not an integer in [${min}, ${max}]: ${JSON.stringify(v)}`);
    }
    return v;
  }

  optInt(key: string, min: number, max: number): number | null {
    const v = this.data[key];
    if (v === undefined || v === null) return null;
    return this.int(key, min, max);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.data[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw new MalformedObject(this.at(key), `${JSON.stringify(v)} is not one of ${allowed.join('|')}`);
    }
    return v as T;
  }

  /** A list field; absent or null reads as empty (nullable ListOfObjectsField). */
  list(key: string): unknown[] {
    const v = this.data[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new MalformedObject(this.at(key), 'not a list');
    return v;
  }

  /** Path of element i of list `key`, for nested decoders. */
  itemPath(key: string, i: number): string {
    return `${this.at(key)}[${i}]`;
  }

  /** Path of field `key`, for nested decoders. */
  fieldPath(key: string): string {
    return this.at(key);
  }

  /** Plain IP address, no prefix length. */
  ip(key: string): string {
    const v = this.data[key];
    if (typeof v !== 'string' || isIP(v) === 0) throw new MalformedObject(this.at(key), v === undefined ? 'missing' : `not an IP address: ${JSON.stringify(v)}`);
    return v;
  }

  optIp(key: string): string | null {
    const v = this.data[key];
    if (v === undefined || v === null) return null;
    return this.ip(key);
  }

  /** An IPNetworkField: an address or addr/len, kept as written. */
  ipOrCidr(key: string): string {
    const v = this.data[key];
    if (!isIpOrCidr(v)) throw new MalformedObject(this.at(key), v === undefined ? 'missing' : `not an address or prefix: ${JSON.stringify(v)}`);
    return v;
  }

  optIpOrCidr(key: string): string | null {
    const v = this.data[key];
    if (v === undefined || v === null) return null;
    return this.ipOrCidr(key);
  }

  /** MACAddressField, returned in netaddr's mac_unix_expanded form (lowercase, colons). */
  mac(key: string): string {
    const v = this.data[key];
    const m = normalizeMac(v);
    if (m === undefined) throw new MalformedObject(this.at(key), v === undefined ? 'missing' : `not a MAC address: ${JSON.stringify(v)}`);
    return m;
  }

  /**
   * DictOfMiscValuesField: a JSON string on the wire (also accepted as an object).
   * Absent, null or "" read as `dflt`.
   */
  jsonDict(key: string, dflt: Obj | null): Obj | null {
    const v = this.data[key];
    if (v === undefined || v === null || v === '') return dflt;
    if (isObj(v)) return v;
    if (typeof v !== 'string') throw new MalformedObject(this.at(key), 'neither a JSON string nor an object');
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      throw new MalformedObject(this.at(key), 'not valid JSON');
    }
    if (!isObj(parsed)) throw new MalformedObject(this.at(key), 'JSON is not an object');
    return parsed;
  }

  stringList(key: string): string[] {
    return this.list(key).map((v, i) => {
      if (typeof v !== 'string') throw new MalformedObject(this.itemPath(key, i), 'not a string');
      return v;
    });
  }
}

export function isIpOrCidr(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const slash = v.indexOf('/');
  if (slash < 0) return isIP(v) !== 0;
  const addr = v.slice(0, slash);
  const len = v.slice(slash + 1);
  const family = isIP(addr);
  if (family === 0 || !/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (family === 4 ? 32 : 128);
}

/**
 * netaddr.EUI(..., dialect=mac_unix_expanded): "fa:16:3e:0d:95:5c". Accepts the
 * spellings netaddr parses that Neutron stores: colon or dash separated, Cisco dotted,
 * bare 12 hex digits.
 */
export function normalizeMac(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  let hex: string | undefined;
  if (/^[0-9a-f]{1,2}([:-][0-9a-f]{1,2}){5}$/i.test(v)) {
    hex = v.split(/[:-]/).map((p) => p.padStart(2, '0')).join('');
  } else if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(v)) {
    hex = v.replaceAll('.', '');
  } else if (/^[0-9a-f]{12}$/i.test(v)) {
    hex = v;
  }
  if (hex === undefined) return undefined;
  return hex.toLowerCase().match(/../g)!.join(':');
}
