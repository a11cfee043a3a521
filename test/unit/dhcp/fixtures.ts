/**
 * Network fixtures for the dnsmasq renderer: the recorded lab payloads and
 * hand-made IPv4/IPv6 and edge cases. Each case is rendered by Neutron
 * (py/render_dnsmasq.py) and by us, and must match byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES, type PyCase } from './neutron.js';

type Json = Record<string, unknown>;

function sample(file: string): Json {
  return JSON.parse(readFileSync(join(SAMPLES, file), 'utf8')) as Json;
}
function payload(file: string): Json {
  return ((sample(file)['request'] as Json)['args'] as Json)['payload'] as Json;
}

const NET = '8d1e8f2c-5c67-4a3e-9a52-1f0e0c6a7b10';
const S4 = '1a2b3c4d-0000-4000-8000-000000000004';
const S4B = '1a2b3c4d-0000-4000-8000-00000000004b';
const S4OFF = '1a2b3c4d-0000-4000-8000-0000000000ff';
const S6SLAAC = '1a2b3c4d-0000-4000-8000-000000000061';
const S6FULL = '1a2b3c4d-0000-4000-8000-000000000062';
const S6LESS = '1a2b3c4d-0000-4000-8000-000000000063';
const DHCP_PORT = 'd1c9a7e0-3b4f-4c5d-8e6f-7a8b9c0d1e2f';
const DHCP_PORT2 = 'd2c9a7e0-3b4f-4c5d-8e6f-7a8b9c0d1e2f';

function v4(id: string, cidr: string, extra: Json = {}): Json {
  return { id, cidr, ip_version: 4, enable_dhcp: true, gateway_ip: cidr.replace(/0\/\d+$/, '1'), dns_nameservers: [], host_routes: [], ipv6_address_mode: null, ipv6_ra_mode: null, segment_id: null, ...extra };
}
function v6(id: string, cidr: string, mode: string | null, extra: Json = {}): Json {
  return { id, cidr, ip_version: 6, enable_dhcp: true, gateway_ip: cidr.replace(/::\/\d+$/, '::1'), dns_nameservers: [], host_routes: [], ipv6_address_mode: mode, ipv6_ra_mode: mode, segment_id: null, ...extra };
}
let macN = 0;
function port(id: string, owner: string, fixed: [string, string][], extra: Json = {}): Json {
  macN++;
  return {
    id,
    mac_address: `fa:16:3e:00:00:${macN.toString(16).padStart(2, '0')}`,
    device_owner: owner,
    device_id: `dev-${id.slice(0, 8)}`,
    fixed_ips: fixed.map(([subnet_id, ip_address]) => ({ subnet_id, ip_address })),
    extra_dhcp_opts: [],
    ...extra,
  };
}
function net(subnets: Json[], ports: Json[], extra: Json = {}): Json {
  return { id: NET, project_id: 'p', tenant_id: 'p', admin_state_up: true, subnets, non_local_subnets: [], ports, mtu: 1450, ...extra };
}
const dhcpPort = (fixed: [string, string][], id = DHCP_PORT): Json => port(id, 'network:dhcp', fixed);
const vm = (n: number, fixed: [string, string][], extra: Json = {}): Json => port(`a${n}000000-1111-4222-8333-444455556666`, 'compute:nova', fixed, extra);
const router = (fixed: [string, string][]): Json => port('f0000000-1111-4222-8333-444455556666', 'network:router_interface', fixed);

const CONF = { dhcp_confs: '/var/lib/neutron/dhcp' };

// ---------------------------------------------------------------- recorded payloads

const recordedInfo = ((sample('neutron__q-plugin__get_network_info.json')['reply'] as Json)['message'] as Json)['result'] as Json;
const activeInfo = ((sample('neutron__q-plugin__get_active_networks_info.json')['reply'] as Json)['message'] as Json)['result'] as Json[];
// lab-net as the agent's cache holds it: the network of port_create_end, the subnet of
// subnet_update_end, the VM port of port_create_end, plus this agent's DHCP port.
const labPort = payload('neutron__dhcp_agent._host___port_create_end.json')['port'] as Json;
const labNet = labPort['network'] as Json;
const labSubnet = payload('neutron__dhcp_agent._host___subnet_update_end.json')['subnet'] as Json;
const labDhcp = { ...dhcpPort([[labSubnet['id'] as string, '10.90.0.2']]), network_id: labNet['id'] };
const labNetwork = { id: labNet['id'], project_id: 'labproject', tenant_id: 'labproject', admin_state_up: true, subnets: [labSubnet], non_local_subnets: [], ports: [labDhcp, labPort], mtu: labNet['mtu'] };
// lab-ext: subnet_create_end (DHCP disabled) with the port of port_delete_end.
const extSubnet = payload('neutron__dhcp_agent._host___subnet_create_end.json')['subnet'] as Json;
const extDel = payload('neutron__dhcp_agent._host___port_delete_end.json');
const extNetwork = { ...recordedInfo, subnets: [extSubnet], ports: [{ id: extDel['port_id'], mac_address: 'fa:16:3e:aa:bb:cc', device_owner: 'network:router_gateway', fixed_ips: extDel['fixed_ips'], extra_dhcp_opts: [] }] };

export const CASES: PyCase[] = [
  { name: 'recorded get_network_info (no subnets)', network: recordedInfo, conf: CONF },
  ...activeInfo.map((n, i) => ({ name: `recorded get_active_networks_info[${i}]`, network: n, conf: CONF })),
  { name: 'recorded lab-net (subnet_update_end + port_create_end)', network: labNetwork, conf: CONF, env: { dhcpPortId: DHCP_PORT } },
  { name: 'recorded lab-net, isolated metadata', network: labNetwork, conf: { ...CONF, enable_isolated_metadata: true }, env: { dhcpPortId: DHCP_PORT } },
  { name: 'recorded lab-ext (subnet_create_end, DHCP disabled)', network: extNetwork, conf: CONF },

  // ---------------------------------------------------------------- IPv4
  {
    name: 'v4 routed: router port on gateway, host routes, default route in host_routes ignored',
    network: net(
      [v4(S4, '10.0.0.0/24', { dns_nameservers: ['8.8.8.8', '1.1.1.1'], host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.254' }, { destination: '0.0.0.0/0', nexthop: '10.0.0.253' }] })],
      [dhcpPort([[S4, '10.0.0.2']]), router([[S4, '10.0.0.1']]), vm(1, [[S4, '10.0.0.11']]), vm(2, [[S4, '10.0.0.12'], [S4, '10.0.0.13']])],
    ),
    conf: { ...CONF, enable_isolated_metadata: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'v4 isolated: metadata route via the DHCP port address',
    network: net([v4(S4, '10.0.0.0/24')], [dhcpPort([[S4, '10.0.0.2']]), vm(1, [[S4, '10.0.0.11']])]),
    conf: { ...CONF, enable_isolated_metadata: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'v4 force_metadata on a routed subnet',
    network: net([v4(S4, '10.0.0.0/24')], [dhcpPort([[S4, '10.0.0.2']]), router([[S4, '10.0.0.1']]), vm(1, [[S4, '10.0.0.11']])]),
    conf: { ...CONF, force_metadata: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'v4 isolated metadata but no DHCP port known yet',
    network: net([v4(S4, '10.0.0.0/24')], [vm(1, [[S4, '10.0.0.11']])]),
    conf: { ...CONF, enable_isolated_metadata: true },
  },
  {
    name: 'v4 gateway none, no routes; gateway none filled from a 0.0.0.0/0 host route',
    network: net(
      [v4(S4, '10.0.0.0/24', { gateway_ip: null }), v4(S4B, '10.1.0.0/24', { gateway_ip: null, segment_id: 'seg-b', host_routes: [{ destination: '0.0.0.0/0', nexthop: '10.1.0.254' }, { destination: '172.16.0.0/12', nexthop: '10.1.0.253' }] })],
      [vm(1, [[S4, '10.0.0.11'], [S4B, '10.1.0.11']])],
    ),
    conf: CONF,
  },
  {
    name: 'v4 two subnets on one segment (on-link routes, reversed), a non-local subnet on another segment, a DHCP-disabled subnet',
    network: net(
      [v4(S4, '10.0.0.0/24'), v4(S4B, '10.0.1.0/24'), v4(S4OFF, '10.0.9.0/24', { enable_dhcp: false })],
      [dhcpPort([[S4, '10.0.0.2'], [S4B, '10.0.1.2']]), router([[S4, '10.0.0.1']]), vm(1, [[S4, '10.0.0.11'], [S4B, '10.0.1.11'], [S4OFF, '10.0.9.11']])],
      { non_local_subnets: [v4('1a2b3c4d-0000-4000-8000-0000000000aa', '10.5.0.0/24', { segment_id: 'seg-remote' })] },
    ),
    conf: { ...CONF, enable_isolated_metadata: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'device owners: HA, floating IP, DHCP and distributed ports get no host lines; no owner does',
    network: net([v4(S4, '10.0.0.0/24')], [
      port('b1000000-1111-4222-8333-444455556666', 'network:router_ha_interface', [[S4, '10.0.0.21']]),
      port('b2000000-1111-4222-8333-444455556666', 'network:floatingip', [[S4, '10.0.0.22']]),
      port('b3000000-1111-4222-8333-444455556666', 'network:distributed', [[S4, '10.0.0.23']]),
      port('b4000000-1111-4222-8333-444455556666', '', [[S4, '10.0.0.24']]),
      { ...port('b5000000-1111-4222-8333-444455556666', '', [[S4, '10.0.0.25']]), device_owner: null },
      port('b6000000-1111-4222-8333-444455556666', 'network:router_gateway', [[S4, '10.0.0.26']]),
      dhcpPort([[S4, '10.0.0.2']]),
    ]),
    conf: CONF,
  },
  {
    name: 'DNS: any-address means none, two DHCP ports announce both, one DHCP port announces nothing',
    network: net(
      [v4(S4, '10.0.0.0/24', { dns_nameservers: ['0.0.0.0'] }), v4(S4B, '10.0.1.0/24'), v4('1a2b3c4d-0000-4000-8000-00000000004c', '10.0.2.0/24'), v6(S6FULL, 'fd00:1::/64', 'dhcpv6-stateful', { dns_nameservers: ['::'] }), v6(S6LESS, 'fd00:2::/64', 'dhcpv6-stateless', { dns_nameservers: ['2001:4860:4860::8888', 'fd00:2::53'] })],
      [
        dhcpPort([[S4, '10.0.0.2'], [S4B, '10.0.1.2'], ['1a2b3c4d-0000-4000-8000-00000000004c', '10.0.2.2'], [S6FULL, 'fd00:1::2']]),
        dhcpPort([[S4, '10.0.0.3'], [S4B, '10.0.1.3'], [S6FULL, 'fd00:1::3']], DHCP_PORT2),
      ],
    ),
    conf: CONF,
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'dns_assignment names, a missing hostname, a null fqdn',
    network: net([v4(S4, '10.0.0.0/24')], [
      vm(1, [[S4, '10.0.0.11']], { dns_assignment: [{ hostname: 'web1', ip_address: '10.0.0.11', fqdn: 'web1.example.org.' }] }),
      vm(2, [[S4, '10.0.0.12']], { dns_assignment: [{ hostname: null, ip_address: '10.0.0.12', fqdn: 'x.example.org.' }] }),
      vm(3, [[S4, '10.0.0.13']], { dns_assignment: [{ hostname: 'db', ip_address: '10.0.0.13', fqdn: null }] }),
      vm(4, [[S4, '10.0.0.14']], { dns_assignment: [] }),
    ]),
    conf: CONF,
  },

  // ---------------------------------------------------------------- IPv6
  {
    name: 'dual stack: v4 + slaac + dhcpv6-stateful + dhcpv6-stateless, several fixed IPs per port, dns_domain domain-search',
    network: net(
      [v4(S4, '10.0.0.0/24'), v6(S6SLAAC, '2001:db8:0:1::/64', 'slaac'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful', { dns_nameservers: ['2001:db8::53'] }), v6(S6LESS, '2001:db8:0:3::/64', 'dhcpv6-stateless')],
      [
        dhcpPort([[S4, '10.0.0.2'], [S6FULL, '2001:db8:0:2::2'], [S6LESS, '2001:db8:0:3::2']]),
        router([[S4, '10.0.0.1'], [S6SLAAC, '2001:db8:0:1::1']]),
        vm(1, [[S4, '10.0.0.11'], [S6SLAAC, '2001:db8:0:1:f816:3eff:fe00:1'], [S6FULL, '2001:db8:0:2::11'], [S6LESS, '2001:db8:0:3:f816:3eff:fe00:1']]),
        vm(2, [[S6LESS, '2001:db8:0:3:f816:3eff:fe00:2'], [S4, '10.0.0.12']], { extra_dhcp_opts: [{ opt_name: 'dns-server', opt_value: '[2001:db8::1]', ip_version: 6 }, { opt_name: 'ntp-server', opt_value: '10.0.0.1', ip_version: 4 }] }),
        vm(3, [[S6SLAAC, '2001:db8:0:1:f816:3eff:fe00:3']], { extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'x.efi', ip_version: 6 }] }),
      ],
    ),
    conf: { ...CONF, enable_isolated_metadata: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'dual stack without dnsmasq host tag support and without a domain',
    network: net(
      [v4(S4, '10.0.0.0/24'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful'), v6(S6LESS, '2001:db8:0:3::/64', 'dhcpv6-stateless')],
      [vm(1, [[S4, '10.0.0.11'], [S6FULL, '2001:db8:0:2::11'], [S6LESS, '2001:db8:0:3::11']], { extra_dhcp_opts: [{ opt_name: '23', opt_value: '1', ip_version: 6 }] })],
    ),
    conf: { ...CONF, dns_domain: '' },
    env: { hostTagSupported: false },
  },
  {
    name: 'dhcpv6-stateful with several addresses per subnet merged (dnsmasq_enable_addr6_list)',
    network: net(
      [v4(S4, '10.0.0.0/24'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful'), v6(S6LESS, 'fd00::/64', 'dhcpv6-stateful')],
      [vm(1, [[S6FULL, '2001:db8:0:2::11'], [S4, '10.0.0.11'], [S6FULL, '2001:db8:0:2::12'], [S6LESS, 'fd00::5']], { dns_assignment: [{ hostname: 'merged', ip_address: '2001:db8:0:2::11', fqdn: 'merged.example.' }] }), vm(2, [[S6FULL, '2001:db8:0:2::21'], [S6FULL, '2001:db8:0:2::22']])],
    ),
    conf: { ...CONF, dnsmasq_enable_addr6_list: true },
  },
  {
    name: 'same ports without addr6 merging',
    network: net(
      [v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful')],
      [vm(2, [[S6FULL, '2001:db8:0:2::21'], [S6FULL, '2001:db8:0:2::22']])],
    ),
    conf: CONF,
  },
  {
    name: 'IPv6 ranges: no modes (static), ra_mode only (none), prefix < 64 (dropped), non-canonical and v4-mapped text',
    network: net(
      [
        v6(S6FULL, '2001:0DB8:0000:0002:0000::/64', null),
        v6(S6LESS, '2001:db8:0:3::/64', null, { ipv6_ra_mode: 'slaac' }),
        v6(S6SLAAC, '2001:db8:100::/56', 'dhcpv6-stateful'),
        v6('1a2b3c4d-0000-4000-8000-000000000064', '::ffff:10.9.0.0/120', 'dhcpv6-stateful', { gateway_ip: null }),
        v6('1a2b3c4d-0000-4000-8000-000000000065', '2001:0:0:1:0:0:0:0/80', 'dhcpv6-stateful', { gateway_ip: null }),
      ],
      [vm(1, [[S6FULL, '2001:db8:0:2::11']])],
      { mtu: 0 },
    ),
    conf: CONF,
  },

  // ---------------------------------------------------------------- extra_dhcp_opts
  {
    name: 'extra_dhcp_opts: names, numbers, tags, client-id alone and with others, wrong ip_version, newlines',
    network: net(
      [v4(S4, '10.0.0.0/24'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful')],
      [
        vm(1, [[S4, '10.0.0.11']], { extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: '10.0.0.5', ip_version: 4 }, { opt_name: '66', opt_value: '10.0.0.5', ip_version: 4 }, { opt_name: 'tag:ipxe,bootfile-name', opt_value: 'http://boot/ipxe', ip_version: 4 }, { opt_name: 'tag:a,tag:b,67', opt_value: 'pxelinux.0', ip_version: 4 }, { opt_name: 'bootfile-name', opt_value: 'v6.efi', ip_version: 6 }, { opt_name: 'domain-name', opt_value: 'first\nsecond', ip_version: 4 }] }),
        vm(2, [[S4, '10.0.0.12']], { extra_dhcp_opts: [{ opt_name: 'client-id', opt_value: '01:aa:bb', ip_version: 4 }] }),
        vm(3, [[S4, '10.0.0.13'], [S6FULL, '2001:db8:0:2::13']], { extra_dhcp_opts: [{ opt_name: '61', opt_value: 'cid-3', ip_version: 4 }, { opt_name: 'mtu', opt_value: '9000', ip_version: 4 }, { opt_name: 'dns-server', opt_value: '[2001:db8::35]', ip_version: 6 }] }),
        vm(4, [[S4, '10.0.0.14']], { extra_dhcp_opts: [{ opt_name: 61, opt_value: 'cid-4', ip_version: 4 }, { opt_name: 'router', opt_value: '10.0.0.254', ip_version: 4 }] }),
        vm(5, [[S4, '10.0.0.15']], { extra_dhcp_opts: [{ opt_name: 'client-id', opt_value: '', ip_version: 4 }, { opt_name: 'router', opt_value: '10.0.0.254', ip_version: 4 }] }),
        port('b6000000-1111-4222-8333-444455556666', 'network:floatingip', [[S4, '10.0.0.16']], { extra_dhcp_opts: [{ opt_name: 'router', opt_value: '10.0.0.254', ip_version: 4 }] }),
      ],
    ),
    conf: CONF,
  },

  // ---------------------------------------------------------------- agent options
  {
    name: 'options: infinite lease, local resolv without servers (empty argv slot), lease cap, T1/T2, broadcast, config file, log dir, non-bridged',
    network: net([v4(S4, '10.0.0.0/24'), v4(S4B, '10.0.1.0/28')], [dhcpPort([[S4, '10.0.0.2']]), vm(1, [[S4, '10.0.0.11']])], { mtu: 9000 }),
    conf: { ...CONF, dhcp_lease_duration: -1, dnsmasq_local_resolv: true, dnsmasq_lease_max: 100, dhcp_renewal_time: 300, dhcp_rebinding_time: 500, dhcp_broadcast_reply: true, dnsmasq_config_file: '  /etc/neutron/dnsmasq.conf \n', dnsmasq_base_log_dir: '/var/log/neutron/dnsmasq/' },
    env: { dhcpPortId: DHCP_PORT, bridged: false },
  },
  {
    name: 'options: dns servers with local resolv, custom domain, short lease, dhcp_confs with dots and a trailing slash',
    network: net([v4(S4, '10.0.0.0/24'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful')], [vm(1, [[S4, '10.0.0.11'], [S6FULL, '2001:db8:0:2::11']])]),
    conf: { dhcp_confs: '/var/lib/./neutron/../neutron/dhcp/', dhcp_lease_duration: 600, dnsmasq_local_resolv: true, dnsmasq_dns_servers: ['8.8.8.8', '1.1.1.1#5353'], dns_domain: 'cloud.example.org' },
  },
  {
    name: 'metadata network: 169.254 subnet with enable_metadata_network',
    network: net([v4(S4, '169.254.0.0/16', { gateway_ip: null })], [dhcpPort([[S4, '169.254.0.2']]), router([[S4, '169.254.0.1']])]),
    conf: { ...CONF, enable_isolated_metadata: true, enable_metadata_network: true },
    env: { dhcpPortId: DHCP_PORT },
  },
  {
    name: 'only DHCP-disabled subnets',
    network: net([v4(S4OFF, '10.0.9.0/24', { enable_dhcp: false })], [vm(1, [[S4OFF, '10.0.9.11']])]),
    conf: { ...CONF, force_metadata: true },
  },
];

/** shouldServeMetadata is also compared under these option sets, for every case. */
export const METADATA_CONFS: Record<string, unknown>[] = [
  {},
  { enable_isolated_metadata: true },
  { force_metadata: true },
  { enable_isolated_metadata: true, enable_metadata_network: true },
  { enable_metadata_network: true },
];

// ---------------------------------------------------------------- malformed input

/** A raw network with broken entries, and the same network with those entries removed (what Neutron gets). */
const good = net(
  [v4(S4, '10.0.0.0/24'), v6(S6FULL, '2001:db8:0:2::/64', 'dhcpv6-stateful')],
  [vm(1, [[S4, '10.0.0.11']]), vm(2, [[S6FULL, '2001:db8:0:2::12']])],
);
export const MALFORMED = {
  raw: {
    ...good,
    subnets: [
      (good['subnets'] as Json[])[0],
      { ...v4(S4B, '10.0.1.0/24'), cidr: '10.0.1.0/33' },
      { ...v4(S4B, '10.0.1.0/24'), enable_dhcp: 'yes' },
      'not a subnet',
      { ...v4(S4B, '10.0.1.0/24'), dns_nameservers: ['dns.example.org'] },
      (good['subnets'] as Json[])[1],
    ],
    ports: [
      (good['ports'] as Json[])[0],
      { ...vm(3, [[S4, '10.0.0.13']]), mac_address: 'nope' },
      vm(4, [[S4, '10.0.0.300']]),
      { ...vm(5, [[S4, '10.0.0.15']]), extra_dhcp_opts: [{ opt_name: 'router', opt_value: null, ip_version: 4 }] },
      { ...vm(6, [[S4, '10.0.0.16']]), fixed_ips: 'x' },
      null,
      (good['ports'] as Json[])[1],
    ],
  },
  clean: good,
  problemPaths: ['subnets[1]', 'subnets[2]', 'subnets[3]', 'subnets[4]', 'ports[1]', 'ports[2]', 'ports[3]', 'ports[4]', 'ports[5]'],
};

export const DEVICE_IDS = [
  { host: 'vm', network_id: '52e6ad41-4211-4532-9c64-5ddff1843d77' },
  { host: 'network-1.example.org', network_id: NET },
  { host: 'network-1', network_id: NET },
  { host: 'Ünïcode-host.local', network_id: NET },
  { host: 'node', network_id: NET, segmentation_id: 1588 },
  { host: '', network_id: NET },
];
