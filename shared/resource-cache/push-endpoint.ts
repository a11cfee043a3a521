/**
 * The agent side of ResourcesPushRpcApi: the server casts
 * `push(resource_list, event_type)` (RPC 1.1, namespace None) to the fanout exchange
 * `neutron-vo-<Type>-<version>_fanout`, one cast per type and version in use. Python
 * consumes each such topic with create_consumer(topic, endpoints, fanout=True), i.e.
 * the queues `<topic>`, `<topic>.<host>` and `<topic>_fanout_<uuid>` (consumers.txt);
 * OsloRpcServer declares the same three.
 *
 * `created` and `updated` are handled alike (the server sends every create as an
 * update so consumers cope with reordering); `deleted` carries bare objects with an id.
 */
import type { Logger } from '../logging/logger.js';
import type { RpcEndpoint } from '../rpc/index.js';
import { RESOURCE_VERSIONS, type ResourceType } from './ovo.js';

export type PushEventType = 'created' | 'updated' | 'deleted';

export interface PushBatch {
  resourceType: ResourceType;
  event: PushEventType;
  /** Undecoded primitives; the cache decodes and validates each. */
  resources: unknown[];
}

export const PUSH_RPC_VERSION = '1.1';

/** `neutron-vo-Port-1.7`: the topic the server pushes our version of a type to. */
export function pushTopic(type: ResourceType): string {
  return `neutron-vo-${type}-${RESOURCE_VERSIONS[type]}`;
}

const EVENTS: readonly string[] = ['created', 'updated', 'deleted'];

/**
 * An endpoint for one type's topic. A malformed cast costs one log line: nothing
 * replies to a cast, and throwing would only produce a second log line in the server.
 */
export function pushEndpoint(resourceType: ResourceType, onPush: (batch: PushBatch) => void, logger: Logger): RpcEndpoint {
  return {
    version: PUSH_RPC_VERSION,
    methods: {
      push: (_ctx, args) => {
        const list = args['resource_list'];
        const event = args['event_type'];
        if (!Array.isArray(list) || typeof event !== 'string' || !EVENTS.includes(event)) {
          logger.warn({ resource_type: resourceType, event_type: event, has_list: Array.isArray(list) }, 'ignoring malformed resource push');
          return null;
        }
        onPush({ resourceType, event: event as PushEventType, resources: list });
        return null;
      },
    },
  };
}
