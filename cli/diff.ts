/**
 * `nucleon diff <agent>`: the daemon's dry run, desired vs actual as operations.
 * Nothing is applied. Exit status as diff(1): 0 in sync, 1 changes pending, 2 trouble.
 */
import { controlRequest, errorMessage } from '../shared/control/client.js';
import type { DiffEntry } from '../shared/control/provider.js';
import type { AgentKind } from '../shared/agent/constants.js';
import type { CommandIo } from './io.js';
import { socketForAgent, type SocketOptions } from './sockets.js';
import { paint, type Style } from './style.js';
import { renderTable } from './table.js';

export interface DiffOptions extends SocketOptions {
  json?: boolean;
  timeoutMs?: number;
}

interface DiffAnswer {
  daemon: string;
  host: string;
  ops: DiffEntry[];
}

function isDiffAnswer(j: unknown): j is DiffAnswer {
  if (typeof j !== 'object' || j === null) return false;
  const o = j as Record<string, unknown>;
  return typeof o['daemon'] === 'string' && Array.isArray(o['ops']);
}

/** Deletes red, creates green, the rest yellow: the colour follows the op's verb. */
function opColor(op: string): 'red' | 'green' | 'yellow' {
  if (/(^|[._-])(del|delete|remove|stop|flush)([._-]|$)/.test(op)) return 'red';
  if (/(^|[._-])(add|create|append|start|write)([._-]|$)/.test(op)) return 'green';
  return 'yellow';
}

export function renderDiff(a: DiffAnswer, st: Style): string[] {
  if (a.ops.length === 0) return [`${a.daemon} on ${a.host}: in sync, nothing to change`];
  const head = `${a.daemon} on ${a.host}: ${a.ops.length} pending change${a.ops.length === 1 ? '' : 's'} (dry run, nothing applied)`;
  const rows = a.ops.map((o) => [paint(st, 'cyan', String(o.key)), paint(st, opColor(String(o.op)), String(o.op)), String(o.description)]);
  return [head, ...renderTable(['KEY', 'OP', 'DESCRIPTION'].map((h) => paint(st, 'bold', h)), rows).map((l) => '  ' + l)];
}

export async function runDiff(kind: AgentKind, opts: DiffOptions, io: CommandIo): Promise<number> {
  const socket = socketForAgent(kind, opts);
  const a = await controlRequest(socket, '/diff', { timeoutMs: opts.timeoutMs ?? 60_000 });
  if (!a.ok) {
    io.err(`${kind}: ${a.reason}`);
    return 2;
  }
  if (a.status !== 200 || !isDiffAnswer(a.json)) {
    io.err(`${kind}: ${a.status === 200 ? 'answer is not a diff' : errorMessage(a)}`);
    return 2;
  }
  if (opts.json) io.out(JSON.stringify(a.json, null, 2));
  else for (const l of renderDiff(a.json, io.style)) io.out(l);
  return a.json.ops.length === 0 ? 0 : 1;
}
