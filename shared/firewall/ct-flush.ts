/**
 * Which conntrack zones to flush when the firewall is about to take something away.
 * Pure: compares what the kernel has now (the tables and sets read at the start of an
 * apply) with what the apply will write; nothing is remembered between applies.
 *
 * Why: a rule only sees a connection's first packet; once conntrack calls it
 * ESTABLISHED, the `RELATED,ESTABLISHED RETURN` at the top of every port chain lets it
 * through whatever the rules say later. Python deletes the entries a removed rule or
 * member allowed (ip_conntrack.py); we flush the zone of every port that loses a rule
 * line, a member of a set its rules match, or its port-security-off/trusted ACCEPT.
 * That over-approximates on purpose (the zone may hold other connections of the same
 * network, which conntrack picks up again from their next packet) and never misses one.
 *
 * A port whose lines are identical before and after (a restart, a node taken over
 * from the Python agent, a re-apply) flushes nothing.
 */
import type { SavedTable } from './iptables-save.js';
import type { ChainNames } from './names.js';
import type { IpsetSpec, OwnedFilterTable, SgPort } from './types.js';

export interface FlushInput {
  names: ChainNames;
  /** Filter tables as read back (per family) and as they will be written. */
  saved: readonly SavedTable[];
  desired: readonly OwnedFilterTable[];
  /** ipset members as read back, and the sets as they will be. */
  setsNow: ReadonlyMap<string, ReadonlySet<string>>;
  setsWanted: readonly IpsetSpec[];
  /** The filtered ports and the zone each gets (by port id). */
  ports: readonly SgPort[];
  zoneOf: (port: SgPort) => number | undefined;
}

/**
 * The rule lines that concern each port's device: its own chains, and lines of other
 * owned chains naming it. One pass over the lines for all ports (this runs on every
 * firewall apply; one pass per port would be ports x lines).
 */
function linesByDevice(rules: Iterable<string>, names: ChainNames, devices: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(devices.map((d) => [d, new Set<string>()]));
  const chainOwner = new Map<string, string>();
  for (const d of devices) for (const k of ['i', 'o', 's'] as const) chainOwner.set(names.port(k, d), d);
  for (const r of rules) {
    const words = r.split(' ');
    const chain = words[1] ?? '';
    const owner = chainOwner.get(chain);
    if (owner !== undefined) out.get(owner)?.add(r);
    else if (names.isOwned(chain)) for (const w of words) out.get(w)?.add(r);
  }
  return out;
}

const MATCH_SET = / --match-set (\S+) /g;

export function zonesToFlush(input: FlushInput): number[] {
  const { names } = input;
  const savedLines = input.saved.flatMap((t) => [...t.rules.values()].flat());
  const desiredLines = input.desired.flatMap((t) => t.rules);
  const wanted = new Map(input.setsWanted.map((s) => [s.name, new Set(s.members)]));
  // Sets that lose a member (or go away with members in them).
  const shrunk = new Set<string>();
  for (const [name, now] of input.setsNow) {
    const want = wanted.get(name) ?? new Set<string>();
    for (const m of now) if (!want.has(m)) { shrunk.add(name); break; }
  }
  const devices = input.ports.map((p) => p.device);
  const beforeBy = linesByDevice(savedLines, names, devices);
  const afterBy = linesByDevice(desiredLines, names, devices);
  const zones = new Set<number>();
  for (const p of input.ports) {
    const zone = input.zoneOf(p);
    if (zone === undefined) continue;
    const before = beforeBy.get(p.device) ?? new Set<string>();
    const after = afterBy.get(p.device) ?? new Set<string>();
    let flush = [...before].some((l) => !after.has(l));
    if (!flush) {
      for (const l of after) {
        for (const m of l.matchAll(MATCH_SET)) if (m[1] !== undefined && shrunk.has(m[1])) flush = true;
      }
    }
    if (flush) zones.add(zone);
  }
  return [...zones].sort((a, b) => a - b);
}
