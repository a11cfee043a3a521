/**
 * Typed rows of the Open_vSwitch tables the OVS agent watches, the columns it
 * monitors, and their decoding from OVSDB notation. Pure.
 *
 * Decoding takes a column record as a monitor delivers it; a column that is absent
 * gets its schema default (empty set/map, "" for strings), so a row stays decodable
 * whatever subset of columns the server chose to send.
 */
import {
  decodeInteger,
  decodeSet,
  decodeOptional,
  decodeString,
  decodeStringMap,
  decodeUuidSet,
} from './ovsdb-notation.js';

export type LinkState = 'up' | 'down';

export interface BridgeRow {
  readonly uuid: string;
  readonly name: string;
  /** Port UUIDs, sorted. */
  readonly ports: readonly string[];
  /** "" (system), "netdev", … */
  readonly datapath_type: string;
  /** "secure" or "standalone"; undefined when unset (vswitchd then acts as standalone). */
  readonly fail_mode: string | undefined;
  readonly external_ids: Readonly<Record<string, string>>;
  readonly other_config: Readonly<Record<string, string>>;
}

export interface PortRow {
  readonly uuid: string;
  readonly name: string;
  /** Interface UUIDs, sorted. */
  readonly interfaces: readonly string[];
  /** Access VLAN; undefined for a trunk (no tag). */
  readonly tag: number | undefined;
  /** "trunk", "access", …; undefined when unset. */
  readonly vlan_mode: string | undefined;
  /** Trunked VLANs, sorted; empty when unset. */
  readonly trunks: readonly number[];
  readonly other_config: Readonly<Record<string, string>>;
  readonly external_ids: Readonly<Record<string, string>>;
}

export interface InterfaceRow {
  readonly uuid: string;
  readonly name: string;
  /**
   * OpenFlow port number. Undefined while ovs-vswitchd has not assigned one yet
   * (the column is an empty set right after the insert) and when it failed to
   * create the interface (-1; see `error`).
   */
  readonly ofport: number | undefined;
  /** "" (system), "internal", "vxlan", "patch", … */
  readonly type: string;
  /** Neutron sets `iface-id` (port UUID), `attached-mac`, `iface-status`, `vm-uuid`. */
  readonly external_ids: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** Why vswitchd could not set the interface up (e.g. "could not open network device …"). */
  readonly error: string | undefined;
  readonly mac_in_use: string | undefined;
  readonly admin_state: LinkState | undefined;
  readonly link_state: LinkState | undefined;
}

export const BRIDGE_COLUMNS = ['name', 'ports', 'datapath_type', 'fail_mode', 'external_ids', 'other_config'] as const;
export const PORT_COLUMNS = ['name', 'interfaces', 'tag', 'vlan_mode', 'trunks', 'other_config', 'external_ids'] as const;
export const INTERFACE_COLUMNS = ['name', 'ofport', 'type', 'external_ids', 'options', 'error', 'mac_in_use', 'admin_state', 'link_state'] as const;

export type Columns = Readonly<Record<string, unknown>>;

const EMPTY_SET = ['set', []];
const EMPTY_MAP = ['map', []];

function col(c: Columns, name: string, dflt: unknown): unknown {
  return Object.prototype.hasOwnProperty.call(c, name) ? c[name] : dflt;
}

/** Wraps a decode failure with the column it came from. */
function field<T>(c: Columns, name: string, dflt: unknown, decode: (d: unknown) => T): T {
  try {
    return decode(col(c, name, dflt));
  } catch (err) {
    if (err instanceof Error) err.message = `column ${name}: ${err.message}`;
    throw err;
  }
}

function linkState(d: unknown): LinkState {
  const s = decodeString(d);
  if (s !== 'up' && s !== 'down') throw new Error(`expected "up" or "down", got ${JSON.stringify(s)}`);
  return s;
}

export function decodeBridge(uuid: string, c: Columns): BridgeRow {
  return Object.freeze({
    uuid,
    name: field(c, 'name', '', decodeString),
    ports: Object.freeze(field(c, 'ports', EMPTY_SET, decodeUuidSet)),
    datapath_type: field(c, 'datapath_type', '', decodeString),
    fail_mode: field(c, 'fail_mode', EMPTY_SET, (d) => decodeOptional(d, decodeString)),
    external_ids: Object.freeze(field(c, 'external_ids', EMPTY_MAP, decodeStringMap)),
    other_config: Object.freeze(field(c, 'other_config', EMPTY_MAP, decodeStringMap)),
  });
}

export function decodePort(uuid: string, c: Columns): PortRow {
  return Object.freeze({
    uuid,
    name: field(c, 'name', '', decodeString),
    interfaces: Object.freeze(field(c, 'interfaces', EMPTY_SET, decodeUuidSet)),
    tag: field(c, 'tag', EMPTY_SET, (d) => decodeOptional(d, decodeInteger)),
    vlan_mode: field(c, 'vlan_mode', EMPTY_SET, (d) => decodeOptional(d, decodeString)),
    trunks: Object.freeze(field(c, 'trunks', EMPTY_SET, (d) => decodeSet(d).map(decodeInteger).sort((a, b) => a - b))),
    other_config: Object.freeze(field(c, 'other_config', EMPTY_MAP, decodeStringMap)),
    external_ids: Object.freeze(field(c, 'external_ids', EMPTY_MAP, decodeStringMap)),
  });
}

export function decodeInterface(uuid: string, c: Columns): InterfaceRow {
  const ofport = field(c, 'ofport', EMPTY_SET, (d) => decodeOptional(d, decodeInteger));
  return Object.freeze({
    uuid,
    name: field(c, 'name', '', decodeString),
    // -1: vswitchd gave up on this interface; same as "no port number" for users.
    ofport: ofport === undefined || ofport < 0 ? undefined : ofport,
    type: field(c, 'type', '', decodeString),
    external_ids: Object.freeze(field(c, 'external_ids', EMPTY_MAP, decodeStringMap)),
    options: Object.freeze(field(c, 'options', EMPTY_MAP, decodeStringMap)),
    error: field(c, 'error', EMPTY_SET, (d) => decodeOptional(d, decodeString)),
    mac_in_use: field(c, 'mac_in_use', EMPTY_SET, (d) => decodeOptional(d, decodeString)),
    admin_state: field(c, 'admin_state', EMPTY_SET, (d) => decodeOptional(d, linkState)),
    link_state: field(c, 'link_state', EMPTY_SET, (d) => decodeOptional(d, linkState)),
  });
}

/**
 * Structural equality of two decoded rows (primitives, string arrays, string
 * records). Used to tell "changed" from "touched by an update without effect".
 */
export function rowsEqual(a: object, b: object): boolean {
  return valueEqual(a, b);
}

function valueEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && valueEqual(ra[k], rb[k]));
}
