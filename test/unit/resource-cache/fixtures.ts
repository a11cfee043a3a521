/**
 * Inputs for the resource cache unit tests: the recorded neutron-server traffic in
 * ../shared/neutron-lab/wire-samples (single samples and the raw firehose traces),
 * builders of OVO primitives for hand-made cases, and a fake q-plugin that answers
 * bulk_pull / get_ports_by_vnic_type_and_host from an in-memory set of primitives
 * the way Port.get_objects & co. filter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RpcCaller } from '../../../shared/resource-cache/pull-api.js';
import { decodeDeletedId, decodeResource, isResourceType, type ResourceType } from '../../../shared/resource-cache/ovo.js';
import { ResourceStore } from '../../../shared/resource-cache/store.js';
import type { RpcEndpoint } from '../../../shared/rpc/index.js';
import type { PushServer, PushServerFactory } from '../../../shared/resource-cache/remote-cache.js';

// dist/test/unit/resource-cache → repo root is four levels up; the samples sit beside the checkout.
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');
export const haveSamples = (): boolean => existsSync(SAMPLES);

type Obj = Record<string, unknown>;

export function sample(file: string): Obj {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as Obj;
}

/** `request.args` of a recorded message. */
export function sampleArgs(file: string): Obj {
  return (sample(file)['request'] as Obj)['args'] as Obj;
}

/** `reply.message.result` of a recorded call. */
export function sampleResult(file: string): unknown {
  return ((sample(file)['reply'] as Obj)['message'] as Obj)['result'];
}

export interface TracedPush {
  ts: number;
  type: string;
  event: string;
  resources: unknown[];
}

/** Every `push` the server published in a raw trace, in order. */
export function tracedPushes(trace = 'trace-linuxbridge-dhcp-l3-metadata.jsonl.gz'): TracedPush[] {
  const text = gunzipSync(readFileSync(join(SAMPLES, 'raw', trace))).toString('utf8');
  const out: TracedPush[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const o = JSON.parse(line) as Obj;
    if (typeof o['trace_key'] !== 'string' || !o['trace_key'].startsWith('publish.')) continue;
    const body = o['body'] as Obj | undefined;
    if (!body || typeof body['oslo.message'] !== 'string') continue;
    const m = JSON.parse(body['oslo.message']) as Obj;
    if (m['method'] !== 'push') continue;
    const args = m['args'] as Obj;
    const list = args['resource_list'] as Obj[];
    out.push({ ts: o['ts'] as number, type: String(list[0]?.['versioned_object.name']), event: String(args['event_type']), resources: list });
  }
  return out;
}

/**
 * A store holding what a trace's pushes left: every push applied in order (a cache
 * that held everything). `createdBefore` (ISO) drops objects created later.
 */
export function storeFromTrace(opts: { trace?: string; host?: string; createdBefore?: string } = {}): ResourceStore {
  const store = new ResourceStore({ host: opts.host ?? 'vm', vnicTypes: ['normal'] });
  for (const push of tracedPushes(opts.trace)) {
    if (!isResourceType(push.type)) continue;
    for (const p of push.resources) {
      if (push.event === 'deleted') {
        const d = decodeDeletedId(push.type, p);
        if (d.ok) store.remove(push.type, d.value);
        continue;
      }
      const created = ((p as Obj)['versioned_object.data'] as Obj)['created_at'];
      if (opts.createdBefore !== undefined && typeof created === 'string' && created > opts.createdBefore) continue;
      const d = decodeResource(push.type, p);
      if (!d.ok) throw new Error(d.reason);
      store.put<ResourceType>(d.value.type, d.value.record, { scoped: false });
      for (const r of d.value.children ?? []) store.put('SecurityGroupRule', r, { scoped: false });
    }
  }
  return store;
}

/** A primitive as the server sends it. */
export function prim(name: string, data: Obj, version = '1.0'): Obj {
  return { 'versioned_object.name': name, 'versioned_object.namespace': 'versionedobjects', 'versioned_object.version': version, 'versioned_object.data': data };
}

export const HOST = 'node-a';
export const NET = '11111111-1111-4111-8111-111111111111';
export const SEG = '22222222-2222-4222-8222-222222222222';
export const SUBNET = '33333333-3333-4333-8333-333333333333';
export const SG = '44444444-4444-4444-8444-444444444444';
export const SG2 = '55555555-5555-4555-8555-555555555555';

let seq = 0;
export function uuid(n = ++seq): string {
  const h = n.toString(16).padStart(8, '0');
  return `${h}-aaaa-4bbb-8ccc-${n.toString(16).padStart(12, '0')}`;
}

export function segmentPrim(over: Obj = {}): Obj {
  return prim('NetworkSegment', { id: SEG, network_id: NET, network_type: 'vxlan', segmentation_id: 1001, is_dynamic: false, segment_index: 0, hosts: [], revision_number: 0, ...over });
}

export function networkPrim(over: Obj = {}): Obj {
  return prim(
    'Network',
    {
      id: NET,
      project_id: 'p',
      name: 'net',
      status: 'ACTIVE',
      admin_state_up: true,
      shared: false,
      mtu: 1450,
      security: prim('NetworkPortSecurity', { id: NET, port_security_enabled: true }),
      segments: [segmentPrim()],
      qos_policy_id: null,
      revision_number: 1,
      ...over,
    },
    '1.1',
  );
}

export function subnetPrim(over: Obj = {}): Obj {
  return prim(
    'Subnet',
    { id: SUBNET, network_id: NET, project_id: 'p', name: 's', ip_version: 4, cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', enable_dhcp: true, allocation_pools: [], dns_nameservers: [], host_routes: [], revision_number: 1, ...over },
    '1.1',
  );
}

export interface PortOpts {
  id: string;
  ip?: string;
  mac?: string;
  host?: string;
  status?: 'ACTIVE' | 'INACTIVE';
  sgs?: string[];
  rev?: number;
  owner?: string;
  levels?: boolean;
  extra?: Obj;
  pairs?: Array<{ ip: string; mac: string }>;
  bindings?: Obj[];
}

export function bindingPrim(portId: string, host: string, status = 'ACTIVE', over: Obj = {}): Obj {
  return prim('PortBinding', { port_id: portId, host, profile: '{}', vif_type: 'ovs', vif_details: '{"port_filter": true}', vnic_type: 'normal', status, ...over });
}

export function portPrim(o: PortOpts): Obj {
  const host = o.host ?? HOST;
  return prim(
    'Port',
    {
      id: o.id,
      project_id: 'p',
      name: 'port',
      network_id: NET,
      mac_address: o.mac ?? 'fa:16:3e:00:00:01',
      admin_state_up: true,
      device_id: 'vm-1',
      device_owner: o.owner ?? 'compute:nova',
      status: 'DOWN',
      allowed_address_pairs: (o.pairs ?? []).map((p) => prim('AllowedAddressPair', { port_id: o.id, ip_address: p.ip, mac_address: p.mac })),
      bindings: o.bindings ?? [bindingPrim(o.id, host, o.status ?? 'ACTIVE')],
      fixed_ips: [prim('IPAllocation', { port_id: o.id, subnet_id: SUBNET, network_id: NET, ip_address: o.ip ?? '10.0.0.5' })],
      security: prim('PortSecurity', { id: o.id, port_security_enabled: true }),
      security_group_ids: o.sgs ?? [SG],
      qos_policy_id: null,
      qos_network_policy_id: null,
      binding_levels:
        o.levels === false ? [] : [prim('PortBindingLevel', { port_id: o.id, host, level: 0, driver: 'openvswitch', segment: segmentPrim(), segment_id: SEG }, '1.1')],
      revision_number: o.rev ?? 1,
      ...o.extra,
    },
    '1.7',
  );
}

export function rulePrim(id: string, over: Obj = {}): Obj {
  return prim('SecurityGroupRule', { id, project_id: 'p', security_group_id: SG, direction: 'ingress', ethertype: 'IPv4', normalized_cidr: null, revision_number: 0, ...over }, '1.2');
}

export function sgPrim(over: Obj = {}, rules: Obj[] = []): Obj {
  return prim('SecurityGroup', { id: SG, name: 'default', project_id: 'p', shared: false, stateful: true, is_default: true, rules, revision_number: 1, ...over }, '1.5');
}

export function addressGroupPrim(id: string, addresses: string[], over: Obj = {}): Obj {
  return prim('AddressGroup', { id, name: 'ag', project_id: 'p', shared: false, addresses: addresses.map((a) => prim('AddressAssociation', { address: a, address_group_id: id })), revision_number: 0, ...over }, '1.2');
}

const idOf = (p: Obj): string => String((p['versioned_object.data'] as Obj)['id']);
const dataOf = (p: Obj): Obj => p['versioned_object.data'] as Obj;

/**
 * q-plugin for tests: bulk_pull filters as the server's get_objects do (each field's
 * values ORed, `security_group_ids` by membership), get_ports_by_vnic_type_and_host
 * by binding host and vnic type. `failNext` makes the next calls reject.
 */
export class FakeQPlugin implements RpcCaller {
  readonly db = new Map<string, Map<string, Obj>>();
  readonly calls: Array<{ method: string; args: Obj; version?: string }> = [];
  failNext = 0;
  /** Runs before each answer (e.g. to deliver a push while a pull is "in flight"). */
  onCall: ((method: string, args: Obj) => Promise<void> | void) | undefined;

  put(type: ResourceType, p: Obj): void {
    let m = this.db.get(type);
    if (!m) this.db.set(type, (m = new Map()));
    m.set(idOf(p), p);
  }

  delete(type: ResourceType, id: string): void {
    this.db.get(type)?.delete(id);
  }

  callsOf(method: string): Array<{ method: string; args: Obj }> {
    return this.calls.filter((c) => c.method === method);
  }

  async call<T = unknown>(method: string, args: Record<string, unknown>, opts?: { version?: string }): Promise<T> {
    this.calls.push({ method, args, ...(opts?.version !== undefined ? { version: opts.version } : {}) });
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected failure');
    }
    // The answer is read first; onCall then runs while it is "on the wire".
    const answer = this.answer(method, args);
    await this.onCall?.(method, args);
    return answer as T;
  }

  private answer(method: string, args: Obj): unknown {
    if (method === 'bulk_pull') {
      const type = String(args['resource_type']);
      const filters = (args['filter_kwargs'] ?? {}) as Record<string, unknown[]>;
      const all = [...(this.db.get(type)?.values() ?? [])];
      return all.filter((p) => Object.entries(filters).every(([k, vals]) => matches(dataOf(p), k, vals)));
    }
    if (method === 'get_ports_by_vnic_type_and_host') {
      const all = [...(this.db.get('Port')?.values() ?? [])];
      return all
        .filter((p) => ((dataOf(p)['bindings'] ?? []) as Obj[]).some((b) => dataOf(b)['host'] === args['host'] && dataOf(b)['vnic_type'] === args['vnic_type']))
        .map((p) => ({ id: idOf(p), name: dataOf(p)['name'] }));
    }
    throw new Error(`FakeQPlugin: no method ${method}`);
  }
}

function matches(data: Obj, key: string, values: unknown[]): boolean {
  const v = data[key];
  if (Array.isArray(v)) return values.some((x) => v.includes(x));
  return values.includes(v);
}

/** Push consumers without a broker: tests deliver casts with `push()`. */
export class FakePushBus {
  readonly endpoints = new Map<string, RpcEndpoint>();
  started = 0;
  stopped = 0;

  readonly factory: PushServerFactory = (topic, endpoint): PushServer => {
    this.endpoints.set(topic, endpoint);
    return {
      start: async () => {
        this.started++;
      },
      stop: async () => {
        this.stopped++;
      },
    };
  };

  /** Delivers `push(resource_list, event_type)` as the server casts it. */
  async push(topic: string, resources: unknown[], event: string): Promise<void> {
    const ep = this.endpoints.get(topic);
    if (!ep) throw new Error(`no consumer on ${topic}`);
    await ep.methods['push']!({}, { resource_list: resources, event_type: event });
  }
}

/** A reconnect source the test can fire. */
export class FakeConnection {
  private readonly cbs = new Set<() => void>();
  onReconnect(cb: () => void): () => void {
    this.cbs.add(cb);
    return () => this.cbs.delete(cb);
  }
  reconnect(): void {
    for (const cb of this.cbs) cb();
  }
}
