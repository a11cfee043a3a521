/**
 * renderDnsmasq: the pure renderer. network dict (unknown, validated here) +
 * agent options + host facts → dnsmasq argv and the host / addn_hosts / opts
 * file contents, byte for byte what Neutron 21's Dnsmasq driver produces.
 * No I/O, no clock; malformed subnets/ports are skipped and reported.
 */
import { buildArgv } from './cmdline.js';
import { DNSMASQ_DEFAULTS, DNSMASQ_ENV_DEFAULTS } from './defaults.js';
import { dhcpInterfaceName } from './device-id.js';
import { renderAddnHostsFile, renderHostsFile } from './hosts.js';
import { renderOptsFile } from './opts.js';
import { parseNetwork } from './validate.js';
import type { DnsmasqConf, DnsmasqEnv, DnsmasqRender, Network, Problem } from './types.js';

export function renderNetwork(network: Network, conf: DnsmasqConf, env: DnsmasqEnv): Omit<DnsmasqRender, 'problems'> {
  const ifname = env.dhcpPortId === null ? null : dhcpInterfaceName(env.dhcpPortId);
  return {
    argv: buildArgv(network, conf, ifname, env.bridged),
    files: {
      host: renderHostsFile(network, conf, env.hostTagSupported),
      addn_hosts: renderAddnHostsFile(network, conf, env.hostTagSupported),
      opts: renderOptsFile(network, conf, env.dhcpPortId),
    },
  };
}

export function renderDnsmasq(raw: unknown, conf: Partial<DnsmasqConf> = {}, env: Partial<DnsmasqEnv> = {}): DnsmasqRender {
  const problems: Problem[] = [];
  const network = parseNetwork(raw, problems);
  if (network === null) return { argv: [], files: { host: '', addn_hosts: '', opts: '' }, problems };
  const fullConf: DnsmasqConf = { ...DNSMASQ_DEFAULTS, ...conf };
  if (!fullConf.dhcp_confs.startsWith('/')) problems.push({ path: 'conf.dhcp_confs', reason: 'not absolute; Neutron would resolve it against its cwd' });
  return { ...renderNetwork(network, fullConf, { ...DNSMASQ_ENV_DEFAULTS, ...env }), problems };
}
