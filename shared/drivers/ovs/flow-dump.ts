/**
 * Parsers for the two ways ovs-ofctl 3.1 prints a flow (both pure):
 *
 * 1. `dump-flows` with statistics (we never pass `--no-stats`: it hides `cookie=0x0`
 *    and `table=0`, and we want the counters), one flow per line after a header line
 *    per reply part (`OFPST_FLOW reply (OF1.4) (xid=0x2): flags=[more]` in big dumps):
 *      ` cookie=0x5, duration=0.005s, table=3, n_packets=0, n_bytes=0, idle_timeout=300,
 *        hard_timeout=600, send_flow_rem priority=7,in_port=2 actions=output:1`
 *    Statistics and timeouts are `key=value, `; flags are bare words separated by a
 *    space; the match is the last word before ` actions=`, with `priority=N` first and
 *    left out when N is 32768; an empty match leaves nothing (`n_bytes=0, actions=drop`).
 *    OF1.0 dumps add `idle_age=`/`hard_age=`; OF1.4 ones do not.
 * 2. A flow mod as `ovs-ofctl parse-flows` echoes it, and as an error reply quotes it:
 *      `OFPT_FLOW_MOD (OF1.4) (xid=0x3): ADD table:3 priority=7,in_port=2 cookie:0x5 idle:300 actions=output:1`
 *      `Error OFPBAC_BAD_OUT_GROUP for: OFPT_FLOW_MOD (OF1.4) (xid=0x7): MOD_STRICT priority=10,in_port=1 cookie:0x…/0xffffffffffffffff actions=group:7`
 *    `table:` is left out for table 0.
 * Port and table names never appear: every call passes `--no-names`.
 */
import { parseCookie } from './flow-cookie.js';
import { OfctlOutputError } from './flow-errors.js';
import { DEFAULT_PRIORITY } from './flow-spec.js';

/** One flow as read back from the switch. */
export interface DumpedFlow {
  cookie: bigint;
  table: number;
  priority: number;
  /** The match exactly as OVS prints it for the dump's OpenFlow version, without `priority=`. */
  match: string;
  /** The actions exactly as OVS prints them. */
  actions: string;
  nPackets?: number;
  nBytes?: number;
  /** Seconds since the flow was added (a replaced flow starts again at 0). */
  durationSec?: number;
  /** Only flows made by learn() (or by hand) have timeouts: the synchroniser never sets one. */
  idleTimeout?: number;
  hardTimeout?: number;
}

/** Bare-word flags OVS prints in front of the match. */
const FLAG_WORDS = new Set(['send_flow_rem', 'check_overlap', 'reset_counts', 'no_packet_counts', 'no_byte_counts', 'no_readonly_table']);

/** Splits `priority=N,rest` into N (default 32768) and the rest. */
export function splitPriority(m: string): { priority: number; match: string } {
  const r = /^priority=(\d+)(?:,|$)/.exec(m);
  if (!r) return { priority: DEFAULT_PRIORITY, match: m };
  return { priority: Number(r[1]), match: m.slice(r[0].length) };
}

function int(line: string, key: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new OfctlOutputError(line, `${key} is not a number`);
  return Number(v);
}

/** Parses one flow line of `ovs-ofctl --no-names dump-flows` (with statistics). */
export function parseDumpedFlowLine(raw: string): DumpedFlow {
  const line = raw.trim();
  const at = line.indexOf(' actions=');
  if (at < 0) throw new OfctlOutputError(line, "no ' actions='");
  const actions = line.slice(at + ' actions='.length).trim();
  const tokens = line.slice(0, at).split(' ').filter(Boolean);
  const last = tokens[tokens.length - 1];
  let matchText = '';
  if (last !== undefined && !last.endsWith(',') && !FLAG_WORDS.has(last)) {
    matchText = last;
    tokens.pop();
  }
  const f: DumpedFlow = { cookie: 0n, table: 0, priority: DEFAULT_PRIORITY, match: '', actions };
  for (const t of tokens) {
    const kv = t.replace(/,$/, '');
    const eq = kv.indexOf('=');
    if (eq < 0) {
      if (!FLAG_WORDS.has(kv)) throw new OfctlOutputError(line, `unknown word ${kv}`);
      continue;
    }
    const key = kv.slice(0, eq);
    const v = kv.slice(eq + 1);
    switch (key) {
      case 'cookie':
        try { f.cookie = parseCookie(v); } catch { throw new OfctlOutputError(line, 'bad cookie'); }
        break;
      case 'table': f.table = int(line, key, v); break;
      case 'n_packets': f.nPackets = int(line, key, v); break;
      case 'n_bytes': f.nBytes = int(line, key, v); break;
      case 'idle_timeout': f.idleTimeout = int(line, key, v); break;
      case 'hard_timeout': f.hardTimeout = int(line, key, v); break;
      case 'duration': {
        const d = Number(v.replace(/s$/, ''));
        if (!Number.isFinite(d)) throw new OfctlOutputError(line, 'bad duration');
        f.durationSec = d;
        break;
      }
      default: break; // idle_age, hard_age, importance, …: not needed here
    }
  }
  const p = splitPriority(matchText);
  f.priority = p.priority;
  f.match = p.match;
  return f;
}

/** Parses the whole stdout of `ovs-ofctl --no-names dump-flows BRIDGE`. */
export function parseDumpFlows(stdout: string): DumpedFlow[] {
  const out: DumpedFlow[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(OFPST|NXST)_FLOW reply\b/.test(line)) continue;
    if (!line.startsWith('cookie=')) throw new OfctlOutputError(line, "flow line does not start with 'cookie='");
    out.push(parseDumpedFlowLine(line));
  }
  return out;
}

export type FlowModCommand = 'ADD' | 'MOD' | 'MOD_STRICT' | 'DEL' | 'DEL_STRICT';

/** A flow mod as ovs-ofctl prints it (parse-flows output, error replies). */
export interface FlowModEcho {
  command: FlowModCommand;
  table: number;
  priority: number;
  match: string;
  cookie: bigint;
  /** Present when the flow mod restricts by cookie (`cookie:0x…/0x…`). */
  cookieMask?: bigint;
  /** Absent for deletes. */
  actions?: string;
}

const ECHO = /OFPT_FLOW_MOD \(OF1\.\d\) \(xid=0x[0-9a-f]+\): (ADD|MOD_STRICT|MOD|DEL_STRICT|DEL)\b(.*)$/;
const ECHO_META = /^(table|cookie|idle|hard|pri|buf|out_port|out_group|importance|flags):/;

/** Parses a flow-mod echo anywhere in `line`; undefined when the line holds none. */
export function parseFlowModEcho(line: string): FlowModEcho | undefined {
  const m = ECHO.exec(line.trim());
  if (!m) return undefined;
  let rest = m[2] ?? '';
  let actions: string | undefined;
  const at = rest.indexOf(' actions=');
  if (at >= 0) {
    actions = rest.slice(at + ' actions='.length).trim();
    rest = rest.slice(0, at);
  }
  const e: FlowModEcho = { command: m[1] as FlowModCommand, table: 0, priority: DEFAULT_PRIORITY, match: '', cookie: 0n, ...(actions !== undefined ? { actions } : {}) };
  let matchText = '';
  for (const t of rest.split(' ').filter(Boolean)) {
    if (FLAG_WORDS.has(t)) continue;
    if (!ECHO_META.test(t)) {
      if (matchText !== '') throw new OfctlOutputError(line, 'two match words in a flow mod');
      matchText = t;
      continue;
    }
    const [key, value = ''] = [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)];
    try {
      if (key === 'table') e.table = int(line, key, value);
      else if (key === 'cookie') {
        const [c, mask] = value.split('/');
        e.cookie = parseCookie(c ?? '');
        if (mask !== undefined) e.cookieMask = parseCookie(mask);
      }
    } catch (err) {
      if (err instanceof OfctlOutputError) throw err;
      throw new OfctlOutputError(line, `bad ${key}`);
    }
  }
  const p = splitPriority(matchText);
  e.priority = p.priority;
  e.match = p.match;
  return e;
}
