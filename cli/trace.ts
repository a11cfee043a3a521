/**
 * `nucleon trace <id>`: what every daemon on this node knows about one resource —
 * its desired state, the kernel objects found for it, and its recent log lines.
 * Exit status: 0 if some daemon knew the id, 1 if none did, 2 if none answered.
 */
import { controlRequest, errorMessage } from '../shared/control/client.js';
import type { CommandIo } from './io.js';
import { formatLogLine } from './log-format.js';
import { findSockets, nameFromSocket, type SocketOptions } from './sockets.js';
import { paint } from './style.js';

export interface TraceOptions extends SocketOptions {
  json?: boolean;
  timeoutMs?: number;
}

type Rec = Record<string, unknown>;
export type TraceResult = { socket: string; name: string; answer: Rec } | { socket: string; name: string; error: string };

/** Fields of a trace answer that are about the answer, not the resource. */
const ENVELOPE = new Set(['daemon', 'host', 'id', 'traced', 'log_lines']);

function knows(a: Rec): boolean {
  const lines = Array.isArray(a['log_lines']) ? a['log_lines'].length : 0;
  const facts = Object.entries(a).filter(([k, v]) => !ENVELOPE.has(k) && !isEmpty(v));
  return lines > 0 || facts.length > 0;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

export function renderTrace(id: string, results: readonly TraceResult[], io: Pick<CommandIo, 'style'>): string[] {
  const st = io.style;
  const out: string[] = [];
  for (const r of results) {
    if ('error' in r) {
      out.push(`${paint(st, 'bold', r.name)}: ${paint(st, 'red', 'no answer')} (${r.error})`);
      continue;
    }
    const a = r.answer;
    const daemon = typeof a['daemon'] === 'string' ? a['daemon'] : r.name;
    if (!knows(a)) {
      out.push(`${paint(st, 'bold', daemon)}: nothing known about ${id}${a['traced'] === false ? ' (no trace support yet)' : ''}`);
      continue;
    }
    out.push(paint(st, 'bold', `${daemon} on ${String(a['host'] ?? '?')}`));
    for (const [k, v] of Object.entries(a)) {
      if (ENVELOPE.has(k) || isEmpty(v)) continue;
      out.push(`  ${paint(st, 'cyan', k)}:`);
      for (const l of JSON.stringify(v, null, 2).split('\n')) out.push(`    ${l}`);
    }
    const lines = Array.isArray(a['log_lines']) ? (a['log_lines'] as unknown[]) : [];
    if (lines.length > 0) {
      out.push(`  ${paint(st, 'cyan', 'recent log lines')} (${lines.length}):`);
      for (const l of lines) if (typeof l === 'object' && l !== null) out.push(`    ${formatLogLine(l as Rec, st)}`);
    }
  }
  return out;
}

export async function runTrace(id: string, opts: TraceOptions, io: CommandIo): Promise<number> {
  const { paths, searched } = findSockets(opts);
  if (paths.length === 0) {
    io.err(`no control sockets under ${searched} (no nucleon daemon running here? use --socket-dir or --socket)`);
    return 2;
  }
  const results: TraceResult[] = await Promise.all(paths.map(async (socket): Promise<TraceResult> => {
    const name = nameFromSocket(socket);
    const a = await controlRequest(socket, `/trace/${encodeURIComponent(id)}`, { timeoutMs: opts.timeoutMs ?? 30_000 });
    if (!a.ok) return { socket, name, error: a.reason };
    if (a.status !== 200 || typeof a.json !== 'object' || a.json === null) return { socket, name, error: errorMessage(a) };
    return { socket, name, answer: a.json as Rec };
  }));
  if (opts.json) io.out(JSON.stringify(results, null, 2));
  else for (const l of renderTrace(id, results, io)) io.out(l);
  const answered = results.filter((r): r is Extract<TraceResult, { answer: Rec }> => 'answer' in r);
  if (answered.length === 0) return 2;
  return answered.some((r) => knows(r.answer)) ? 0 : 1;
}
