/**
 * Tap device → port id, as the server resolves it for get_device_details: strip the
 * `tap` prefix and take the one port whose id starts with the rest (ML2's
 * _device_to_port_id, then Port.id.startswith(prefix).one() in get_bound_port_context).
 * No port or several ports → no answer (the server logs "Multiple ports have port_id
 * starting with …" and answers `{device}`).
 *
 * Built from the ids of the ports the resource cache holds for this host; pure.
 */

/** Names taps are made of: tap + port_id[:11] (PROTOCOL.md B10). */
export const TAP_PREFIX = 'tap';
const ID_PREFIX_LEN = 11;

export type TapLookup =
  | { kind: 'port'; portId: string }
  | { kind: 'absent' }
  | { kind: 'ambiguous'; portIds: string[] };

export class TapIndex {
  /** id[:11] → ids: the usual lookup is one map access. */
  private readonly byPrefix = new Map<string, string[]>();
  private readonly ids: string[];

  constructor(portIds: Iterable<string>) {
    this.ids = [...new Set([...portIds].map((id) => id.toLowerCase()))].sort();
    for (const id of this.ids) {
      const k = id.slice(0, ID_PREFIX_LEN);
      const list = this.byPrefix.get(k);
      if (list) list.push(id);
      else this.byPrefix.set(k, [id]);
    }
  }

  lookup(device: string): TapLookup {
    if (!device.startsWith(TAP_PREFIX)) return { kind: 'absent' };
    const prefix = device.slice(TAP_PREFIX.length).toLowerCase();
    // An empty prefix would match every port (startswith('')): never a single answer we want.
    if (prefix === '') return this.ids.length === 0 ? { kind: 'absent' } : { kind: 'ambiguous', portIds: [...this.ids] };
    const found = prefix.length === ID_PREFIX_LEN ? (this.byPrefix.get(prefix) ?? []) : this.ids.filter((id) => id.startsWith(prefix));
    if (found.length === 0) return { kind: 'absent' };
    if (found.length > 1) return { kind: 'ambiguous', portIds: [...found] };
    return { kind: 'port', portId: found[0]! };
  }

  /** Ids among `ids` that `device` could name (what a targeted pull asks for). */
  static candidates(device: string, ids: Iterable<string>): string[] {
    if (!device.startsWith(TAP_PREFIX)) return [];
    const prefix = device.slice(TAP_PREFIX.length).toLowerCase();
    if (prefix === '') return [];
    return [...ids].map((id) => id.toLowerCase()).filter((id) => id.startsWith(prefix));
  }
}
