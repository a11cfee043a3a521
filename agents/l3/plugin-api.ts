/** The L3 agent's calls to q-l3-plugin (L3PluginApi, PROTOCOL.md B8). */
import type { OsloRpcClient } from '../../shared/rpc/index.js';
import { RpcTimeoutError } from '../../shared/rpc/index.js';

export type FipStatus = 'ACTIVE' | 'DOWN' | 'ERROR';

/** Neutron's sync_routers chunking: 256 routers a call, halved on timeouts down to 32. */
export const SYNC_CHUNK_MAX = 256;
export const SYNC_CHUNK_MIN = 32;

export class L3PluginApi {
  private chunk = SYNC_CHUNK_MAX;

  constructor(private readonly client: OsloRpcClient, private readonly host: string) {}

  async getRouterIds(): Promise<string[]> {
    const r = await this.client.call<unknown>('get_router_ids', { host: this.host }, { version: '1.9' });
    if (!Array.isArray(r)) throw new TypeError('get_router_ids: reply is not a list');
    return r.filter((x): x is string => typeof x === 'string');
  }

  /** Routers by id, in chunks; a timeout halves the chunk (not below 32) and retries. */
  async syncRouters(ids: string[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < ids.length;) {
      const part = ids.slice(i, i + this.chunk);
      try {
        const r = await this.client.call<unknown>('sync_routers', { host: this.host, router_ids: part }, { version: '1.0' });
        if (!Array.isArray(r)) throw new TypeError('sync_routers: reply is not a list');
        out.push(...r);
        i += part.length;
      } catch (err) {
        if (err instanceof RpcTimeoutError && this.chunk > SYNC_CHUNK_MIN) {
          this.chunk = Math.max(SYNC_CHUNK_MIN, Math.floor(this.chunk / 2));
          continue;
        }
        throw err;
      }
    }
    return out;
  }

  async updateFloatingipStatuses(routerId: string, statuses: Record<string, FipStatus>): Promise<void> {
    await this.client.call('update_floatingip_statuses', { router_id: routerId, fip_statuses: statuses }, { version: '1.1' });
  }
}
