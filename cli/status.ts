/** `nucleon status`: every daemon's /status, in one table. */
import { controlRequest, errorMessage } from '../shared/control/client.js';
import type { StatusDocument } from '../shared/control/status.js';
import type { CommandIo } from './io.js';
import { findSockets, nameFromSocket, type SocketOptions } from './sockets.js';
import { renderStatus, statusExitCode, type StatusResult } from './status-table.js';

export interface StatusOptions extends SocketOptions {
  json?: boolean;
  timeoutMs?: number;
}

function looksLikeStatus(j: unknown): j is StatusDocument {
  if (typeof j !== 'object' || j === null) return false;
  const o = j as Record<string, unknown>;
  const h = o['health'] as Record<string, unknown> | undefined;
  return typeof o['daemon'] === 'string' && typeof o['host'] === 'string' && typeof h === 'object' && h !== null && typeof h['state'] === 'string' && Array.isArray(h['failing']);
}

export async function fetchStatus(socket: string, timeoutMs?: number): Promise<StatusResult> {
  const name = nameFromSocket(socket);
  const a = await controlRequest(socket, '/status', timeoutMs !== undefined ? { timeoutMs } : {});
  if (!a.ok) return { socket, name, answered: false, reason: a.reason };
  if (a.status !== 200) return { socket, name, answered: false, reason: errorMessage(a) };
  if (!looksLikeStatus(a.json)) return { socket, name, answered: false, reason: 'answer is not a nucleon status' };
  return { socket, name, answered: true, status: a.json };
}

export async function runStatus(opts: StatusOptions, io: CommandIo): Promise<number> {
  const { paths, searched } = findSockets(opts);
  if (paths.length === 0) {
    io.err(`no control sockets under ${searched} (no nucleon daemon running here? use --socket-dir or --socket)`);
    return 1;
  }
  const results = await Promise.all(paths.map((p) => fetchStatus(p, opts.timeoutMs)));
  if (opts.json) io.out(JSON.stringify(results, null, 2));
  else for (const l of renderStatus(results, io.now(), io.style)) io.out(l);
  return statusExitCode(results);
}
