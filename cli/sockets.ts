/**
 * Which control sockets a command talks to: every `*.sock` under `--socket-dir`
 * (default `/var/lib/neutron/nucleon`), or exactly the `--socket PATH`s given.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { controlSocketDir, controlSocketPath } from '../shared/control/socket-path.js';
import type { AgentKind } from '../shared/agent/constants.js';

export interface SocketOptions {
  socketDir?: string;
  socket?: string[];
}

export const DEFAULT_SOCKET_DIR = controlSocketDir();

export function findSockets(opts: SocketOptions): { paths: string[]; searched: string } {
  if (opts.socket && opts.socket.length > 0) return { paths: [...opts.socket], searched: opts.socket.join(', ') };
  const dir = opts.socketDir ?? DEFAULT_SOCKET_DIR;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  return { paths: names.filter((n) => n.endsWith('.sock')).sort().map((n) => join(dir, n)), searched: dir };
}

/** The socket of one agent: the single --socket given, else `<dir>/<kind>.sock`. */
export function socketForAgent(kind: AgentKind, opts: SocketOptions): string {
  if (opts.socket && opts.socket.length > 0) return opts.socket[opts.socket.length - 1] as string;
  return opts.socketDir ? join(opts.socketDir, `${kind}.sock`) : controlSocketPath(kind);
}

/** What to call a daemon that does not answer: its socket's name. */
export function nameFromSocket(path: string): string {
  return basename(path).replace(/\.sock$/, '');
}
