/**
 * Validates the network dict of get_network_info / get_active_networks_info
 * into typed data. Never throws: a malformed subnet or port is dropped as a
 * whole and reported (Python Neutron would raise somewhere in the middle of
 * writing the files instead). Fields Neutron reads with getattr(..., None)
 * are optional here too; fields it reads as attributes are required.
 */
import { parseCidr, parseIp } from './ip.js';
import type { DnsAssignment, ExtraDhcpOpt, FixedIp, HostRoute, Network, Port, Problem, Subnet } from './types.js';

type Obj = Record<string, unknown>;

class Malformed extends Error {}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Malformed(`${key} must be a string`);
  return v;
}

function optStr(o: Obj, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Malformed(`${key} must be a string or null`);
  return v;
}

function arr(o: Obj, key: string, required: boolean): unknown[] {
  const v = o[key];
  if (v === undefined && !required) return [];
  if (!Array.isArray(v)) throw new Malformed(`${key} must be a list`);
  return v;
}

function ip(v: unknown, what: string): string {
  if (typeof v !== 'string' || parseIp(v) === null) throw new Malformed(`${what} is not an IP address`);
  return v;
}

function ipVersion(v: unknown, what: string): 4 | 6 {
  if (v !== 4 && v !== 6) throw new Malformed(`${what} must be 4 or 6`);
  return v;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

function subnet(raw: unknown): Subnet {
  if (!isObj(raw)) throw new Malformed('not an object');
  const id = str(raw, 'id');
  const cidr = str(raw, 'cidr');
  const parsedCidr = parseCidr(cidr);
  if (parsedCidr === null) throw new Malformed('cidr is not a CIDR');
  const version = ipVersion(raw['ip_version'], 'ip_version');
  if (version !== parsedCidr.version) throw new Malformed('ip_version does not match cidr');
  if (typeof raw['enable_dhcp'] !== 'boolean') throw new Malformed('enable_dhcp must be a boolean');
  const gateway = optStr(raw, 'gateway_ip');
  if (gateway !== null) ip(gateway, 'gateway_ip');
  const dns = arr(raw, 'dns_nameservers', false).map((d, i) => ip(d, `dns_nameservers[${i}]`));
  const routes = arr(raw, 'host_routes', false).map((r, i): HostRoute => {
    if (!isObj(r)) throw new Malformed(`host_routes[${i}] is not an object`);
    const destination = str(r, 'destination');
    if (parseCidr(destination) === null) throw new Malformed(`host_routes[${i}].destination is not a CIDR`);
    return { destination, nexthop: ip(r['nexthop'], `host_routes[${i}].nexthop`) };
  });
  return {
    id,
    cidr,
    parsedCidr,
    ip_version: version,
    enable_dhcp: raw['enable_dhcp'],
    gateway_ip: gateway,
    dns_nameservers: dns,
    host_routes: routes,
    ipv6_address_mode: optStr(raw, 'ipv6_address_mode'),
    ipv6_ra_mode: optStr(raw, 'ipv6_ra_mode'),
    segment_id: optStr(raw, 'segment_id'),
  };
}

function port(raw: unknown): Port {
  if (!isObj(raw)) throw new Malformed('not an object');
  const id = str(raw, 'id');
  const mac = str(raw, 'mac_address');
  if (!MAC.test(mac)) throw new Malformed('mac_address is not a MAC address');
  const fixedIps = arr(raw, 'fixed_ips', true).map((f, i): FixedIp => {
    if (!isObj(f)) throw new Malformed(`fixed_ips[${i}] is not an object`);
    const address = ip(f['ip_address'], `fixed_ips[${i}].ip_address`);
    return { subnet_id: str(f, 'subnet_id'), ip_address: address, version: (parseIp(address) as { version: 4 | 6 }).version };
  });
  const extra = arr(raw, 'extra_dhcp_opts', false).map((o, i): ExtraDhcpOpt => {
    if (!isObj(o)) throw new Malformed(`extra_dhcp_opts[${i}] is not an object`);
    const name = o['opt_name'];
    if (typeof name !== 'string' && !(typeof name === 'number' && Number.isInteger(name))) {
      throw new Malformed(`extra_dhcp_opts[${i}].opt_name must be a string or an integer`);
    }
    if (typeof o['opt_value'] !== 'string') throw new Malformed(`extra_dhcp_opts[${i}].opt_value must be a string`);
    return { opt_name: name, opt_value: o['opt_value'], ip_version: ipVersion(o['ip_version'], `extra_dhcp_opts[${i}].ip_version`) };
  });
  let dns: DnsAssignment[] | null = null;
  if (raw['dns_assignment'] !== undefined && raw['dns_assignment'] !== null) {
    dns = arr(raw, 'dns_assignment', true).map((d, i): DnsAssignment => {
      if (!isObj(d)) throw new Malformed(`dns_assignment[${i}] is not an object`);
      return { hostname: optStr(d, 'hostname'), ip_address: str(d, 'ip_address'), fqdn: optStr(d, 'fqdn') };
    });
  }
  return {
    id,
    mac_address: mac,
    device_owner: optStr(raw, 'device_owner'),
    device_id: optStr(raw, 'device_id'),
    fixed_ips: fixedIps,
    extra_dhcp_opts: extra,
    dns_assignment: dns,
  };
}

function each<T>(list: unknown, path: string, parse: (raw: unknown) => T, problems: Problem[]): T[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    problems.push({ path, reason: 'must be a list' });
    return [];
  }
  const out: T[] = [];
  list.forEach((raw, i) => {
    try {
      out.push(parse(raw));
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      problems.push({ path: `${path}[${i}]`, reason: `skipped: ${err.message}` });
    }
  });
  return out;
}

/** Typed network, or null (with a problem) when even its id is unusable. */
export function parseNetwork(raw: unknown, problems: Problem[]): Network | null {
  if (!isObj(raw) || typeof raw['id'] !== 'string' || raw['id'] === '') {
    problems.push({ path: 'id', reason: 'network is not an object with a string id' });
    return null;
  }
  let mtu = 0;
  const rawMtu = raw['mtu'];
  if (typeof rawMtu === 'number' && Number.isInteger(rawMtu)) mtu = rawMtu;
  else if (rawMtu !== undefined) problems.push({ path: 'mtu', reason: 'not an integer; no MTU option is advertised' });
  return {
    id: raw['id'],
    mtu,
    subnets: each(raw['subnets'], 'subnets', subnet, problems),
    non_local_subnets: each(raw['non_local_subnets'], 'non_local_subnets', subnet, problems),
    ports: each(raw['ports'], 'ports', port, problems),
  };
}
