/**
 * Errors of the resource cache. RPC failures of bulk_pull keep their own types
 * (RemoteError, RpcTimeoutError from shared/rpc) and are wrapped in PullFailedError
 * with the query that failed.
 */
import type { ResourceType } from './ovo.js';

export type ResourceCacheErrorCode = 'INCOMPLETE' | 'STOPPED' | 'PULL_FAILED' | 'BAD_REPLY' | 'BAD_ID' | 'CONFIG';

export class ResourceCacheError extends Error {
  constructor(
    readonly code: ResourceCacheErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ResourceCacheError';
  }
}

export interface MissingResource {
  resourceType: ResourceType;
  id: string;
  /** What is missing: the record itself, or the answer to a query about it. */
  what: 'record' | 'rules' | 'members';
}

/**
 * The cache does not (yet) hold what an answer needs, e.g. a port's network. Python
 * would pull it synchronously; callers use the async fetch* helpers, or treat the
 * device as failed (get_devices_details_list_and_failed_devices) and retry.
 */
export class CacheIncompleteError extends ResourceCacheError {
  constructor(readonly missing: MissingResource[]) {
    super('INCOMPLETE', `resource cache lacks ${missing.map((m) => `${m.resourceType} ${m.id}${m.what === 'record' ? '' : ` ${m.what}`}`).join(', ')}`);
    this.name = 'CacheIncompleteError';
  }
}

export class ResourceCacheStoppedError extends ResourceCacheError {
  constructor() {
    super('STOPPED', 'resource cache stopped');
    this.name = 'ResourceCacheStoppedError';
  }
}

/** A bulk_pull (or the host's port listing) failed; `cause` is the RPC error. */
export class PullFailedError extends ResourceCacheError {
  constructor(
    readonly method: string,
    readonly resourceType: ResourceType,
    readonly filter: Record<string, string[]>,
    cause: unknown,
  ) {
    super('PULL_FAILED', `${method} ${resourceType} ${JSON.stringify(filter)} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PullFailedError';
  }
}

/** The server answered something that is not a list of objects. */
export class BadReplyError extends ResourceCacheError {
  constructor(
    readonly method: string,
    readonly reason: string,
  ) {
    super('BAD_REPLY', `${method}: ${reason}`);
    this.name = 'BadReplyError';
  }
}
