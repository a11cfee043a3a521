/**
 * A ControlProvider for a daemon whose dataplane does not provide one yet: identity,
 * always-ok own health (the runner's failing keys, the broker and report_state still
 * count, see status.ts), no diff/trace, and resync forwarded to whatever the daemon
 * has (a runner's requestFullSync, the reporter's revived hook…).
 */
import type { ControlProvider } from './provider.js';

export interface BasicProviderOptions {
  agentType: string;
  host: string;
  daemon: string;
  /** Called for POST /resync; without it the request is accepted and only logged. */
  resync?: (reason: string) => void;
  status?: () => Record<string, unknown>;
}

export function basicProvider(o: BasicProviderOptions): ControlProvider {
  return {
    agentType: o.agentType,
    host: o.host,
    daemon: o.daemon,
    status: o.status ?? (() => ({})),
    health: () => ({ state: 'ok', failing: [] }),
    resync: (reason) => o.resync?.(reason),
  };
}
