/**
 * The host (--dhcp-hostsfile) and addn_hosts (--addn-hosts) files:
 * Dnsmasq._iter_hosts, _output_hosts_file, _output_addn_hosts_file.
 *
 * dnsmasq quirks Neutron works around, kept here:
 * - dnsmasq reads the host file from the end and takes the first line for a
 *   MAC, so a port's stateless-DHCPv6 line (no address) must come before its
 *   IPv4 line, or IPv4 clients get "no address available" (stable sort).
 * - Two host lines for one MAC in one IPv6 subnet: only the first is used, so
 *   with dnsmasq_enable_addr6_list a port's stateful DHCPv6 addresses merge
 *   into one line `[a],[b]` (appended after the port's other addresses).
 * - IPv6 addresses are bracketed so dnsmasq does not read them as a MAC.
 */
import { isIpv6 } from './ip.js';
import { allSubnets } from './metadata.js';
import { pyStr } from './py.js';
import type { DnsmasqConf, Network, Port, Subnet } from './types.js';

/** Ports that get no host line: HA router, floating IP, DHCP, distributed (port_requires_dhcp_configuration). */
const NO_DHCP_OWNERS: readonly string[] = [
  'network:router_ha_interface',
  'network:floatingip',
  'network:dhcp',
  'network:distributed',
];

export function portRequiresDhcpConfiguration(port: Port): boolean {
  if (!port.device_owner) return true;
  return !NO_DHCP_OWNERS.includes(port.device_owner);
}

interface Alloc {
  readonly subnet_id: string;
  /** One address, or with addr6 merging a list `[a],[b]`. */
  readonly ip_address: string;
}

export interface HostEntry {
  readonly port: Port;
  readonly alloc: Alloc;
  readonly hostname: string;
  readonly fqdn: string;
  /** SLAAC or stateless DHCPv6: no address is handed out. */
  readonly noDhcp: boolean;
  /** SLAAC: no options either. */
  readonly noOpts: boolean;
  /** `tag:dhcpv6,` for IPv6 allocations when dnsmasq supports host tags, else ''. */
  readonly tag: string;
}

/** _format_address_for_dnsmasq */
export function dnsmasqAddress(address: string): string {
  return isIpv6(address) ? `[${address}]` : address;
}

function v6Mode(v6: Map<string, Subnet>, subnetId: string): string | null | undefined {
  return v6.get(subnetId)?.ipv6_address_mode;
}

function dnsAssignment(ipAddress: string, port: Port, dnsDomain: string): { hostname: string; fqdn: string } {
  // A merged list `[a],[b]` splits into 'a', ',b', '' — only the first piece can match, as in Neutron.
  const pieces = ipAddress.replaceAll('[', '').split(']');
  if (port.dns_assignment !== null && port.dns_assignment.length > 0) {
    const byIp = new Map(port.dns_assignment.map((d) => [d.ip_address, d]));
    for (const addr of pieces) {
      const d = byIp.get(addr);
      if (d !== undefined) {
        if (d.hostname !== null) return { hostname: d.hostname, fqdn: pyStr(d.fqdn) };
        break;
      }
    }
  }
  const hostname = `host-${(pieces[0] as string).replaceAll('.', '-').replaceAll(':', '-')}`;
  return { hostname, fqdn: dnsDomain ? `${hostname}.${dnsDomain}` : hostname };
}

export function iterHosts(network: Network, conf: DnsmasqConf, hostTagSupported: boolean, mergeAddr6List: boolean): HostEntry[] {
  const v6 = new Map(allSubnets(network).filter((s) => s.ip_version === 6).map((s) => [s.id, s]));
  const out: HostEntry[] = [];
  for (const port of network.ports) {
    if (!portRequiresDhcpConfiguration(port)) continue;
    const stateless = (subnetId: string): number => (v6Mode(v6, subnetId) === 'dhcpv6-stateless' ? 1 : 0);
    let allocs: Alloc[] = [...port.fixed_ips].sort((a, b) => stateless(b.subnet_id) - stateless(a.subnet_id));
    if (conf.dnsmasq_enable_addr6_list && mergeAddr6List) {
      const bySubnet = new Map<string, string[]>();
      const merged: Alloc[] = [];
      for (const a of allocs) {
        if (v6Mode(v6, a.subnet_id) === 'dhcpv6-stateful') {
          const list = bySubnet.get(a.subnet_id) ?? [];
          list.push(a.ip_address);
          bySubnet.set(a.subnet_id, list);
        } else {
          merged.push(a);
        }
      }
      for (const [subnetId, ips] of bySubnet) merged.push({ subnet_id: subnetId, ip_address: ips.map(dnsmasqAddress).join(',') });
      allocs = merged;
    }
    for (const alloc of allocs) {
      let noDhcp = false;
      let noOpts = false;
      let tag = '';
      if (v6.has(alloc.subnet_id)) {
        const mode = v6Mode(v6, alloc.subnet_id);
        noDhcp = mode === 'slaac' || mode === 'dhcpv6-stateless';
        if (hostTagSupported) tag = 'tag:dhcpv6,';
        noOpts = mode === 'slaac';
      }
      const { hostname, fqdn } = dnsAssignment(alloc.ip_address, port, conf.dns_domain);
      out.push({ port, alloc, hostname, fqdn, noDhcp, noOpts, tag });
    }
  }
  return out;
}

const CLIENT_ID_NAMES: readonly (string | number)[] = ['client-id', 61, '61'];

export function isClientIdOpt(name: string | number): boolean {
  return CLIENT_ID_NAMES.includes(name);
}

/** _get_client_id: the first client-id option's value. */
function clientId(port: Port): string | undefined {
  return port.extra_dhcp_opts.find((o) => isClientIdOpt(o.opt_name))?.opt_value;
}

/** `mac,[tag][id:client,]name,ip[,set:port-<id>]` lines; addresses on DHCP-disabled subnets are left out. */
export function renderHostsFile(network: Network, conf: DnsmasqConf, hostTagSupported: boolean): string {
  const dhcpEnabled = new Set(allSubnets(network).filter((s) => s.enable_dhcp).map((s) => s.id));
  let buf = '';
  for (const h of iterHosts(network, conf, hostTagSupported, true)) {
    const { port, tag } = h;
    const hasOpts = port.extra_dhcp_opts.length > 0;
    const portTag = `set:port-${port.id}`;
    if (h.noDhcp) {
      // Stateless DHCPv6 with extra options: a line that only tags the port.
      if (!h.noOpts && hasOpts) buf += `${port.mac_address},${tag}${portTag}\n`;
      continue;
    }
    if (!dhcpEnabled.has(h.alloc.subnet_id)) continue;
    const ip = dnsmasqAddress(h.alloc.ip_address);
    if (hasOpts) {
      const cid = clientId(port);
      // A client-id as the only option needs no port tag (nothing else to apply).
      if (cid && port.extra_dhcp_opts.length > 1) buf += `${port.mac_address},${tag}id:${cid},${h.fqdn},${ip},${portTag}\n`;
      else if (cid && port.extra_dhcp_opts.length === 1) buf += `${port.mac_address},${tag}id:${cid},${h.fqdn},${ip}\n`;
      else buf += `${port.mac_address},${tag}${h.fqdn},${ip},${portTag}\n`;
    } else {
      buf += `${port.mac_address},${tag}${h.fqdn},${ip}\n`;
    }
  }
  return buf;
}

/**
 * /etc/hosts-style `ip<TAB>fqdn hostname` lines, fqdn first so PTR answers
 * carry it. Every address of every configured port is listed, including
 * SLAAC and DHCP-disabled subnets: names resolve even without a lease here.
 */
export function renderAddnHostsFile(network: Network, conf: DnsmasqConf, hostTagSupported: boolean): string {
  let buf = '';
  for (const h of iterHosts(network, conf, hostTagSupported, false)) buf += `${h.alloc.ip_address}\t${h.fqdn} ${h.hostname}\n`;
  return buf;
}
