/**
 * Filtering pino JSON lines: by daemon (`agent` field), resource id (the fixed
 * fields port_id/network_id/router_id/subnet_id, exact or prefix), time and
 * minimum level. Lines that are not JSON (a crash trace on stderr in the journal)
 * pass only when no filter would need a field to judge them.
 */
import { RESOURCE_FIELDS } from '../shared/logging/logger.js';

export type LogRecord = Record<string, unknown>;

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

export function isLevelName(s: string): s is LevelName {
  return Object.hasOwn(LEVELS, s);
}

/** pino writes labels here (formatters.level); numbers are pino's default, accepted too. */
export function levelNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && isLevelName(v)) return LEVELS[v];
  return undefined;
}

export function levelName(v: unknown): string {
  const n = levelNumber(v);
  if (n === undefined) return typeof v === 'string' ? v : '?';
  const hit = (Object.entries(LEVELS) as Array<[LevelName, number]>).find(([, x]) => x === n);
  return hit ? hit[0] : String(n);
}

export function timeOf(rec: LogRecord): number | undefined {
  const t = rec['time'];
  if (typeof t === 'number' && Number.isFinite(t)) return t;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export type ParsedLine = { rec: LogRecord; text: string } | { rec: undefined; text: string };

export function parseLogLine(text: string): ParsedLine {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return { rec: v as LogRecord, text };
    } catch {
      // falls through: shown as a raw line
    }
  }
  return { rec: undefined, text };
}

export interface LogFilter {
  /** Daemon name as in the `agent` field, e.g. nucleon-dhcp-agent. */
  agent?: string;
  /** A resource id or a prefix of one. */
  resource?: string;
  /** Epoch ms: lines at or after. */
  since?: number;
  /** Minimum level (number). */
  level?: number;
}

export function resourceIds(rec: LogRecord): string[] {
  const ids: string[] = [];
  for (const f of RESOURCE_FIELDS) {
    const v = rec[f];
    if (typeof v === 'string' && v.length > 0) ids.push(v);
  }
  return ids;
}

export function matchesFilter(line: ParsedLine, f: LogFilter): boolean {
  const rec = line.rec;
  if (!rec) return f.resource === undefined && f.level === undefined && f.since === undefined && f.agent === undefined;
  if (f.agent !== undefined && rec['agent'] !== f.agent) return false;
  if (f.resource !== undefined) {
    const want = f.resource;
    if (!resourceIds(rec).some((id) => id === want || id.startsWith(want))) return false;
  }
  if (f.level !== undefined) {
    const n = levelNumber(rec['level']);
    if (n === undefined || n < f.level) return false;
  }
  if (f.since !== undefined) {
    const t = timeOf(rec);
    if (t === undefined || t < f.since) return false;
  }
  return true;
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30s`, `10m`, `2h`, `1d`, `1w` before now, or an absolute date/time Date.parse reads (ISO 8601). */
export function parseSince(s: string, now: number): number {
  const rel = /^(\d+)\s*([smhdw])$/.exec(s.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  const abs = Date.parse(s);
  if (Number.isNaN(abs)) throw new Error(`--since "${s}": expected a duration (30s, 10m, 2h, 1d, 1w) or a date/time (2024-05-01T10:00:00Z)`);
  return abs;
}
