/**
 * Plans are plain data: a typed discriminated union of kernel operations.
 * Planners (pure) produce `Op[]`; the {@link Executor} batches and runs them.
 *
 * Conventions shared by every op:
 * - `key` names the resource the op belongs to (`network:<id>`, `port:<id>`,
 *   `router:<id>`); failures are reported per key and the runner backs off per key.
 * - `netns` absent means the root namespace.
 * - Ops are idempotent as executed: a delete of a missing object and an add of an
 *   existing object count as success (the executor maps NOT_FOUND/EXISTS). Planners
 *   should still only add what is missing, since "exists" is not "equal".
 * - Ops must be JSON-serialisable (no functions, no class instances).
 */

export interface OpBase {
  /** Resource the op belongs to, for error attribution (e.g. `network:<uuid>`). */
  key: string;
}

export interface InNetns {
  /** Target network namespace; absent = root namespace. */
  netns?: string;
}

// ---- namespaces -------------------------------------------------------------

export interface NetnsAddOp extends OpBase { kind: 'netns.add'; name: string }
export interface NetnsDelOp extends OpBase { kind: 'netns.del'; name: string }

// ---- links ------------------------------------------------------------------

export interface BridgeLinkSpec { type: 'bridge'; stp?: boolean; forwardDelay?: number }
export interface VethLinkSpec {
  type: 'veth';
  peer: string;
  /** Create the peer directly inside this namespace (saves a later `link set netns`). */
  peerNetns?: string;
}
export interface VxlanLinkSpec {
  type: 'vxlan';
  vni: number;
  /** Multicast group; exclusive with `remote`. */
  group?: string;
  remote?: string;
  local?: string;
  /** Underlay device. */
  dev?: string;
  /** Always give it: the kernel default is 8472, Neutron uses 4789. */
  dstport: number;
  ttl?: number;
  tos?: number | 'inherit';
  proxy?: boolean;
  /** With l2population the FDB is programmed, so learning is off. */
  nolearning?: boolean;
}
export interface VlanLinkSpec { type: 'vlan'; parent: string; vlanId: number }
export type LinkSpec = BridgeLinkSpec | VethLinkSpec | VxlanLinkSpec | VlanLinkSpec;

export interface LinkAddOp extends OpBase, InNetns {
  kind: 'link.add';
  name: string;
  link: LinkSpec;
  mtu?: number;
  address?: string;
  /** Link group number: `ip link del group G` removes a whole group cheaply. */
  group?: number;
}

/**
 * Changes attributes of an existing link. `moveTo` moves it to another namespace
 * first (links phase); the other attributes are then applied where the link lives.
 */
export interface LinkSetOp extends OpBase, InNetns {
  kind: 'link.set';
  name: string;
  up?: boolean;
  mtu?: number;
  /** Enslave to a bridge; exclusive with `nomaster`. */
  master?: string;
  nomaster?: boolean;
  address?: string;
  /** Move the link into this namespace (`ip link set dev X netns NS`). */
  moveTo?: string;
}

export interface LinkDelOp extends OpBase, InNetns { kind: 'link.del'; name: string }

// ---- addresses, routes, neighbours, fdb ----------------------------------------

export interface AddrOp extends OpBase, InNetns {
  kind: 'addr.add' | 'addr.del';
  dev: string;
  /** `10.0.0.1/24` or `2001:db8::1/64`. */
  cidr: string;
}

export interface RouteOp extends OpBase, InNetns {
  kind: 'route.replace' | 'route.del';
  /** `default` or a cidr. A `default` with an IPv6 `via` is rendered as `::/0`. */
  dst: string;
  via?: string;
  dev?: string;
  /** Table id or name (`main`, `local`). */
  table?: number | string;
  /** Protocol number or name; an own number marks our routes (ownership). */
  proto?: number | string;
  metric?: number;
  scope?: 'global' | 'link' | 'host';
  src?: string;
}

export interface NeighOp extends OpBase, InNetns {
  kind: 'neigh.replace' | 'neigh.del';
  ip: string;
  dev: string;
  /** Required for replace. */
  lladdr?: string;
  nud?: 'permanent' | 'noarp' | 'reachable' | 'stale';
}

export interface FdbOp extends OpBase, InNetns {
  kind: 'fdb.append' | 'fdb.del';
  mac: string;
  dev: string;
  /** Remote VTEP (vxlan). */
  dst?: string;
  /** Entry in the device's own table (`self`) vs the bridge's (`master`). */
  self?: boolean;
  master?: boolean;
  permanent?: boolean;
}

// ---- sysctl, firewall -----------------------------------------------------------

export interface SysctlSetOp extends OpBase, InNetns {
  kind: 'sysctl.set';
  /** `net.ipv4.ip_forward` or slashed `net/ipv4/conf/eth0.100/forwarding`. */
  name: string;
  value: string;
}

/**
 * Replaces whole tables: every table in `rules` (`*nat` … `COMMIT`) is flushed and
 * reloaded atomically by `iptables-restore` (without `--noflush`). Tables not named
 * are left alone.
 */
export interface IptablesRestoreOp extends OpBase, InNetns {
  kind: 'iptables.restore';
  family: 4 | 6;
  rules: string;
}

/**
 * An `nft -f` script, one transaction. To replace an owned table use the idiom
 * `table ip T {}` / `delete table ip T` / `table ip T { … }` (see {@link nftReplaceTable}).
 */
export interface NftApplyOp extends OpBase, InNetns { kind: 'nft.apply'; script: string }

// ---- OVS -----------------------------------------------------------------------

export type OvsCommand =
  | { cmd: 'add-br'; bridge: string; mayExist?: boolean; datapathType?: 'system' | 'netdev' }
  | { cmd: 'del-br'; bridge: string; ifExists?: boolean }
  | { cmd: 'add-port'; bridge: string; port: string; mayExist?: boolean; tag?: number; iface?: Record<string, string> }
  | { cmd: 'del-port'; bridge?: string; port: string; ifExists?: boolean }
  /** `set TABLE RECORD col=value` / `col:key=value`; values are quoted for OVSDB. */
  | { cmd: 'set'; table: 'Bridge' | 'Port' | 'Interface' | 'Open_vSwitch'; record: string; values: Record<string, string | number | boolean>; ifExists?: boolean }
  | { cmd: 'clear'; table: 'Bridge' | 'Port' | 'Interface'; record: string; column: string; ifExists?: boolean };

/** One ovs-vsctl transaction (subcommands joined by `--`). */
export interface OvsVsctlOp extends OpBase, InNetns { kind: 'ovs.vsctl'; commands: OvsCommand[] }

// ---- files and processes --------------------------------------------------------

/** Atomic replace (temp + fsync + rename); no write when the content is unchanged. */
export interface FileWriteOp extends OpBase { kind: 'file.write'; path: string; content: string; mode?: number }
export interface FileRemoveOp extends OpBase { kind: 'file.remove'; path: string }

export interface SignalOp extends OpBase { kind: 'process.signal'; pid: number; signal: NodeJS.Signals }

/** What the injected process supervisor needs to start and recognise a process. */
export interface ProcessSpec {
  /** Stable id, e.g. `dnsmasq:<network_id>`; `process.stop` refers to it. */
  id: string;
  argv: string[];
  netns?: string;
  env?: Record<string, string>;
  pidFile?: string;
}
export interface ProcessStartOp extends OpBase { kind: 'process.start'; spec: ProcessSpec }
export interface ProcessStopOp extends OpBase { kind: 'process.stop'; id: string }

export type Op =
  | NetnsAddOp
  | NetnsDelOp
  | LinkAddOp
  | LinkSetOp
  | LinkDelOp
  | AddrOp
  | RouteOp
  | NeighOp
  | FdbOp
  | SysctlSetOp
  | IptablesRestoreOp
  | NftApplyOp
  | OvsVsctlOp
  | FileWriteOp
  | FileRemoveOp
  | SignalOp
  | ProcessStartOp
  | ProcessStopOp;

export type OpKind = Op['kind'];

/** True for ops that remove something (NOT_FOUND counts as success). */
export function isDelete(op: Op): boolean {
  switch (op.kind) {
    case 'netns.del':
    case 'link.del':
    case 'addr.del':
    case 'route.del':
    case 'neigh.del':
    case 'fdb.del':
    case 'file.remove':
    case 'process.stop':
      return true;
    default:
      return false;
  }
}

/** True for ops that create something (EXISTS counts as success). */
export function isCreate(op: Op): boolean {
  return op.kind === 'netns.add' || op.kind === 'link.add' || op.kind === 'addr.add' || op.kind === 'fdb.append';
}

/**
 * The nft idiom that replaces a table in one transaction: declaring the table first
 * makes the `delete` succeed when it does not exist yet.
 */
export function nftReplaceTable(family: 'ip' | 'ip6' | 'inet' | 'bridge', table: string, body: string): string {
  return `table ${family} ${table} {\n}\ndelete table ${family} ${table}\ntable ${family} ${table} {\n${body.trimEnd()}\n}\n`;
}
