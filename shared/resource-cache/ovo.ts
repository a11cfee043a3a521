/**
 * Neutron versioned objects (OVO primitives, PROTOCOL.md B5) → typed records.
 *
 * The cache keeps these records, never the raw primitives. Validation is strict at
 * this boundary: a malformed object is reported with a reason and skipped as a whole
 * (a port with one unreadable fixed IP is not half-trusted). Versions: the ones this
 * agent reports in `resource_versions` (shared/agent/constants.ts); a newer minor of
 * the same major is accepted when the fields we need are there, another major is not.
 *
 * Python defaults kept when a field is absent or null: port security enabled,
 * security group stateful, binding status ACTIVE, empty lists.
 */
import { LOCAL_RESOURCE_VERSIONS } from '../agent/constants.js';
import { Fields, MalformedObject, isObj, isUuid, unwrapPrimitive } from './ovo-fields.js';

export interface SegmentRecord {
  id: string;
  networkId: string;
  networkType: string;
  /** VNI, VLAN id; null for flat/local. */
  segmentationId: number | null;
  physicalNetwork: string | null;
  segmentIndex: number;
  isDynamic: boolean;
}

export interface FixedIpRecord {
  subnetId: string;
  ipAddress: string;
}

export interface AddressPairRecord {
  /** Address or prefix as the user wrote it. */
  ipAddress: string;
  macAddress: string;
}

export interface PortBindingRecord {
  host: string;
  profile: Record<string, unknown>;
  vifType: string;
  vifDetails: Record<string, unknown> | null;
  vnicType: string;
  /** ACTIVE or INACTIVE (the target host during a live migration). */
  status: string;
}

export interface BindingLevelRecord {
  host: string;
  level: number;
  driver: string | null;
  segmentId: string | null;
  segment?: SegmentRecord;
}

export interface PortRecord {
  id: string;
  projectId: string | null;
  name: string | null;
  networkId: string;
  /** mac_unix_expanded: lowercase, colon separated. */
  macAddress: string;
  adminStateUp: boolean;
  deviceId: string;
  deviceOwner: string;
  status: string;
  fixedIps: FixedIpRecord[];
  allowedAddressPairs: AddressPairRecord[];
  portSecurityEnabled: boolean;
  securityGroupIds: string[];
  bindings: PortBindingRecord[];
  bindingLevels: BindingLevelRecord[];
  qosPolicyId: string | null;
  qosNetworkPolicyId: string | null;
  revisionNumber: number;
}

export interface NetworkRecord {
  id: string;
  projectId: string | null;
  name: string | null;
  status: string | null;
  adminStateUp: boolean;
  mtu: number;
  shared: boolean;
  portSecurityEnabled: boolean;
  segments: SegmentRecord[];
  qosPolicyId: string | null;
  dnsDomain: string | null;
  revisionNumber: number;
}

export interface SubnetRecord {
  id: string;
  projectId: string | null;
  name: string | null;
  networkId: string;
  segmentId: string | null;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  enableDhcp: boolean;
  allocationPools: Array<{ start: string; end: string }>;
  /** In the subnet's `order`. */
  dnsNameservers: string[];
  hostRoutes: Array<{ destination: string; nexthop: string }>;
  ipv6RaMode: string | null;
  ipv6AddressMode: string | null;
  revisionNumber: number;
}

export interface SecurityGroupRecord {
  id: string;
  projectId: string | null;
  name: string | null;
  stateful: boolean;
  shared: boolean | null;
  isDefault: boolean;
  revisionNumber: number;
}

export type Direction = 'ingress' | 'egress';
export type Ethertype = 'IPv4' | 'IPv6';

export interface SecurityGroupRuleRecord {
  id: string;
  projectId: string | null;
  securityGroupId: string;
  direction: Direction;
  ethertype: Ethertype;
  /** Name (`tcp`, `icmp`…) or number as a string; null: any. */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  /** The prefix with host bits cleared (SecurityGroupRule 1.2). */
  normalizedCidr: string | null;
  remoteGroupId: string | null;
  remoteAddressGroupId: string | null;
  revisionNumber: number;
}

export interface AddressGroupRecord {
  id: string;
  projectId: string | null;
  name: string | null;
  /** Addresses or prefixes, as stored. */
  addresses: string[];
  revisionNumber: number;
}

/** Record type per resource type name (the `versioned_object.name`). */
export interface ResourceRecords {
  Port: PortRecord;
  Network: NetworkRecord;
  Subnet: SubnetRecord;
  SecurityGroup: SecurityGroupRecord;
  SecurityGroupRule: SecurityGroupRuleRecord;
  AddressGroup: AddressGroupRecord;
}

export type ResourceType = keyof ResourceRecords;
export type AnyRecord = ResourceRecords[ResourceType];

/** The types the Python OVS agent's cache follows (CacheBackedPluginApi.RESOURCE_TYPES). */
export const RESOURCE_TYPES: readonly ResourceType[] = ['Port', 'Network', 'Subnet', 'SecurityGroup', 'SecurityGroupRule', 'AddressGroup'];

/** Versions we pull and whose push topics we consume: the ones we report to the server. */
export const RESOURCE_VERSIONS: Readonly<Record<ResourceType, string>> = Object.freeze(
  Object.fromEntries(RESOURCE_TYPES.map((t) => [t, versionOf(t)])) as Record<ResourceType, string>,
);

function versionOf(t: ResourceType): string {
  const v = LOCAL_RESOURCE_VERSIONS[t];
  if (v === undefined) throw new Error(`LOCAL_RESOURCE_VERSIONS has no ${t}`);
  return v;
}

function majorOf(t: ResourceType): number {
  return Number(RESOURCE_VERSIONS[t].split('.')[0]);
}

export function isResourceType(v: unknown): v is ResourceType {
  return typeof v === 'string' && (RESOURCE_TYPES as readonly string[]).includes(v);
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string; id?: string };

/** A decoded SecurityGroup also brings the rules it carries (its `rules` field). */
export interface DecodedSecurityGroup {
  group: SecurityGroupRecord;
  /** undefined when the primitive has no `rules` field; bad rules are left out and reported. */
  rules: SecurityGroupRuleRecord[] | undefined;
  ruleProblems: string[];
}

/** Runs a decoder; a MalformedObject becomes `{ok: false}` with the object's id when readable. */
function attempt<T>(prim: unknown, fn: () => T): Decoded<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof MalformedObject)) throw err;
    const data = isObj(prim) ? prim['versioned_object.data'] : undefined;
    const id = isObj(data) && typeof data['id'] === 'string' ? data['id'] : undefined;
    return { ok: false, reason: err.message, ...(id !== undefined ? { id } : {}) };
  }
}

/** revision_number: standard attribute of every type here; the out-of-order guard needs it. */
function revision(f: Fields): number {
  return f.int('revision_number', 0, Number.MAX_SAFE_INTEGER);
}

function segmentFrom(prim: unknown, path: string): SegmentRecord {
  const f = new Fields(unwrapPrimitive(prim, 'NetworkSegment', 1, path), path);
  return {
    id: f.uuid('id'),
    networkId: f.uuid('network_id'),
    networkType: f.str('network_type'),
    segmentationId: f.optInt('segmentation_id', 0, 0xffffffff),
    physicalNetwork: f.optStr('physical_network'),
    segmentIndex: f.optInt('segment_index', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    isDynamic: f.boolOr('is_dynamic', false),
  };
}

function bindingFrom(prim: unknown, path: string): PortBindingRecord {
  const f = new Fields(unwrapPrimitive(prim, 'PortBinding', 1, path), path);
  return {
    host: f.str('host'),
    profile: f.jsonDict('profile', {}) ?? {},
    vifType: f.str('vif_type'),
    vifDetails: f.jsonDict('vif_details', null),
    vnicType: f.str('vnic_type'),
    status: f.optStr('status') ?? 'ACTIVE',
  };
}

function levelFrom(prim: unknown, path: string): BindingLevelRecord {
  const f = new Fields(unwrapPrimitive(prim, 'PortBindingLevel', 1, path), path);
  const seg = f.raw('segment');
  const segment = seg === null ? undefined : segmentFrom(seg, f.fieldPath('segment'));
  return {
    host: f.str('host'),
    level: f.int('level', 0, 1000),
    driver: f.optStr('driver'),
    segmentId: f.optUuid('segment_id') ?? segment?.id ?? null,
    ...(segment !== undefined ? { segment } : {}),
  };
}

function portFrom(prim: unknown, path: string): PortRecord {
  const f = new Fields(unwrapPrimitive(prim, 'Port', majorOf('Port'), path), path);
  const mac = f.mac('mac_address');
  const fixedIps = f.list('fixed_ips').map((p, i) => {
    const ipPath = f.itemPath('fixed_ips', i);
    const a = new Fields(unwrapPrimitive(p, 'IPAllocation', 1, ipPath), ipPath);
    return { subnetId: a.uuid('subnet_id'), ipAddress: a.ip('ip_address') };
  });
  const allowedAddressPairs = f.list('allowed_address_pairs').map((p, i) => {
    const pairPath = f.itemPath('allowed_address_pairs', i);
    const a = new Fields(unwrapPrimitive(p, 'AllowedAddressPair', 1, pairPath), pairPath);
    // The API fills in the port's MAC when a pair has none; keep that meaning if absent.
    return { ipAddress: a.ipOrCidr('ip_address'), macAddress: a.has('mac_address') ? a.mac('mac_address') : mac };
  });
  let portSecurityEnabled = true;
  const sec = f.raw('security');
  if (sec !== null) {
    const secPath = f.fieldPath('security');
    portSecurityEnabled = new Fields(unwrapPrimitive(sec, 'PortSecurity', 1, secPath), secPath).boolOr('port_security_enabled', true);
  }
  const sgIds = f.list('security_group_ids').map((v, i) => {
    if (!isUuid(v)) throw new MalformedObject(f.itemPath('security_group_ids', i), 'not a UUID');
    return v.toLowerCase();
  });
  return {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    name: f.optStr('name'),
    networkId: f.uuid('network_id'),
    macAddress: mac,
    adminStateUp: f.bool('admin_state_up'),
    deviceId: f.str('device_id'),
    deviceOwner: f.str('device_owner'),
    status: f.str('status'),
    fixedIps,
    allowedAddressPairs,
    portSecurityEnabled,
    securityGroupIds: [...new Set(sgIds)].sort(),
    bindings: f.list('bindings').map((b, i) => bindingFrom(b, f.itemPath('bindings', i))),
    bindingLevels: f
      .list('binding_levels')
      .map((l, i) => levelFrom(l, f.itemPath('binding_levels', i)))
      .sort((a, b) => (a.host === b.host ? a.level - b.level : a.host < b.host ? -1 : 1)),
    qosPolicyId: f.optUuid('qos_policy_id'),
    qosNetworkPolicyId: f.optUuid('qos_network_policy_id'),
    revisionNumber: revision(f),
  };
}

function networkFrom(prim: unknown, path: string): NetworkRecord {
  const f = new Fields(unwrapPrimitive(prim, 'Network', majorOf('Network'), path), path);
  let portSecurityEnabled = true;
  const sec = f.raw('security');
  if (sec !== null) {
    const secPath = f.fieldPath('security');
    portSecurityEnabled = new Fields(unwrapPrimitive(sec, 'NetworkPortSecurity', 1, secPath), secPath).boolOr('port_security_enabled', true);
  }
  return {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    name: f.optStr('name'),
    status: f.optStr('status'),
    adminStateUp: f.boolOr('admin_state_up', true),
    mtu: f.int('mtu', 0, 65535),
    shared: f.boolOr('shared', false),
    portSecurityEnabled,
    segments: f
      .list('segments')
      .map((s, i) => segmentFrom(s, f.itemPath('segments', i)))
      .sort((a, b) => a.segmentIndex - b.segmentIndex),
    qosPolicyId: f.optUuid('qos_policy_id'),
    dnsDomain: f.optStr('dns_domain'),
    revisionNumber: revision(f),
  };
}

function subnetFrom(prim: unknown, path: string): SubnetRecord {
  const f = new Fields(unwrapPrimitive(prim, 'Subnet', majorOf('Subnet'), path), path);
  const ipVersion = f.int('ip_version', 4, 6);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MalformedObject(f.fieldPath('ip_version'), 'neither 4 nor 6');
  const cidr = f.ipOrCidr('cidr');
  const item = (key: string, name: string, i: number, v: unknown): Fields => {
    const p = f.itemPath(key, i);
    return new Fields(unwrapPrimitive(v, name, 1, p), p);
  };
  const dns = f.list('dns_nameservers').map((v, i) => {
    const d = item('dns_nameservers', 'DNSNameServer', i, v);
    return { address: d.str('address'), order: d.optInt('order', 0, Number.MAX_SAFE_INTEGER) ?? i };
  });
  return {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    name: f.optStr('name'),
    networkId: f.uuid('network_id'),
    segmentId: f.optUuid('segment_id'),
    ipVersion,
    cidr,
    gatewayIp: f.optIp('gateway_ip'),
    enableDhcp: f.boolOr('enable_dhcp', true),
    allocationPools: f.list('allocation_pools').map((v, i) => {
      const p = item('allocation_pools', 'IPAllocationPool', i, v);
      return { start: p.ip('start'), end: p.ip('end') };
    }),
    dnsNameservers: dns.sort((a, b) => a.order - b.order).map((d) => d.address),
    hostRoutes: f.list('host_routes').map((v, i) => {
      const r = item('host_routes', 'Route', i, v);
      return { destination: r.ipOrCidr('destination'), nexthop: r.ip('nexthop') };
    }),
    ipv6RaMode: f.optStr('ipv6_ra_mode'),
    ipv6AddressMode: f.optStr('ipv6_address_mode'),
    revisionNumber: revision(f),
  };
}

function ruleFrom(prim: unknown, path: string): SecurityGroupRuleRecord {
  const f = new Fields(unwrapPrimitive(prim, 'SecurityGroupRule', majorOf('SecurityGroupRule'), path), path);
  const proto = f.raw('protocol');
  let protocol: string | null = null;
  if (typeof proto === 'number' && Number.isInteger(proto) && proto >= 0 && proto <= 255) protocol = String(proto);
  else if (typeof proto === 'string' && /^[a-z0-9][a-z0-9-]{0,31}$/i.test(proto)) protocol = proto;
  else if (proto !== null) throw new MalformedObject(f.fieldPath('protocol'), `bad protocol ${JSON.stringify(proto)}`);
  return {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    securityGroupId: f.uuid('security_group_id'),
    direction: f.oneOf('direction', ['ingress', 'egress'] as const),
    ethertype: f.oneOf('ethertype', ['IPv4', 'IPv6'] as const),
    protocol,
    portRangeMin: f.optInt('port_range_min', 0, 65535),
    portRangeMax: f.optInt('port_range_max', 0, 65535),
    remoteIpPrefix: f.optIpOrCidr('remote_ip_prefix'),
    normalizedCidr: f.optIpOrCidr('normalized_cidr'),
    remoteGroupId: f.optUuid('remote_group_id'),
    remoteAddressGroupId: f.optUuid('remote_address_group_id'),
    revisionNumber: revision(f),
  };
}

function securityGroupFrom(prim: unknown, path: string): DecodedSecurityGroup {
  const f = new Fields(unwrapPrimitive(prim, 'SecurityGroup', majorOf('SecurityGroup'), path), path);
  const group: SecurityGroupRecord = {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    name: f.optStr('name'),
    stateful: f.boolOr('stateful', true),
    shared: f.has('shared') && f.raw('shared') !== null ? f.bool('shared') : null,
    isDefault: f.boolOr('is_default', false),
    revisionNumber: revision(f),
  };
  if (!f.has('rules')) return { group, rules: undefined, ruleProblems: [] };
  const rules: SecurityGroupRuleRecord[] = [];
  const ruleProblems: string[] = [];
  f.list('rules').forEach((r, i) => {
    const d = attempt(r, () => ruleFrom(r, f.itemPath('rules', i)));
    if (!d.ok) ruleProblems.push(d.reason);
    else if (d.value.securityGroupId !== group.id) ruleProblems.push(`${f.itemPath('rules', i)}: belongs to security group ${d.value.securityGroupId}`);
    else rules.push(d.value);
  });
  return { group, rules, ruleProblems };
}

function addressGroupFrom(prim: unknown, path: string): AddressGroupRecord {
  const f = new Fields(unwrapPrimitive(prim, 'AddressGroup', majorOf('AddressGroup'), path), path);
  return {
    id: f.uuid('id'),
    projectId: f.optStr('project_id'),
    name: f.optStr('name'),
    addresses: f.list('addresses').map((v, i) => {
      const p = f.itemPath('addresses', i);
      return new Fields(unwrapPrimitive(v, 'AddressAssociation', 1, p), p).ipOrCidr('address');
    }),
    revisionNumber: revision(f),
  };
}

export const decodePort = (prim: unknown, path = 'Port'): Decoded<PortRecord> => attempt(prim, () => portFrom(prim, path));
export const decodeNetwork = (prim: unknown, path = 'Network'): Decoded<NetworkRecord> => attempt(prim, () => networkFrom(prim, path));
export const decodeSubnet = (prim: unknown, path = 'Subnet'): Decoded<SubnetRecord> => attempt(prim, () => subnetFrom(prim, path));
export const decodeSecurityGroup = (prim: unknown, path = 'SecurityGroup'): Decoded<DecodedSecurityGroup> => attempt(prim, () => securityGroupFrom(prim, path));
export const decodeSecurityGroupRule = (prim: unknown, path = 'SecurityGroupRule'): Decoded<SecurityGroupRuleRecord> => attempt(prim, () => ruleFrom(prim, path));
export const decodeAddressGroup = (prim: unknown, path = 'AddressGroup'): Decoded<AddressGroupRecord> => attempt(prim, () => addressGroupFrom(prim, path));
export const decodeSegment = (prim: unknown, path = 'NetworkSegment'): Decoded<SegmentRecord> => attempt(prim, () => segmentFrom(prim, path));

/** One decoded object of any followed type; a SecurityGroup brings its rules along. */
export type DecodedResource = {
  [T in ResourceType]: { type: T; record: ResourceRecords[T]; children?: SecurityGroupRuleRecord[]; childProblems?: string[] };
}[ResourceType];

export function decodeResource(type: ResourceType, prim: unknown, path: string = type): Decoded<DecodedResource> {
  switch (type) {
    case 'Port':
      return wrap(decodePort(prim, path), (record) => ({ type, record }));
    case 'Network':
      return wrap(decodeNetwork(prim, path), (record) => ({ type, record }));
    case 'Subnet':
      return wrap(decodeSubnet(prim, path), (record) => ({ type, record }));
    case 'SecurityGroup':
      return wrap(decodeSecurityGroup(prim, path), (d) => ({
        type,
        record: d.group,
        ...(d.rules !== undefined ? { children: d.rules } : {}),
        ...(d.ruleProblems.length > 0 ? { childProblems: d.ruleProblems } : {}),
      }));
    case 'SecurityGroupRule':
      return wrap(decodeSecurityGroupRule(prim, path), (record) => ({ type, record }));
    case 'AddressGroup':
      return wrap(decodeAddressGroup(prim, path), (record) => ({ type, record }));
  }
}

function wrap<A, B>(d: Decoded<A>, fn: (a: A) => B): Decoded<B> {
  return d.ok ? { ok: true, value: fn(d.value) } : d;
}

/**
 * The id of a `deleted` push: the server sends a bare object (`id` plus a few
 * defaults), so only the name and the id are checked.
 */
export function decodeDeletedId(type: ResourceType, prim: unknown, path: string = type): Decoded<string> {
  return attempt(prim, () => new Fields(unwrapPrimitive(prim, type, majorOf(type), path), path).uuid('id'));
}
