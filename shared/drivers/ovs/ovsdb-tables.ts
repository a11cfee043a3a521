/**
 * The OVS agent's replica of Open_vSwitch Bridge/Port/Interface rows, fed with
 * RFC 7047 table-updates, and the diff each update makes. Pure: no I/O, no clock.
 *
 * Contract
 * - `apply(updates)` applies one `update` notification and returns its diff. A row
 *   update with `new` is merged over the row's previous columns (ovsdb-server's
 *   `monitor` sends every monitored column in `new`, but merging also keeps a row
 *   whole if a server sends only the changed ones); without `new` it is a delete.
 * - `replace(initial, later)` swaps the whole replica for a monitor's initial rows
 *   (plus updates that arrived before they were applied) and returns the diff
 *   against the replica it replaces: this is the resync after a reconnect.
 * - "changed" lists rows whose decoded value differs; an update that only touched
 *   values we decode the same (ofport `[]` → -1, both "no port") is no change.
 * - A row that fails to decode is left out of the rows (and reported removed if it
 *   was there) and listed in `issues`; its columns are kept, so a later update can
 *   make it whole again.
 * - Rows are frozen and replaced, never mutated: consumers may keep them.
 */
import type { OvsdbRowUpdate, OvsdbTableUpdates } from './ovsdb-client.js';
import {
  decodeBridge,
  decodeInterface,
  decodePort,
  rowsEqual,
  type BridgeRow,
  type Columns,
  type InterfaceRow,
  type PortRow,
} from './ovsdb-rows.js';

export interface TableChange<R> {
  added: R[];
  changed: R[];
  /** The last known version of each removed row. */
  removed: R[];
}

export interface OvsdbTablesChange {
  bridges: TableChange<BridgeRow>;
  ports: TableChange<PortRow>;
  interfaces: TableChange<InterfaceRow>;
}

export interface OvsdbSnapshot {
  bridges: Map<string, BridgeRow>;
  ports: Map<string, PortRow>;
  interfaces: Map<string, InterfaceRow>;
}

/** A row the replica could not decode. */
export interface RowIssue {
  table: string;
  uuid: string;
  err: Error;
}

export interface ApplyResult {
  change: OvsdbTablesChange;
  issues: RowIssue[];
}

type Key = keyof OvsdbTablesChange;

/** OVSDB table name → replica key and decoder. */
const TABLES = {
  Bridge: { key: 'bridges', decode: decodeBridge },
  Port: { key: 'ports', decode: decodePort },
  Interface: { key: 'interfaces', decode: decodeInterface },
} as const;

type TableName = keyof typeof TABLES;
const TABLE_NAMES = Object.keys(TABLES) as TableName[];

class TableState<R extends { uuid: string }> {
  readonly columns = new Map<string, Columns>();
  readonly rows = new Map<string, R>();

  constructor(private readonly table: string, private readonly decode: (uuid: string, c: Columns) => R) {}

  /** Applies one row update; records the effect in `change`. */
  applyRow(uuid: string, u: OvsdbRowUpdate, change: TableChange<R>, issues: RowIssue[]): void {
    const prev = this.rows.get(uuid);
    if (u.new === undefined) {
      this.columns.delete(uuid);
      if (prev) {
        this.rows.delete(uuid);
        change.removed.push(prev);
      }
      return;
    }
    const merged: Columns = { ...(this.columns.get(uuid) ?? {}), ...u.new };
    this.columns.set(uuid, merged);
    let row: R;
    try {
      row = this.decode(uuid, merged);
    } catch (err) {
      issues.push({ table: this.table, uuid, err: err instanceof Error ? err : new Error(String(err)) });
      if (prev) {
        this.rows.delete(uuid);
        change.removed.push(prev);
      }
      return;
    }
    this.rows.set(uuid, row);
    if (!prev) change.added.push(row);
    else if (!rowsEqual(prev, row)) change.changed.push(row);
  }

  /** Diff from `this` (old) to `next`. */
  diffTo(next: TableState<R>): TableChange<R> {
    const change: TableChange<R> = { added: [], changed: [], removed: [] };
    for (const [uuid, row] of next.rows) {
      const prev = this.rows.get(uuid);
      if (!prev) change.added.push(row);
      else if (!rowsEqual(prev, row)) change.changed.push(row);
    }
    for (const [uuid, row] of this.rows) if (!next.rows.has(uuid)) change.removed.push(row);
    return change;
  }
}

interface States {
  bridges: TableState<BridgeRow>;
  ports: TableState<PortRow>;
  interfaces: TableState<InterfaceRow>;
}

function newStates(): States {
  return {
    bridges: new TableState('Bridge', TABLES.Bridge.decode),
    ports: new TableState('Port', TABLES.Port.decode),
    interfaces: new TableState('Interface', TABLES.Interface.decode),
  };
}

export function emptyChange(): OvsdbTablesChange {
  return {
    bridges: { added: [], changed: [], removed: [] },
    ports: { added: [], changed: [], removed: [] },
    interfaces: { added: [], changed: [], removed: [] },
  };
}

/** True when the change lists no row at all. */
export function isEmptyChange(c: OvsdbTablesChange): boolean {
  return (['bridges', 'ports', 'interfaces'] as const).every((k) => c[k].added.length + c[k].changed.length + c[k].removed.length === 0);
}

function applyTo(states: States, updates: OvsdbTableUpdates, change: OvsdbTablesChange, issues: RowIssue[]): void {
  for (const name of TABLE_NAMES) {
    const rows = updates[name];
    if (!rows) continue;
    const key: Key = TABLES[name].key;
    // One branch per key keeps the row types paired with their states.
    for (const [uuid, u] of Object.entries(rows)) {
      if (key === 'bridges') states.bridges.applyRow(uuid, u, change.bridges, issues);
      else if (key === 'ports') states.ports.applyRow(uuid, u, change.ports, issues);
      else states.interfaces.applyRow(uuid, u, change.interfaces, issues);
    }
  }
}

export class OvsdbTables {
  private s: States = newStates();
  /** Lazily built lookup indexes; dropped on every change. */
  private idx: {
    interfaceByName: Map<string, string>;
    portByName: Map<string, string>;
    bridgeByName: Map<string, string>;
    portOfInterface: Map<string, string>;
    bridgeOfPort: Map<string, string>;
  } | undefined;

  /** Applies one `update` notification's table-updates. */
  apply(updates: OvsdbTableUpdates): ApplyResult {
    const change = emptyChange();
    const issues: RowIssue[] = [];
    applyTo(this.s, updates, change, issues);
    if (!isEmptyChange(change)) this.idx = undefined;
    return { change, issues };
  }

  /** Replaces everything with a monitor's initial rows (then `later` updates, in order). */
  replace(initial: OvsdbTableUpdates, later: readonly OvsdbTableUpdates[] = []): ApplyResult {
    const next = newStates();
    const issues: RowIssue[] = [];
    // Scratch change: only the diff against the old replica is reported.
    const scratch = emptyChange();
    applyTo(next, initial, scratch, issues);
    for (const u of later) applyTo(next, u, scratch, issues);
    const change: OvsdbTablesChange = {
      bridges: this.s.bridges.diffTo(next.bridges),
      ports: this.s.ports.diffTo(next.ports),
      interfaces: this.s.interfaces.diffTo(next.interfaces),
    };
    this.s = next;
    this.idx = undefined;
    return { change, issues };
  }

  /** Copies of the current rows, by UUID. */
  snapshot(): OvsdbSnapshot {
    return {
      bridges: new Map(this.s.bridges.rows),
      ports: new Map(this.s.ports.rows),
      interfaces: new Map(this.s.interfaces.rows),
    };
  }

  get counts(): { bridges: number; ports: number; interfaces: number } {
    return { bridges: this.s.bridges.rows.size, ports: this.s.ports.rows.size, interfaces: this.s.interfaces.rows.size };
  }

  bridge(uuid: string): BridgeRow | undefined {
    return this.s.bridges.rows.get(uuid);
  }

  port(uuid: string): PortRow | undefined {
    return this.s.ports.rows.get(uuid);
  }

  interface(uuid: string): InterfaceRow | undefined {
    return this.s.interfaces.rows.get(uuid);
  }

  interfaceByName(name: string): InterfaceRow | undefined {
    const u = this.indexes().interfaceByName.get(name);
    return u === undefined ? undefined : this.s.interfaces.rows.get(u);
  }

  portByName(name: string): PortRow | undefined {
    const u = this.indexes().portByName.get(name);
    return u === undefined ? undefined : this.s.ports.rows.get(u);
  }

  bridgeByName(name: string): BridgeRow | undefined {
    const u = this.indexes().bridgeByName.get(name);
    return u === undefined ? undefined : this.s.bridges.rows.get(u);
  }

  /** The Port whose `interfaces` holds this Interface. */
  portOfInterface(iface: string | InterfaceRow): PortRow | undefined {
    const u = this.indexes().portOfInterface.get(typeof iface === 'string' ? iface : iface.uuid);
    return u === undefined ? undefined : this.s.ports.rows.get(u);
  }

  /** The Bridge whose `ports` holds this Port. */
  bridgeOfPort(port: string | PortRow): BridgeRow | undefined {
    const u = this.indexes().bridgeOfPort.get(typeof port === 'string' ? port : port.uuid);
    return u === undefined ? undefined : this.s.bridges.rows.get(u);
  }

  /** Interfaces with `external_ids:iface-id` = `ifaceId` (Neutron's port UUID); usually one. */
  interfacesByIfaceId(ifaceId: string): InterfaceRow[] {
    return [...this.s.interfaces.rows.values()].filter((i) => i.external_ids['iface-id'] === ifaceId);
  }

  private indexes(): NonNullable<OvsdbTables['idx']> {
    if (this.idx) return this.idx;
    const byName = <R extends { uuid: string; name: string }>(rows: Map<string, R>): Map<string, string> =>
      new Map([...rows.values()].map((r) => [r.name, r.uuid]));
    const portOfInterface = new Map<string, string>();
    for (const p of this.s.ports.rows.values()) for (const i of p.interfaces) portOfInterface.set(i, p.uuid);
    const bridgeOfPort = new Map<string, string>();
    for (const b of this.s.bridges.rows.values()) for (const p of b.ports) bridgeOfPort.set(p, b.uuid);
    this.idx = {
      interfaceByName: byName(this.s.interfaces.rows),
      portByName: byName(this.s.ports.rows),
      bridgeByName: byName(this.s.bridges.rows),
      portOfInterface,
      bridgeOfPort,
    };
    return this.idx;
  }
}
