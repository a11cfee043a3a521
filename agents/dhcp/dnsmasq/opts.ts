/**
 * The --dhcp-optsfile: Dnsmasq._generate_opts_per_subnet, _generate_opts_per_port
 * and _format_option. Lines are joined with '\n' and the file has NO trailing
 * newline (Neutron writes '\n'.join(options)).
 *
 * Why the routes look the way they do:
 * - A client that gets option 121 (classless-static-route) ignores option 3
 *   (router), so whenever any route is sent the default route is appended to it.
 *   Option 249 is the same list for old Windows clients.
 * - Other IPv4 subnets of the same segment are on-link: `<cidr>,0.0.0.0`, each
 *   inserted at the front (so they end up in reverse order).
 * - Metadata 169.254.169.254/32 goes via the DHCP port's own address on
 *   isolated subnets (when the agent serves metadata there) or whenever
 *   force_metadata, and via the gateway on routed subnets.
 * - A host route to 0.0.0.0/0 is never sent as a route: it only fills in a
 *   missing gateway.
 * - Without dns_nameservers dnsmasq announces its own address; Neutron only
 *   writes a dns-server line listing the DHCP ports when more than one DHCP
 *   agent serves the subnet. dns_nameservers = [0.0.0.0] (or [::]) means
 *   "announce no DNS server": an empty dns-server option.
 */
import { parseCidr, parseIp, type IpVersion } from './ip.js';
import { isClientIdOpt } from './hosts.js';
import { allSubnets, routedSubnetIds } from './metadata.js';
import { firstLine, pyIsDigit } from './py.js';
import type { DnsmasqConf, Network } from './types.js';

const METADATA_CIDR = '169.254.169.254/32';
const IPV4_ANY = '0.0.0.0/0';

/** _format_option: `tag:<tag>[,<extra tags>],option[6]:<name>|<number>[,values]`. */
export function formatOption(ipVersion: IpVersion, tag: string, option: string | number, ...values: string[]): string {
  let name = firstLine(String(option));
  // Neutron's regex (tag:(.*),)?(.*)$ : greedy, so everything up to the LAST comma is the extra tag.
  let extraTag: string | null = null;
  const comma = name.lastIndexOf(',');
  if (name.startsWith('tag:') && comma >= 4) {
    extraTag = name.slice(0, comma);
    name = name.slice(comma + 1);
  }
  // dnsmasq 2.79+ honours DHCPv6 options only as option6:<name|num>; IPv4 numbers stay bare.
  if (ipVersion === 6) name = `option6:${name}`;
  else if (!pyIsDigit(name)) name = `option:${name}`;
  const parts = extraTag === null ? [`tag:${tag}`, name] : [`tag:${tag}`, extraTag, name];
  return [...parts, ...values.map(firstLine)].join(',');
}

function literalAddrs(ipVersion: IpVersion, ips: readonly string[]): string[] {
  return ipVersion === 4 ? [...ips] : ips.map((ip) => `[${ip}]`);
}

/** common_utils.is_dns_servers_any_address */
function isAnyAddress(servers: readonly string[], version: IpVersion): boolean {
  if (servers.length !== 1) return false;
  const ip = parseIp(servers[0] as string);
  return ip !== null && ip.version === version && ip.value === 0n;
}

/** What Neutron reads back from the DHCP interface: subnet id → the port's address on it. */
export function subnetInterfaceIps(network: Network, dhcpPortId: string | null): Map<string, string> {
  const map = new Map<string, string>();
  const port = dhcpPortId === null ? undefined : network.ports.find((p) => p.id === dhcpPortId);
  if (port === undefined) return map;
  // Addresses are configured for DHCP-enabled local subnets only (DeviceManager.setup), then
  // matched against all local subnets by network (netaddr compares version/first/last).
  const dhcpLocal = new Map(network.subnets.filter((s) => s.enable_dhcp).map((s) => [s.id, s]));
  const lookup = new Map<string, string>();
  for (const s of network.subnets) lookup.set(`${s.parsedCidr.version}|${s.parsedCidr.first}|${s.parsedCidr.last}`, s.id);
  for (const fip of port.fixed_ips) {
    const subnet = dhcpLocal.get(fip.subnet_id);
    if (subnet === undefined) continue;
    const c = parseCidr(`${fip.ip_address}/${subnet.parsedCidr.prefixlen}`);
    if (c === null) continue;
    const id = lookup.get(`${c.version}|${c.first}|${c.last}`);
    if (id !== undefined) map.set(id, fip.ip_address);
  }
  return map;
}

function subnetOptions(network: Network, conf: DnsmasqConf, dhcpPortId: string | null): { options: string[]; withoutNameservers: Set<string> } {
  const options: string[] = [];
  const withoutNameservers = new Set<string>();
  const metadataOn = conf.enable_isolated_metadata || conf.force_metadata;
  const interfaceIps = metadataOn ? subnetInterfaceIps(network, dhcpPortId) : new Map<string, string>();
  const routed = routedSubnetIds(network);
  const subnets = allSubnets(network);
  for (const subnet of subnets) {
    if (!subnet.enable_dhcp || (subnet.ip_version === 6 && subnet.ipv6_address_mode === 'slaac')) continue;
    const tag = `subnet-${subnet.id}`;
    const v = subnet.ip_version;
    if (subnet.dns_nameservers.length > 0) {
      if (isAnyAddress(subnet.dns_nameservers, v)) options.push(formatOption(v, tag, 'dns-server'));
      else options.push(formatOption(v, tag, 'dns-server', literalAddrs(v, subnet.dns_nameservers).join(',')));
    } else {
      withoutNameservers.add(subnet.id);
    }
    if (conf.dns_domain && v === 6) options.push(formatOption(v, tag, 'domain-search', conf.dns_domain));

    let gateway = subnet.gateway_ip;
    const routes: string[] = [];
    for (const hr of subnet.host_routes) {
      if (hr.destination === IPV4_ANY) {
        if (!gateway) gateway = hr.nexthop;
      } else {
        routes.push(`${hr.destination},${hr.nexthop}`);
      }
    }
    const isolated = !routed.has(subnet.id);
    if ((conf.force_metadata || (isolated && conf.enable_isolated_metadata)) && v === 4) {
      const dhcpIp = interfaceIps.get(subnet.id);
      if (dhcpIp) routes.push(`${METADATA_CIDR},${dhcpIp}`);
    } else if (!isolated && gateway) {
      routes.push(`${METADATA_CIDR},${gateway}`);
    }
    if (v === 4) {
      for (const s of subnets) {
        if (s.ip_version === 4 && s.cidr !== subnet.cidr && s.segment_id === subnet.segment_id) routes.unshift(`${s.cidr},0.0.0.0`);
      }
      if (routes.length > 0) {
        if (gateway) routes.push(`${IPV4_ANY},${gateway}`);
        options.push(formatOption(v, tag, 'classless-static-route', routes.join(',')));
        options.push(formatOption(v, tag, 249, routes.join(',')));
      }
      options.push(gateway ? formatOption(v, tag, 'router', gateway) : formatOption(v, tag, 'router'));
    }
  }
  return { options, withoutNameservers };
}

function portOptions(network: Network, withoutNameservers: Set<string>): string[] {
  const options: string[] = [];
  const dhcpIps = new Map<string, string[]>();
  for (const port of network.ports) {
    if (port.extra_dhcp_opts.length > 0) {
      const versions = new Set(port.fixed_ips.map((f) => f.version));
      for (const opt of port.extra_dhcp_opts) {
        if (isClientIdOpt(opt.opt_name)) continue; // goes into the host line as id:<client>
        // An option for an IP version the port has no address of is dropped (Neutron logs it at info).
        if (versions.has(opt.ip_version)) options.push(formatOption(opt.ip_version, `port-${port.id}`, opt.opt_name, opt.opt_value));
      }
    }
    if (port.device_owner === 'network:dhcp') {
      for (const ip of port.fixed_ips) {
        if (!withoutNameservers.has(ip.subnet_id)) continue;
        const list = dhcpIps.get(ip.subnet_id) ?? [];
        list.push(ip.ip_address);
        dhcpIps.set(ip.subnet_id, list);
      }
    }
  }
  for (const [subnetId, ips] of dhcpIps) {
    for (const v of [4, 6] as const) {
      const vx = ips.filter((ip) => parseIp(ip)?.version === v);
      if (vx.length > 1) options.push(formatOption(v, `subnet-${subnetId}`, 'dns-server', literalAddrs(v, vx).join(',')));
    }
  }
  return options;
}

export function renderOptsFile(network: Network, conf: DnsmasqConf, dhcpPortId: string | null): string {
  const { options, withoutNameservers } = subnetOptions(network, conf, dhcpPortId);
  return [...options, ...portOptions(network, withoutNameservers)].join('\n');
}

