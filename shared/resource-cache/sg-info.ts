/**
 * security_group_info_for_devices (SecurityGroupServerRpcApi 1.3) answered from the
 * cache, as the Python OVS agent's SecurityGroupServerAPIShim computes it on top of
 * SecurityGroupInfoAPIMixin.security_group_info_for_ports
 * (neutron/db/securitygroups_rpc_base.py), in the server's raw reply shape so
 * shared/firewall/validate.ts parseSgInfo reads it:
 *
 *   devices        {port_id: port dict + device, security_groups, security_group_rules
 *                   (the per-port DHCP/RA rules the server adds), source groups…}
 *   security_groups {sg_id: [rules rendered: direction, ethertype, stateful, then
 *                   protocol, port_range_min/max, source_ip_prefix (ingress) or
 *                   dest_ip_prefix (egress) = normalized_cidr or remote_ip_prefix,
 *                   remote_group_id, remote_address_group_id, each only when set]}
 *   sg_member_ips  {group or address group id: {ethertype: [[ip, mac]]}}, only the
 *                   ethertypes some rule referencing it uses
 *
 * Choices, each what the shim does (not the server's database variant):
 * - ports with a `network:` device owner are trusted and left out (is_port_trusted);
 *   unknown ports are left out;
 * - member ips carry the port's MAC for fixed IPs (the server's SQL sends null), and
 *   the pair's MAC for allowed address pairs; address group entries have null;
 * - `device` is `tap` + port_id[:11], the agent-side name (the shim puts the port id,
 *   which no firewall driver here can use as an interface name);
 * - a remote prefix is the rule's normalized_cidr ("10.9.1.0/16" → "10.9.0.0/16"):
 *   the OVO computes it, while the server's SQL path reads a `normalized_cidr` the
 *   database model does not have and so sends the prefix as typed (seen in interop).
 * A security group that was deleted is treated as having no rules (the port's own
 * update follows). Anything else missing throws CacheIncompleteError;
 * fetchSecurityGroupInfo pulls it first.
 */
import { isIP } from 'node:net';
import { CacheIncompleteError, type MissingResource } from './errors.js';
import { isUuid } from './ovo-fields.js';
import type { Ethertype, PortRecord, SecurityGroupRuleRecord } from './ovo.js';
import type { CacheReader } from './store.js';

export interface SgInfoRule {
  direction: 'ingress' | 'egress';
  ethertype: Ethertype;
  stateful?: boolean;
  protocol?: string;
  port_range_min?: number;
  port_range_max?: number;
  source_port_range_min?: number;
  source_port_range_max?: number;
  source_ip_prefix?: string;
  dest_ip_prefix?: string;
  remote_group_id?: string;
  remote_address_group_id?: string;
}

export interface SgInfoPort {
  id: string;
  name: string | null;
  project_id: string | null;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
  /** Plain addresses, as the reply gives them. */
  fixed_ips: string[];
  allowed_address_pairs: Array<{ ip_address: string; mac_address: string }>;
  port_security_enabled: boolean;
  security_groups: string[];
  security_group_rules: SgInfoRule[];
  security_group_source_groups: string[];
  security_group_remote_address_groups: string[];
  device: string;
}

export type SgMemberIps = Partial<Record<Ethertype, Array<[string, string | null]>>>;

export interface SgInfoReply {
  devices: Record<string, SgInfoPort>;
  security_groups: Record<string, SgInfoRule[]>;
  sg_member_ips: Record<string, SgMemberIps>;
}

const DIRECTION_IP_PREFIX = { ingress: 'source_ip_prefix', egress: 'dest_ip_prefix' } as const;
const DEVICE_OWNER_NETWORK_PREFIX = 'network:';
/** ICMPv6 type of a router advertisement (neutron_lib ICMPV6_TYPE_RA). */
const ICMPV6_TYPE_RA = 134;

/** Agent-side device name of a port: tap + port_id[:11] (PROTOCOL.md B10). */
export function tapDevice(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

function familyOf(ipOrCidr: string): 4 | 6 | 0 {
  return isIP(ipOrCidr.split('/')[0] ?? '') as 4 | 6 | 0;
}

function portEntry(p: PortRecord): SgInfoPort {
  return {
    id: p.id,
    name: p.name,
    project_id: p.projectId,
    network_id: p.networkId,
    mac_address: p.macAddress,
    admin_state_up: p.adminStateUp,
    status: p.status,
    device_id: p.deviceId,
    device_owner: p.deviceOwner,
    fixed_ips: p.fixedIps.map((f) => f.ipAddress),
    allowed_address_pairs: p.allowedAddressPairs.map((a) => ({ ip_address: a.ipAddress, mac_address: a.macAddress })),
    port_security_enabled: p.portSecurityEnabled,
    security_groups: [...p.securityGroupIds],
    security_group_rules: [],
    security_group_source_groups: [],
    security_group_remote_address_groups: [],
    device: tapDevice(p.id),
  };
}

/** A group rule as the server renders it for the agent. */
export function renderRule(rule: SecurityGroupRuleRecord, stateful: boolean): SgInfoRule {
  const r: SgInfoRule = { direction: rule.direction, ethertype: rule.ethertype, stateful };
  if (rule.protocol !== null) r.protocol = rule.protocol;
  if (rule.portRangeMin !== null) r.port_range_min = rule.portRangeMin;
  if (rule.portRangeMax !== null) r.port_range_max = rule.portRangeMax;
  if (rule.remoteIpPrefix !== null) r[DIRECTION_IP_PREFIX[rule.direction]] = rule.normalizedCidr ?? rule.remoteIpPrefix;
  if (rule.remoteGroupId !== null) r.remote_group_id = rule.remoteGroupId;
  if (rule.remoteAddressGroupId !== null) r.remote_address_group_id = rule.remoteAddressGroupId;
  return r;
}

/**
 * The rules the server adds to every port (_apply_provider_rule): an ingress ICMPv6
 * RA rule when the port has an IPv6 address, then DHCP replies to each fixed IP and
 * to the v4 broadcast / v6 link-local range.
 */
export function providerRules(fixedIps: readonly string[]): SgInfoRule[] {
  const rules: SgInfoRule[] = [];
  if (fixedIps.some((ip) => familyOf(ip) === 6)) {
    rules.push({ direction: 'ingress', ethertype: 'IPv6', protocol: 'ipv6-icmp', source_port_range_min: ICMPV6_TYPE_RA });
  }
  const dhcp = [
    { family: 4, prefix: '32', extra: '255.255.255.255/32', src: 67, dst: 68, ethertype: 'IPv4' },
    { family: 6, prefix: '128', extra: 'fe80::/64', src: 547, dst: 546, ethertype: 'IPv6' },
  ] as const;
  for (const d of dhcp) {
    const dests = fixedIps.filter((ip) => familyOf(ip) === d.family).map((ip) => `${ip}/${d.prefix}`);
    dests.push(d.extra);
    for (const dest of dests) {
      rules.push({
        direction: 'ingress',
        ethertype: d.ethertype,
        protocol: 'udp',
        port_range_min: d.dst,
        port_range_max: d.dst,
        source_port_range_min: d.src,
        source_port_range_max: d.src,
        dest_ip_prefix: dest,
      });
    }
  }
  return rules;
}

export function securityGroupInfoFromCache(cache: CacheReader, portIds: readonly string[]): SgInfoReply {
  const reply: SgInfoReply = { devices: {}, security_groups: {}, sg_member_ips: {} };
  const missing: MissingResource[] = [];
  const ports: PortRecord[] = [];
  for (const raw of portIds) {
    const p = cache.getPort(raw.toLowerCase());
    if (!p || p.deviceOwner.startsWith(DEVICE_OWNER_NETWORK_PREFIX) || reply.devices[p.id]) continue;
    ports.push(p);
    reply.devices[p.id] = portEntry(p);
  }

  // Groups of the ports: their rules and statefulness must be known.
  const groups = new Map<string, { stateful: boolean; rules: SecurityGroupRuleRecord[] }>();
  for (const p of ports) {
    for (const sg of p.securityGroupIds) {
      if (groups.has(sg)) continue;
      if (cache.wasDeleted('SecurityGroup', sg)) {
        groups.set(sg, { stateful: true, rules: [] });
        continue;
      }
      const rec = cache.getSecurityGroup(sg);
      if (!rec) missing.push({ resourceType: 'SecurityGroup', id: sg, what: 'record' });
      if (!cache.hasRulesOf(sg)) missing.push({ resourceType: 'SecurityGroup', id: sg, what: 'rules' });
      groups.set(sg, { stateful: rec?.stateful ?? true, rules: cache.rulesOfGroup(sg) });
    }
  }
  if (missing.length > 0) throw new CacheIncompleteError(missing);

  // Ethertypes used per remote group / remote address group.
  const remoteGroups = new Map<string, Set<Ethertype>>();
  const remoteAddressGroups = new Map<string, Set<Ethertype>>();
  const addTo = (m: Map<string, Set<Ethertype>>, id: string, eth: Ethertype): void => {
    let s = m.get(id);
    if (!s) m.set(id, (s = new Set()));
    s.add(eth);
  };
  for (const p of ports) {
    const entry = reply.devices[p.id]!;
    for (const sg of p.securityGroupIds) {
      const g = groups.get(sg)!;
      const rendered = (reply.security_groups[sg] ??= []);
      for (const rule of g.rules) {
        if (rule.remoteGroupId !== null) {
          if (!entry.security_group_source_groups.includes(rule.remoteGroupId)) entry.security_group_source_groups.push(rule.remoteGroupId);
          addTo(remoteGroups, rule.remoteGroupId, rule.ethertype);
        } else if (rule.remoteAddressGroupId !== null) {
          if (!entry.security_group_remote_address_groups.includes(rule.remoteAddressGroupId)) {
            entry.security_group_remote_address_groups.push(rule.remoteAddressGroupId);
          }
          addTo(remoteAddressGroups, rule.remoteAddressGroupId, rule.ethertype);
        }
        const r = renderRule(rule, g.stateful);
        if (!rendered.some((x) => sameRule(x, r))) rendered.push(r);
      }
    }
    entry.security_group_rules = providerRules(entry.fixed_ips);
  }

  for (const [rg, ethertypes] of remoteGroups) {
    // A deleted remote group has no members; the rules naming it were cascaded away
    // in the database without a push, a refresh drops them here.
    if (cache.wasDeleted('SecurityGroup', rg)) {
      reply.sg_member_ips[rg] = membersByEthertype([], ethertypes);
      continue;
    }
    if (!cache.hasMembersOf(rg)) {
      missing.push({ resourceType: 'SecurityGroup', id: rg, what: 'members' });
      continue;
    }
    const pairs: Array<[string, string | null]> = [];
    for (const m of cache.portsInSecurityGroup(rg)) {
      for (const f of m.fixedIps) pairs.push([f.ipAddress, m.macAddress]);
      for (const a of m.allowedAddressPairs) pairs.push([a.ipAddress, a.macAddress]);
    }
    reply.sg_member_ips[rg] = membersByEthertype(pairs, ethertypes);
  }
  for (const [ag, ethertypes] of remoteAddressGroups) {
    const rec = cache.getAddressGroup(ag);
    if (!rec && !cache.wasDeleted('AddressGroup', ag)) {
      missing.push({ resourceType: 'AddressGroup', id: ag, what: 'record' });
      continue;
    }
    reply.sg_member_ips[ag] = membersByEthertype((rec?.addresses ?? []).map((a) => [a, null]), ethertypes);
  }
  if (missing.length > 0) throw new CacheIncompleteError(missing);
  return reply;
}

/** Deduplicated (a set in Python), sorted for a stable answer, split by IP version. */
function membersByEthertype(pairs: Array<[string, string | null]>, ethertypes: ReadonlySet<Ethertype>): SgMemberIps {
  const out: SgMemberIps = {};
  for (const eth of ethertypes) out[eth] = [];
  const seen = new Set<string>();
  for (const [ip, mac] of pairs) {
    const f = familyOf(ip);
    const eth: Ethertype | undefined = f === 4 ? 'IPv4' : f === 6 ? 'IPv6' : undefined;
    const list = eth ? out[eth] : undefined;
    const key = `${ip}|${mac ?? ''}`;
    if (!list || seen.has(key)) continue;
    seen.add(key);
    list.push([ip, mac]);
  }
  for (const eth of ethertypes) out[eth]!.sort((a, b) => (a[0] === b[0] ? (a[1] ?? '').localeCompare(b[1] ?? '') : a[0] < b[0] ? -1 : 1));
  return out;
}

function sameRule(a: SgInfoRule, b: SgInfoRule): boolean {
  const ka = Object.keys(a) as Array<keyof SgInfoRule>;
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** What fetchSecurityGroupInfo needs: the reads plus the pull on a miss. */
export interface PortsPullingCacheReader extends CacheReader {
  pullPorts(ids: readonly string[]): Promise<unknown[]>;
}

/** Pulls the ports (and their groups, rules, members) the cache lacks, then answers. */
export async function fetchSecurityGroupInfo(cache: PortsPullingCacheReader, portIds: readonly string[]): Promise<SgInfoReply> {
  // Ids that are no port ids cannot be pulled; they are left out like unknown ports.
  await cache.pullPorts(portIds.filter(isUuid));
  return securityGroupInfoFromCache(cache, portIds);
}
