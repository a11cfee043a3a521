/**
 * Which instance asks: Neutron's _get_instance_and_tenant_id without the webob.
 *
 * - Router path: the router's networks (its interface ports, device_owner in
 *   ROUTER_INTERFACE_OWNERS), then the ports on those networks holding the client
 *   address. Network path: the ports on that one network.
 * - Exactly one port must match; none or several → null (Neutron: 404).
 * - Both steps are cached separately, as Neutron's two cached methods are, under
 *   keys that say what was asked; `skipCache` re-asks the server and refreshes the
 *   entry (Neutron does that after Nova's 404: the instance may be gone).
 * - Identical lookups in flight at once share one RPC: a burst of cloud-init
 *   requests from one VM costs one get_ports, with or without a cache.
 */
import type { RemoteAddress } from './ip.js';
import type { ProxyTarget } from './headers.js';
import { ROUTER_INTERFACE_OWNERS, type PortFilters, type PortsApi } from './plugin-api.js';
import type { LookupCache } from './cache/resilient.js';

export interface Instance {
  instanceId: string;
  tenantId: string | null;
}

/** What one address matched on some networks: enough to count and to forward. */
interface Match { d: string; t: string | null }

export const CACHE_KEY_PREFIX = 'nucleon:metadata:v1:';

export class InstanceLookup {
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** get_ports calls made (for tests and /status). */
  rpcCalls = 0;

  constructor(private readonly api: PortsApi, private readonly cache: LookupCache, private readonly prefix = CACHE_KEY_PREFIX) {}

  async find(target: ProxyTarget, remote: RemoteAddress, skipCache = false): Promise<Instance | null> {
    const networks = target.kind === 'network' ? [target.networkId] : await this.routerNetworks(target.routerId, skipCache);
    const matches = await this.portsFor(remote, networks, skipCache);
    if (matches.length !== 1) return null;
    return { instanceId: matches[0]!.d, tenantId: matches[0]!.t };
  }

  private async routerNetworks(routerId: string, skipCache: boolean): Promise<string[]> {
    return this.cached(`rn:${routerId}`, skipCache, parseStrings, async () => {
      const ports = await this.getPorts({ device_id: [routerId], device_owner: [...ROUTER_INTERFACE_OWNERS] });
      return ports.map((p) => p.network_id);
    });
  }

  private async portsFor(remote: RemoteAddress, networks: string[], skipCache: boolean): Promise<Match[]> {
    // A router without interfaces has no networks: nothing can match (the server
    // would answer [] to network_id: []), so do not ask.
    if (networks.length === 0) return [];
    const key = `p:${remote.ip}|${remote.mac ?? ''}|${networks.join(',')}`;
    return this.cached(key, skipCache, parseMatches, async () => {
      // Neutron searches a link-local IPv6 client by the MAC in its address.
      const filters: PortFilters = remote.mac
        ? { mac_address: [remote.mac], network_id: networks }
        : { fixed_ips: { ip_address: [remote.ip] }, network_id: networks };
      const ports = await this.getPorts(filters);
      return ports.map((p): Match => ({ d: p.device_id, t: p.tenant_id }));
    });
  }

  private getPorts(filters: PortFilters) {
    this.rpcCalls++;
    return this.api.getPorts(filters);
  }

  private async cached<T>(key: string, skipCache: boolean, decode: (text: string) => T | null, load: () => Promise<T>): Promise<T> {
    const full = this.prefix + key;
    const flightKey = `${skipCache ? 'skip' : 'use'}|${full}`;
    const running = this.inflight.get(flightKey) as Promise<T> | undefined;
    if (running) return running;
    const p = (async () => {
      if (!skipCache) {
        const hit = await this.cache.get(full);
        // An entry that does not decode (another writer, a truncated value) is a miss.
        const value = hit === undefined ? null : decode(hit);
        if (value !== null) return value;
      }
      const value = await load();
      await this.cache.set(full, JSON.stringify(value));
      return value;
    })();
    this.inflight.set(flightKey, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(flightKey);
    }
  }
}

/** Cached text comes from outside the process (Redis): all or nothing, never a filtered subset. */
function parseJsonArray(text: string): unknown[] | null {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function parseStrings(text: string): string[] | null {
  const v = parseJsonArray(text);
  return v && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

function parseMatches(text: string): Match[] | null {
  const v = parseJsonArray(text);
  const ok = (m: unknown): m is Match => typeof m === 'object' && m !== null && typeof (m as Match).d === 'string' && (typeof (m as Match).t === 'string' || (m as Match).t === null);
  return v && v.every(ok) ? (v as Match[]) : null;
}
