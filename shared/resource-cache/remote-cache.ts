/**
 * RemoteResourceCache: the OVS agent's copy of the Neutron objects it needs
 * (Port, Network, Subnet, SecurityGroup, SecurityGroupRule, AddressGroup), filled by
 * bulk_pull and kept current by the server's `neutron-vo-<Type>-<version>` pushes,
 * as neutron/agent/resource_cache.py does for the Python agent.
 *
 * Contract:
 * - start(): consumers first (so nothing pushed while we pull is lost), then the
 *   flood: the ports bound to this host, then their networks, subnets, security
 *   groups, rules, remote-group member ports and address groups (queries.ts). It
 *   resolves once that snapshot is complete; failed calls are retried with backoff.
 * - pushes are applied as they come: stale revisions and deleted ids are ignored
 *   (store.ts); objects outside the cache's scope that it does not hold are dropped;
 *   a new port on this host (or a new remote group in a rule) pulls what it needs.
 * - refresh(): asks every answered query again, re-pulls by id what none of them
 *   returned, and removes (with a `deleted` event) what the server no longer has.
 *   Run on every AMQP reconnect (pushes may have been lost) and by the agent when
 *   report_state answers `revived`.
 * - `'changed'` events are emitted synchronously as records change; handlers
 *   should only mark work dirty (STYLE.md §2, §5).
 *
 * Python's cache pulls lazily, on the first get of an id; here the host's ports are
 * pulled at start, and pullPort()/pullPorts() give the pull-on-miss for the rest.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger.js';
import { OsloConnection, OsloRpcServer, type RpcEndpoint } from '../rpc/index.js';
import { ResourceCacheError, ResourceCacheStoppedError } from './errors.js';
import { isUuid } from './ovo-fields.js';
import { RESOURCE_TYPES, decodeDeletedId, decodeResource, type AddressGroupRecord, type NetworkRecord, type PortRecord, type ResourceType, type SecurityGroupRecord, type SecurityGroupRuleRecord, type SubnetRecord } from './ovo.js';
import { ResourcesPullApi, type RpcCaller } from './pull-api.js';
import { pushEndpoint, pushTopic, type PushBatch } from './push-endpoint.js';
import { groupQueries, queryKey, type Query } from './queries.js';
import { ResourceStore, type CacheReader, type PutOutcome, type ResourceChange } from './store.js';

/** What the cache needs of the AMQP connection besides its push consumers. */
export interface CacheConnection {
  onReconnect(cb: () => void): () => void;
}

export interface PushServer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the consumer of one push topic; the default is an OsloRpcServer on `host`. */
export type PushServerFactory = (topic: string, endpoint: RpcEndpoint) => PushServer;

export interface RemoteResourceCacheOptions {
  connection: CacheConnection;
  /** OsloRpcClient on topic q-plugin. */
  client: RpcCaller;
  host: string;
  logger: Logger;
  /** binding:vnic_type of the ports this agent serves; default ['normal']. */
  vnicTypes?: readonly string[];
  /** Refresh after every AMQP reconnect; default true. */
  refreshOnReconnect?: boolean;
  /** Retry delays after a failed pull: from initialMs, doubling, up to maxMs. */
  retry?: { initialMs: number; maxMs: number };
  /** Tests: consumers without a broker. Required when `connection` is not an OsloConnection. */
  makePushServer?: PushServerFactory;
}

export interface RemoteResourceCacheEvents {
  changed: [change: ResourceChange];
}

/** Closure depth is host → port → groups → rules → members: a few rounds; more means churn. */
const MAX_SETTLE_ROUNDS = 20;
const DEFAULT_RETRY = { initialMs: 1000, maxMs: 30_000 };

type State = 'new' | 'starting' | 'running' | 'stopped';

/** Ids the server returned during one refresh. */
class Seen {
  private readonly s = new Set<string>();
  add(type: ResourceType, id: string): void {
    this.s.add(`${type}|${id}`);
  }
  has(type: ResourceType, id: string): boolean {
    return this.s.has(`${type}|${id}`);
  }
}

export class RemoteResourceCache extends EventEmitter<RemoteResourceCacheEvents> implements CacheReader {
  readonly host: string;
  private readonly store: ResourceStore;
  private readonly pull: ResourcesPullApi;
  private readonly log: Logger;
  private readonly connection: CacheConnection;
  private readonly servers: PushServer[];
  private readonly refreshOnReconnect: boolean;
  private readonly retry: { initialMs: number; maxMs: number };
  private state: State = 'new';
  private readonly stopSignal = new AbortController();
  private unsubscribeReconnect: (() => void) | undefined;
  /** Queries being asked, by queryKey: concurrent askers share the answer. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** The background closure run after pushes: one at a time, re-run if poked meanwhile. */
  private readonly bg = { running: false, dirty: false, timer: undefined as NodeJS.Timeout | undefined, delayMs: 0 };
  private refreshRunning: Promise<void> | null = null;
  private refreshPending: Promise<void> | null = null;
  /** Counts emitted changes: a push that changed something may widen what we need. */
  private changes = 0;

  constructor(opts: RemoteResourceCacheOptions) {
    super();
    this.host = opts.host;
    this.log = opts.logger.child({ component: 'resource-cache' });
    this.connection = opts.connection;
    this.pull = new ResourcesPullApi(opts.client);
    this.refreshOnReconnect = opts.refreshOnReconnect ?? true;
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.bg.delayMs = this.retry.initialMs;
    this.store = new ResourceStore({ host: opts.host, vnicTypes: opts.vnicTypes ?? ['normal'], onChange: (c) => this.emitChange(c) });
    const conn = opts.connection;
    const make: PushServerFactory =
      opts.makePushServer ??
      ((topic, endpoint) => {
        if (!(conn instanceof OsloConnection)) throw new ResourceCacheError('CONFIG', 'RemoteResourceCache needs an OsloConnection or makePushServer');
        return new OsloRpcServer(conn, { topic, server: opts.host, endpoints: [endpoint], logger: opts.logger });
      });
    this.servers = RESOURCE_TYPES.map((t) => make(pushTopic(t), pushEndpoint(t, (b) => this.onPush(b), this.log)));
  }

  // ---- lifecycle ----------------------------------------------------------

  /** Consumers, then the first complete snapshot of this host's objects. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new ResourceCacheError('CONFIG', `start() called in state ${this.state}`);
    this.state = 'starting';
    const started = Date.now();
    for (const s of this.servers) await s.start();
    if (this.refreshOnReconnect) {
      this.unsubscribeReconnect = this.connection.onReconnect(() => {
        this.log.info('AMQP reconnected: refreshing the resource cache (pushes may have been lost)');
        this.refresh().catch((err: unknown) => this.logUnlessStopped(err, 'resource cache refresh after reconnect failed'));
      });
    }
    await this.withRetry('flood', () => this.settle());
    if (this.isStopped()) throw new ResourceCacheStoppedError();
    this.state = 'running';
    this.log.info({ durationMs: Date.now() - started, counts: this.store.counts(), ports_on_host: this.store.rootPorts().length }, 'resource cache filled');
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.stopSignal.abort();
    if (this.bg.timer) clearTimeout(this.bg.timer);
    this.unsubscribeReconnect?.();
    await Promise.allSettled(this.servers.map((s) => s.stop()));
  }

  /**
   * Re-asks everything and drops what the server no longer has (emitting `deleted`).
   * Concurrent calls share one run; a call during a run gets the next run.
   */
  refresh(): Promise<void> {
    if (this.isStopped()) return Promise.reject(new ResourceCacheStoppedError());
    if (!this.refreshPending) {
      const run = async (): Promise<void> => {
        await (this.refreshRunning ?? Promise.resolve()).catch(() => undefined);
        this.refreshPending = null;
        this.refreshRunning = this.withRetry('refresh', () => this.refreshOnce());
        try {
          await this.refreshRunning;
        } finally {
          this.refreshRunning = null;
        }
      };
      this.refreshPending = run();
    }
    return this.refreshPending;
  }

  /**
   * The port, pulled from the server if we never asked for it (Python's
   * get_resource_by_id on a miss), with everything its details and security group
   * info need. undefined: the server does not know it, or it was deleted.
   */
  async pullPort(id: string): Promise<PortRecord | undefined> {
    const [p] = await this.pullPorts([id]);
    return p;
  }

  /** pullPort for several ids in one bulk_pull; the answer is in the order asked, undefined where unknown. */
  async pullPorts(ids: readonly string[]): Promise<Array<PortRecord | undefined>> {
    if (this.isStopped()) throw new ResourceCacheStoppedError();
    const wanted = ids.map((id) => {
      if (!isUuid(id)) throw new ResourceCacheError('BAD_ID', `not a port id: ${JSON.stringify(id)}`);
      return id.toLowerCase();
    });
    const ask: Query[] = [];
    const waits: Array<Promise<void>> = [];
    for (const id of new Set(wanted)) {
      if (this.store.wasDeleted('Port', id)) continue;
      const q: Query = { type: 'Port', by: 'id', value: id };
      if (this.store.isSatisfied(q)) continue;
      const pending = this.inFlight.get(queryKey(q));
      if (pending) waits.push(pending);
      // Held already (a member port, a host port): pushes keep it current, no need to ask.
      else if (this.store.getPort(id)) this.store.markSatisfied(q);
      else ask.push(q);
    }
    if (ask.length > 0) waits.push(this.ask(ask));
    await Promise.all(waits);
    await this.settle();
    return wanted.map((id) => this.store.getPort(id));
  }

  /** Resolves when everything the current root ports need is held (pulls what is missing). */
  async settled(): Promise<void> {
    await this.settle();
  }

  // ---- reads (CacheReader and more) ---------------------------------------

  getPort(id: string): PortRecord | undefined {
    return this.store.getPort(id);
  }
  getNetwork(id: string): NetworkRecord | undefined {
    return this.store.getNetwork(id);
  }
  getSubnet(id: string): SubnetRecord | undefined {
    return this.store.getSubnet(id);
  }
  getSecurityGroup(id: string): SecurityGroupRecord | undefined {
    return this.store.getSecurityGroup(id);
  }
  getSecurityGroupRule(id: string): SecurityGroupRuleRecord | undefined {
    return this.store.getSecurityGroupRule(id);
  }
  getAddressGroup(id: string): AddressGroupRecord | undefined {
    return this.store.getAddressGroup(id);
  }
  /** Ports with a binding (any status) on `host`, sorted by id. */
  portsOnHost(host: string): PortRecord[] {
    return this.store.portsOnHost(host);
  }
  portsInSecurityGroup(sgId: string): PortRecord[] {
    return this.store.portsInSecurityGroup(sgId);
  }
  rulesOfGroup(sgId: string): SecurityGroupRuleRecord[] {
    return this.store.rulesOfGroup(sgId);
  }
  subnetsOfNetwork(networkId: string): SubnetRecord[] {
    return this.store.subnetsOfNetwork(networkId);
  }
  hasRulesOf(sgId: string): boolean {
    return this.store.hasRulesOf(sgId);
  }
  hasMembersOf(sgId: string): boolean {
    return this.store.hasMembersOf(sgId);
  }
  wasDeleted(type: ResourceType, id: string): boolean {
    return this.store.wasDeleted(type, id);
  }
  counts(): Record<ResourceType, number> {
    return this.store.counts();
  }

  // ---- pushes ---------------------------------------------------------------

  private onPush(batch: PushBatch): void {
    if (this.isStopped()) return;
    const { resourceType: type, event } = batch;
    const changesBefore = this.changes;
    batch.resources.forEach((prim, i) => {
      const path = `push ${type}[${i}]`;
      if (event === 'deleted') {
        const d = decodeDeletedId(type, prim, path);
        if (!d.ok) return this.log.warn({ resource_type: type, reason: d.reason }, 'ignoring malformed deleted push');
        this.store.remove(type, d.value.toLowerCase());
        return;
      }
      this.apply(type, prim, path, { scoped: true });
    });
    this.log.debug({ resource_type: type, event, count: batch.resources.length }, 'resource push applied');
    // A new port here, or a rule naming a new remote group, may need more objects.
    if (this.changes !== changesBefore && event !== 'deleted') this.kick();
  }

  /** Decodes one primitive and stores it (a SecurityGroup's rules too). */
  private apply(type: ResourceType, prim: unknown, path: string, opts: { scoped: boolean; seen?: Seen }): PutOutcome | 'malformed' {
    const d = decodeResource(type, prim, path);
    if (!d.ok) {
      this.log.warn({ resource_type: type, id: d.id, reason: d.reason }, 'skipping malformed resource');
      return 'malformed';
    }
    const { record, children, childProblems } = d.value;
    opts.seen?.add(type, record.id);
    const outcome = this.store.put<ResourceType>(d.value.type, record, { scoped: opts.scoped });
    if (outcome === 'stale') this.log.debug({ resource_type: type, id: record.id, revision_number: record.revisionNumber }, 'ignoring stale resource update');
    for (const reason of childProblems ?? []) this.log.warn({ resource_type: 'SecurityGroupRule', security_group_id: record.id, reason }, 'skipping malformed rule');
    // The server does not push the rules of a new group one by one: they come with
    // the group (SecurityGroupServerAPIShim._add_child_sg_rules).
    if (children && (outcome === 'created' || outcome === 'updated' || outcome === 'unchanged')) {
      for (const rule of children) {
        opts.seen?.add('SecurityGroupRule', rule.id);
        this.store.put('SecurityGroupRule', rule, { scoped: false });
      }
    }
    return outcome;
  }

  // ---- pulls ----------------------------------------------------------------

  /** Asks until no root port lacks anything; rejects on the first failed call. */
  private async settle(seen?: Seen): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      if (this.isStopped()) throw new ResourceCacheStoppedError();
      const ask: Query[] = [];
      const waits = new Set<Promise<void>>();
      for (const q of this.store.missingQueries()) {
        const pending = this.inFlight.get(queryKey(q));
        if (pending) waits.add(pending);
        else ask.push(q);
      }
      if (ask.length === 0 && waits.size === 0) return;
      if (ask.length > 0) waits.add(this.ask(ask, seen));
      await Promise.all(waits);
    }
    this.log.warn({ rounds: MAX_SETTLE_ROUNDS }, 'resource cache still missing objects after many rounds; continuing');
  }

  /** One bulk_pull per (type, field) group; each query is marked answered when its call succeeded. */
  private ask(queries: readonly Query[], seen?: Seen): Promise<void> {
    const calls = groupQueries(queries).map((g) => {
      const p = this.askGroup(g.type, g.by, g.values, seen);
      for (const value of g.values) {
        const key = queryKey({ type: g.type, by: g.by, value } as Query);
        this.inFlight.set(key, p);
        void p.catch(() => undefined).finally(() => {
          if (this.inFlight.get(key) === p) this.inFlight.delete(key);
        });
      }
      return p;
    });
    return Promise.all(calls).then(() => undefined);
  }

  private async askGroup(type: ResourceType, by: Query['by'], values: string[], seen?: Seen): Promise<void> {
    let prims: unknown[];
    if (by === 'host') {
      const ids = new Set<string>();
      for (const host of values) for (const vnic of this.store.vnicTypes) for (const id of await this.pull.portIdsBoundToHost(host, vnic)) ids.add(id);
      prims = await this.pull.bulkPull('Port', 'id', [...ids]);
    } else {
      prims = await this.pull.bulkPull(type, by, values);
    }
    if (this.isStopped()) return;
    prims.forEach((prim, i) => this.apply(type, prim, `bulk_pull ${type}[${i}]`, { scoped: false, ...(seen ? { seen } : {}) }));
    for (const value of values) this.store.markSatisfied({ type, by, value } as Query);
    this.log.debug({ resource_type: type, by, values: values.length, objects: prims.length }, 'bulk_pull answered');
  }

  private async refreshOnce(): Promise<void> {
    const started = Date.now();
    const seen = new Seen();
    await this.ask(this.store.satisfiedQueries(), seen);
    await this.settle(seen);
    let removed = 0;
    for (const type of RESOURCE_TYPES) {
      const leftovers = this.store.ids(type).filter((id) => !seen.has(type, id));
      if (leftovers.length === 0) continue;
      // Held but outside every answer (e.g. a port that moved to another host): ask by id.
      const prims = await this.pull.bulkPull(type, 'id', leftovers);
      if (this.isStopped()) return;
      prims.forEach((prim, i) => this.apply(type, prim, `bulk_pull ${type}[${i}]`, { scoped: false, seen }));
      for (const id of leftovers) {
        if (!seen.has(type, id) && this.store.remove(type, id)) removed++;
      }
    }
    this.log.info({ durationMs: Date.now() - started, removed, counts: this.store.counts() }, 'resource cache refreshed');
  }

  // ---- background and helpers -----------------------------------------------

  /** Runs settle() in the background after pushes; retries with backoff on failure. */
  private kick(): void {
    if (this.isStopped() || this.state === 'new') return;
    if (this.bg.running) {
      this.bg.dirty = true;
      return;
    }
    if (this.bg.timer) return;
    this.bg.running = true;
    this.settle()
      .then(
        () => {
          this.bg.delayMs = this.retry.initialMs;
        },
        (err: unknown) => {
          if (this.isStopped()) return;
          this.log.warn({ err, retryInMs: this.bg.delayMs }, 'pulling objects for pushed changes failed; retrying');
          this.bg.timer = setTimeout(() => {
            this.bg.timer = undefined;
            this.kick();
          }, this.bg.delayMs);
          this.bg.delayMs = Math.min(this.bg.delayMs * 2, this.retry.maxMs);
        },
      )
      .finally(() => {
        this.bg.running = false;
        if (this.bg.dirty && !this.bg.timer) {
          this.bg.dirty = false;
          this.kick();
        }
      });
  }

  private async withRetry(what: string, fn: () => Promise<void>): Promise<void> {
    let delay = this.retry.initialMs;
    for (let attempt = 1; ; attempt++) {
      if (this.isStopped()) throw new ResourceCacheStoppedError();
      try {
        await fn();
        return;
      } catch (err) {
        if (this.isStopped() || err instanceof ResourceCacheStoppedError) throw new ResourceCacheStoppedError();
        this.log.warn({ err, attempt, retryInMs: delay }, `resource cache ${what} failed; retrying`);
        try {
          await sleep(delay, undefined, { signal: this.stopSignal.signal });
        } catch {
          throw new ResourceCacheStoppedError();
        }
        delay = Math.min(delay * 2, this.retry.maxMs);
      }
    }
  }

  private emitChange(change: ResourceChange): void {
    this.changes++;
    try {
      this.emit('changed', change);
    } catch (err) {
      // A listener's bug must not stop the cache from applying the rest of a push.
      this.log.error({ err, resource_type: change.resourceType, id: change.id }, "a 'changed' listener threw");
    }
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private logUnlessStopped(err: unknown, msg: string): void {
    if (!(err instanceof ResourceCacheStoppedError)) this.log.error({ err }, msg);
  }
}
