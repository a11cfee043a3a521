/**
 * The cache's calls to q-plugin:
 * - ResourcesPullRpcApi.bulk_pull (RPC 1.1): `bulk_pull(resource_type, version,
 *   filter_kwargs)` → a list of OVO primitives at `version`. Filter values of one
 *   field are ORed by the server (`Port.get_objects(id=[...])`), so a long list is
 *   split into several calls and the answers concatenated. An empty value list is
 *   never sent: most fields then match nothing, but Port.get_objects skips an empty
 *   `security_group_ids` filter and answers *every* port of the cloud.
 * - PluginApi.get_ports_by_vnic_type_and_host (1.7): ports with a binding on a host,
 *   as API dicts; we take their ids only. bulk_pull cannot filter by host (bindings
 *   is a synthetic field the server refuses as a filter).
 */
import { isObj, isUuid } from './ovo-fields.js';
import { RESOURCE_VERSIONS, type ResourceType } from './ovo.js';
import { BadReplyError, PullFailedError } from './errors.js';

/** The slice of OsloRpcClient (topic q-plugin) the cache uses. */
export interface RpcCaller {
  call<T = unknown>(method: string, args: Record<string, unknown>, opts?: { version?: string; timeoutMs?: number }): Promise<T>;
}

/** Ids per bulk_pull: keeps each answer (and the server's IN clause) small. */
export const BULK_PULL_CHUNK = 100;

export class ResourcesPullApi {
  constructor(private readonly client: RpcCaller) {}

  /** Raw primitives of `type` whose `field` equals one of `values` (any order). */
  async bulkPull(type: ResourceType, field: string, values: readonly string[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < values.length; i += BULK_PULL_CHUNK) {
      const filter = { [field]: values.slice(i, i + BULK_PULL_CHUNK) };
      let reply: unknown;
      try {
        reply = await this.client.call('bulk_pull', { resource_type: type, version: RESOURCE_VERSIONS[type], filter_kwargs: filter }, { version: '1.1' });
      } catch (err) {
        throw new PullFailedError('bulk_pull', type, filter, err);
      }
      if (!Array.isArray(reply)) throw new BadReplyError('bulk_pull', `answer for ${type} is not a list`);
      out.push(...reply);
    }
    return out;
  }

  /** Ids of the ports with a binding of `vnicType` on `host`. */
  async portIdsBoundToHost(host: string, vnicType: string): Promise<string[]> {
    let reply: unknown;
    try {
      reply = await this.client.call('get_ports_by_vnic_type_and_host', { vnic_type: vnicType, host }, { version: '1.7' });
    } catch (err) {
      throw new PullFailedError('get_ports_by_vnic_type_and_host', 'Port', { host: [host], vnic_type: [vnicType] }, err);
    }
    if (!Array.isArray(reply)) throw new BadReplyError('get_ports_by_vnic_type_and_host', 'answer is not a list');
    const ids = new Set<string>();
    for (const p of reply) if (isObj(p) && isUuid(p['id'])) ids.add(p['id'].toLowerCase());
    return [...ids];
  }
}
