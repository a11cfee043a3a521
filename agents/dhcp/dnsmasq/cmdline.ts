/**
 * The dnsmasq command line: Dnsmasq._build_cmdline_callback, element for element.
 *
 * Quirks kept on purpose (dnsmasq accepts them, and argv equality with Neutron
 * keeps the process identity check simple):
 * - With dnsmasq_local_resolv and no dnsmasq_dns_servers, the `--no-resolv`
 *   slot is an empty string argument, not omitted.
 * - --dhcp-lease-max is min(sum of range sizes, dnsmasq_lease_max); an IPv6 /64
 *   counts 2^64, so with any DHCPv6 range it is simply the configured cap.
 * - IPv6 ranges with a prefix shorter than /64 are dropped (dnsmasq refuses
 *   them), and SLAAC-only subnets get no range at all.
 */
import { cidrSize, netmask, networkAddress } from './ip.js';
import { allSubnets } from './metadata.js';
import { confFile } from './paths.js';
import { pyJoin, pyStrip } from './py.js';
import type { DnsmasqConf, Network } from './types.js';

export function leaseText(conf: Pick<DnsmasqConf, 'dhcp_lease_duration'>): string {
  return conf.dhcp_lease_duration === -1 ? 'infinite' : `${conf.dhcp_lease_duration}s`;
}

export function buildArgv(network: Network, conf: DnsmasqConf, interfaceName: string | null, bridged: boolean): string[] {
  const file = (kind: 'host' | 'addn_hosts' | 'opts' | 'leases' | 'pid'): string => confFile(conf.dhcp_confs, network.id, kind);
  const noResolv = conf.dnsmasq_dns_servers.length > 0 || !conf.dnsmasq_local_resolv ? '--no-resolv' : '';
  const argv = [
    'dnsmasq',
    '--no-hosts',
    noResolv,
    `--pid-file=${file('pid')}`,
    `--dhcp-hostsfile=${file('host')}`,
    `--addn-hosts=${file('addn_hosts')}`,
    `--dhcp-optsfile=${file('opts')}`,
    `--dhcp-leasefile=${file('leases')}`,
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
  ];
  // Neutron reads the interface name back from <conf dir>/interface; 'None' when it is missing.
  if (!bridged) argv.push(`--bridge-interface=${interfaceName ?? 'None'},tap*`);

  let possibleLeases = 0n;
  const lease = leaseText(conf);
  for (const subnet of allSubnets(network)) {
    if (!subnet.enable_dhcp) continue;
    let mode: string | null = null;
    if (subnet.ip_version === 4) {
      mode = 'static';
    } else {
      // No IPv6 attributes at all keeps the old behaviour: a static range.
      const addr = subnet.ipv6_address_mode;
      const ra = subnet.ipv6_ra_mode;
      if (addr === 'dhcpv6-stateful' || addr === 'dhcpv6-stateless' || (!addr && !ra)) mode = 'static';
    }
    if (mode === null) continue;
    const cidr = subnet.parsedCidr;
    const tag = `set:subnet-${subnet.id}`;
    if (subnet.ip_version === 4) {
      argv.push(`--dhcp-range=${tag},${networkAddress(cidr)},${mode},${netmask(cidr)},${lease}`);
    } else {
      if (cidr.prefixlen < 64) continue;
      argv.push(`--dhcp-range=${tag},${networkAddress(cidr)},${mode},${cidr.prefixlen},${lease}`);
    }
    possibleLeases += cidrSize(cidr);
  }

  if (network.mtu > 0) argv.push(`--dhcp-option-force=option:mtu,${network.mtu}`);
  const cap = BigInt(conf.dnsmasq_lease_max);
  argv.push(`--dhcp-lease-max=${possibleLeases < cap ? possibleLeases : cap}`);
  if (conf.dhcp_renewal_time > 0) argv.push(`--dhcp-option-force=option:T1,${conf.dhcp_renewal_time}s`);
  if (conf.dhcp_rebinding_time > 0) argv.push(`--dhcp-option-force=option:T2,${conf.dhcp_rebinding_time}s`);
  argv.push(`--conf-file=${pyStrip(conf.dnsmasq_config_file) || '/dev/null'}`);
  for (const server of conf.dnsmasq_dns_servers) argv.push(`--server=${server}`);
  if (conf.dns_domain) argv.push(`--domain=${conf.dns_domain}`);
  if (conf.dhcp_broadcast_reply) argv.push('--dhcp-broadcast');
  if (conf.dnsmasq_base_log_dir) {
    // Neutron also creates <base>/<network_id>/ here; the renderer leaves that to the driver.
    argv.push('--log-queries', '--log-dhcp', `--log-facility=${pyJoin(pyJoin(conf.dnsmasq_base_log_dir, network.id), 'dhcp_dns_log')}`);
  }
  return argv;
}
