/**
 * What one apply of the DHCP agent does, decided from the runner's work (pure).
 *
 * Keys: `network:<id>` comes from a notification: fetch the network from the server
 * (get_network_info) and serve it, first thing in the apply. The others are work the
 * agent queued for itself, never an RPC: `check:<id>` compares the network's local
 * state with what was served (the rest of a periodic pass), `sync:<id>` serves the
 * network from the agent's copy of the server's view (the rest of a server sync, a
 * network whose local state drifted).
 *
 * Full syncs come in two kinds, as in neutron-dhcp-agent:
 * - a server sync (start-up, revived, broker reconnect, agent_updated, after an apply
 *   threw): get_active_networks_info, then every network is served again;
 * - the periodic pass (only the timer asked): no RPC; the local state of every served
 *   network (namespace, veth, addresses, route, files, dnsmasq, haproxy) is compared
 *   with what was served, and only networks that drifted are served again. Python's
 *   agent does no periodic check at all (only its ProcessMonitor respawns dnsmasq).
 *
 * All work is done in slices: at most about `budgetMs` per apply (at least one
 * notified network, and one check wave or queued network), the rest is handed back to
 * the runner as deferred keys.
 * A notification arriving meanwhile is in the next apply, served before the rest, so it
 * waits for one slice, never for a whole pass over many networks (nor for a burst of
 * other notifications: those beyond the budget are handed back too).
 */
import type { ApplyWork } from '../../shared/reconcile/runner.js';

export const NETWORK_KEY = 'network:';
export const SYNC_KEY = 'sync:';
export const CHECK_KEY = 'check:';

export const networkKey = (id: string): string => `${NETWORK_KEY}${id}`;
export const syncKey = (id: string): string => `${SYNC_KEY}${id}`;
export const checkKey = (id: string): string => `${CHECK_KEY}${id}`;

/** The only full-sync reason that asks for a local check instead of a server sync. */
export const PERIODIC = 'periodic';

export interface DhcpWorkPlan {
  /**
   * Networks named by notifications: fetched from the server and served first, in the
   * runner's order (keys marked during the last apply come before the ones it handed
   * back, so a fresh notification goes before an older backlog).
   */
  refetch: string[];
  /** Networks queued by the agent itself, served from its copy of the server's view. */
  fromCache: string[];
  /** Networks queued by the agent itself for a local-state check (not in the two above). */
  toCheck: string[];
  /** get_active_networks_info, then serve every network (in slices). */
  serverSync: boolean;
  /** Periodic pass: check every served network's local state, serve those that drifted. */
  driftCheck: boolean;
}

export function planWork(work: ApplyWork): DhcpWorkPlan {
  const refetch = new Set<string>();
  const fromCache = new Set<string>();
  const toCheck = new Set<string>();
  for (const k of work.keys) {
    if (k.startsWith(NETWORK_KEY)) refetch.add(k.slice(NETWORK_KEY.length));
    else if (k.startsWith(SYNC_KEY)) fromCache.add(k.slice(SYNC_KEY.length));
    else if (k.startsWith(CHECK_KEY)) toCheck.add(k.slice(CHECK_KEY.length));
  }
  // Serving a network reads and repairs all of it: no separate check, no double serve.
  for (const id of refetch) fromCache.delete(id);
  for (const id of [...refetch, ...fromCache]) toCheck.delete(id);
  // A runner without fullSyncReasons: fall back to all reasons (a server sync unless
  // the timer alone asked, as before).
  const why = work.fullSyncReasons ?? work.reason;
  const serverSync = work.fullSync && (why.length === 0 || why.some((r) => r !== PERIODIC));
  return { refetch: [...refetch], fromCache: [...fromCache].sort(), toCheck: [...toCheck].sort(), serverSync, driftCheck: work.fullSync && !serverSync };
}

/**
 * Time spent in one apply. Each lane may always serve its first network, so neither
 * a slow notification starves the queued work (drift repair) nor the reverse.
 */
export type Lane = 'notified' | 'queued';

export class SliceBudget {
  private readonly start: number;
  private readonly served: Record<Lane, number> = { notified: 0, queued: 0 };

  constructor(private readonly budgetMs: number, private readonly now: () => number = () => performance.now()) {
    this.start = now();
  }

  /** Whether time is left. */
  left(): boolean {
    return this.now() - this.start < this.budgetMs;
  }

  /** Whether one more network of the lane may be served now: its first, then while time is left. */
  take(lane: Lane): boolean {
    if (this.served[lane] > 0 && !this.left()) return false;
    this.served[lane] += 1;
    return true;
  }
}
