/**
 * The last log lines per resource id, kept in memory for `nucleon trace <id>`.
 *
 * `stream` is a pino destination (a `pino.multistream` entry beside stdout, see
 * `extraStreams` in logger.ts): every line carrying one of the fixed resource id
 * fields (port_id, network_id, router_id, subnet_id) is parsed once and appended to
 * that id's ring. Memory is bounded twice: `limit` lines per id, and `maxIds` ids,
 * the least recently logged id evicted first. Lines without an id cost one
 * substring check. The stream never throws (a log write must not fail the caller).
 */
import { RESOURCE_FIELDS } from './logger.js';

export type RecentLine = Record<string, unknown>;

export interface RecentLogOptions {
  /** Ids tracked at most (least recently logged evicted). Default 2000. */
  maxIds?: number;
  /** Longer lines are not kept (a dumped payload is not worth the memory). Default 16 KiB. */
  maxLineChars?: number;
}

export interface RecentLog {
  /** pino destination: `{ stream, level: 'debug' }` in a multistream. */
  stream: { write(chunk: string): void };
  /** Oldest first; empty for an id never seen. */
  linesFor(id: string): RecentLine[];
  /** Number of ids tracked (for tests and /status). */
  size(): number;
}

export function createRecentLog(limit = 50, opts: RecentLogOptions = {}): RecentLog {
  const maxIds = opts.maxIds ?? 2000;
  const maxChars = opts.maxLineChars ?? 16_384;
  // Map iteration order is insertion order: delete + set moves an id to the end (LRU).
  const byId = new Map<string, RecentLine[]>();

  const remember = (id: string, line: RecentLine): void => {
    let ring = byId.get(id);
    if (ring) byId.delete(id);
    else ring = [];
    ring.push(line);
    if (ring.length > limit) ring.splice(0, ring.length - limit);
    byId.set(id, ring);
    while (byId.size > maxIds) {
      const oldest = byId.keys().next().value;
      if (oldest === undefined) break;
      byId.delete(oldest);
    }
  };

  const take = (text: string): void => {
    if (text.length === 0 || text.length > maxChars || !text.includes('_id"')) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    const line = parsed as RecentLine;
    const ids = new Set<string>();
    for (const f of RESOURCE_FIELDS) {
      const v = line[f];
      if (typeof v === 'string' && v.length > 0) ids.add(v);
    }
    for (const id of ids) remember(id, line);
  };

  return {
    stream: {
      write(chunk: string): void {
        try {
          for (const text of String(chunk).split('\n')) take(text);
        } catch {
          // Never let the trace buffer break logging.
        }
      },
    },
    linesFor: (id) => [...(byId.get(id) ?? [])],
    size: () => byId.size,
  };
}
