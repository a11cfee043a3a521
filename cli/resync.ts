/** `nucleon resync <agent>`: ask one daemon for a full sync (the only state-changing request). */
import { controlRequest, errorMessage } from '../shared/control/client.js';
import type { AgentKind } from '../shared/agent/constants.js';
import type { CommandIo } from './io.js';
import { socketForAgent, type SocketOptions } from './sockets.js';

export interface ResyncOptions extends SocketOptions {
  reason?: string;
}

export async function runResync(kind: AgentKind, opts: ResyncOptions, io: CommandIo): Promise<number> {
  const socket = socketForAgent(kind, opts);
  const q = opts.reason ? `?reason=${encodeURIComponent(opts.reason)}` : '';
  const a = await controlRequest(socket, `/resync${q}`, { method: 'POST' });
  if (!a.ok) {
    io.err(`${kind}: ${a.reason}`);
    return 2;
  }
  if (a.status !== 202) {
    io.err(`${kind}: ${errorMessage(a)}`);
    return 2;
  }
  io.out(`${kind}: full resync requested`);
  return 0;
}
