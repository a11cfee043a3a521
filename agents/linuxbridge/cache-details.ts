/**
 * get_devices_details_list answered from the resource cache (shared/resource-cache),
 * in the server's answer shape, so the agent treats both sources alike.
 *
 * A tap names its port by prefix only (tap + port_id[:11]); it is mapped through the
 * ports the cache holds for this host (TapIndex). A tap the cache cannot map (its port
 * was bound here a moment ago and the push is still on its way, or it is no Neutron
 * port at all) triggers one targeted pull: the host's port ids
 * (get_ports_by_vnic_type_and_host), then bulk_pull of the ids the tap could name. A
 * tap is pulled for at most once per `repullIntervalMs` (default 1 min): a tap nobody
 * knows (a test veth, a libvirt tap whose port is not bound yet) must not cost the
 * server two calls per apply; a port bound later arrives by push anyway. Otherwise
 * the answer is `{device}`, as the server's for an unknown device.
 *
 * A port whose network (…) the cache does not hold yet is pulled (all such ports in
 * one bulk_pull) and answered again. What still cannot be answered, and taps whose
 * pull failed, are answered `failed` (Python's failed_devices): the agent keeps what
 * it knew of them and retries their key with backoff.
 */
import type { Logger } from '../../shared/logging/logger.js';
import { CacheIncompleteError, deviceDetailsFromCache, type CacheReader, type PortRecord } from '../../shared/resource-cache/index.js';
import { parseDeviceAnswer, type DeviceAnswer } from './model.js';
import { TapIndex } from './tap-index.js';

/** What this needs of RemoteResourceCache. */
export interface TapCache extends CacheReader {
  portsOnHost(host: string): PortRecord[];
  pullPorts(ids: readonly string[]): Promise<Array<PortRecord | undefined>>;
}

export interface CacheDeviceDetailsOptions {
  cache: TapCache;
  host: string;
  /** Ids of the ports bound to this host, asked of the server (ResourcesPullApi.portIdsBoundToHost). */
  listHostPortIds: () => Promise<string[]>;
  logger: Logger;
  /** How often one unmapped tap may trigger a pull; default UNMAPPED_REPULL_MS. */
  repullIntervalMs?: number;
  /**
   * The server's get_devices_details_list, for taps whose port the cache holds but with no
   * usable binding here (e.g. `binding_failed`: the port was bound to this host while no
   * agent of it was alive). The server retries the binding when asked for details
   * (ML2 _bind_port_if_needed), as it does for every Python linuxbridge agent's request;
   * the cache alone would leave such a port DOWN for good.
   */
  rpcFallback?: (devices: string[]) => Promise<DeviceAnswer[]>;
  now?: () => number;
}

export const UNMAPPED_REPULL_MS = 60_000;

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class CacheDeviceDetails {
  /** Unmapped tap → when a pull was last made for it. */
  private readonly pulledAt = new Map<string, number>();
  private readonly repullMs: number;
  private readonly now: () => number;

  constructor(private readonly o: CacheDeviceDetailsOptions) {
    this.repullMs = o.repullIntervalMs ?? UNMAPPED_REPULL_MS;
    this.now = o.now ?? Date.now;
  }

  async getDevicesDetailsList(devices: string[]): Promise<DeviceAnswer[]> {
    const log = this.o.logger;
    const failed = new Map<string, string>();
    let index = this.index();

    // 1. Taps the cache cannot map and that are due: one targeted pull for all of them.
    this.forgetExpired();
    const due = devices.filter((d) => index.lookup(d).kind !== 'port' && !this.pulledAt.has(d));
    if (due.length > 0) {
      try {
        const pulled = await this.pullFor(due);
        for (const d of due) this.pulledAt.set(d, this.now());
        index = this.index();
        log.info({ devices: due.length, ports_pulled: pulled }, 'taps not in the resource cache: asked the server for this host\'s ports');
      } catch (err) {
        log.warn({ err, devices: due.length }, 'pulling this host\'s ports for unmapped taps failed; retrying later');
        for (const d of due) failed.set(d, `pull failed: ${reasonOf(err)}`);
      }
    }

    // 2. Answer from the cache.
    const answers = new Map<string, DeviceAnswer>();
    const incomplete: Array<{ device: string; portId: string }> = [];
    for (const d of devices) {
      const f = failed.get(d);
      if (f !== undefined) {
        answers.set(d, { kind: 'failed', device: d, reason: f });
        continue;
      }
      const l = index.lookup(d);
      if (l.kind !== 'port') {
        if (l.kind === 'ambiguous' && due.includes(d)) log.warn({ device: d, port_ids: l.portIds }, 'several ports on this host match the tap name; not wiring it (as the server)');
        answers.set(d, parseDeviceAnswer({ device: d }));
        continue;
      }
      this.pulledAt.delete(d);
      const a = this.answer(d, l.portId);
      if (a) answers.set(d, a);
      else incomplete.push({ device: d, portId: l.portId });
    }

    // 3. Ports whose network (…) is not held yet: one pull, then answer again.
    if (incomplete.length > 0) {
      let pullError: unknown;
      try {
        await this.o.cache.pullPorts(incomplete.map((i) => i.portId));
      } catch (err) {
        pullError = err;
        log.warn({ err, ports: incomplete.length }, 'pulling what port details need failed; retrying later');
      }
      for (const i of incomplete) {
        const a = pullError === undefined ? this.answer(i.device, i.portId) : undefined;
        answers.set(i.device, a ?? { kind: 'failed', device: i.device, reason: pullError === undefined ? 'resource cache still lacks objects the details need' : `pull failed: ${reasonOf(pullError)}` });
      }
    }
    // 4. Known ports without a usable binding here: let the server retry the binding.
    if (this.o.rpcFallback) {
      const retry = devices.filter((d) => answers.get(d)?.kind === 'unknown' && index.lookup(d).kind === 'port' && this.bindingFailedHere(index.lookup(d)));
      if (retry.length > 0) {
        try {
          for (const a of await this.o.rpcFallback(retry)) {
            const dev = a.kind === 'port' ? a.details.device : a.device;
            if (dev !== undefined && retry.includes(dev)) answers.set(dev, a);
          }
          log.info({ devices: retry.length }, 'ports bound here without a usable binding: asked the server, which retries the binding');
        } catch (err) {
          log.warn({ err, devices: retry.length }, 'asking the server for ports without a usable binding failed; retrying later');
          for (const d of retry) answers.set(d, { kind: 'failed', device: d, reason: `get_devices_details_list failed: ${reasonOf(err)}` });
        }
      }
    }
    return devices.map((d) => answers.get(d)!);
  }

  /** True when the cache's port has a binding for this host that ML2 could not complete. */
  private bindingFailedHere(l: ReturnType<TapIndex['lookup']>): boolean {
    if (l.kind !== 'port') return false;
    const port = this.o.cache.getPort(l.portId);
    return port?.bindings.some((b) => b.host === this.o.host && b.vifType === 'binding_failed') ?? false;
  }

  private index(): TapIndex {
    return new TapIndex(this.o.cache.portsOnHost(this.o.host).map((p) => p.id));
  }

  /** The details, or undefined when the cache lacks something they need. */
  private answer(device: string, portId: string): DeviceAnswer | undefined {
    try {
      return parseDeviceAnswer(deviceDetailsFromCache(this.o.cache, device, portId, this.o.host));
    } catch (err) {
      if (err instanceof CacheIncompleteError) return undefined;
      throw err;
    }
  }

  /** Asks the server which ports are bound here and pulls those the taps could name; returns how many. */
  private async pullFor(taps: readonly string[]): Promise<number> {
    const ids = await this.o.listHostPortIds();
    const want = new Set<string>();
    for (const t of taps) for (const id of TapIndex.candidates(t, ids)) want.add(id);
    if (want.size > 0) await this.o.cache.pullPorts([...want]);
    return want.size;
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [d, at] of this.pulledAt) if (now - at >= this.repullMs) this.pulledAt.delete(d);
  }
}
