/**
 * br-int anti-spoofing flows for one port, as the Python agent installs them when
 * prevent_arp_spoofing is on (iptables_hybrid or noop firewall; the openvswitch
 * firewall does its own in tables 71+): ovs_neutron_agent.setup_arp_spoofing_protection
 * with br_int.py's install_arp_spoofing_protection, install_icmpv6_na_spoofing_protection
 * and set_allowed_macs_for_port.
 *
 * - table 0 prio 10: ARP → 24, ICMPv6 NA → 24; prio 9: everything else from the port → 25
 * - table 24 prio 2: ARP with an allowed sender IP → 25; NA for an allowed target → 59
 * - table 25 prio 2: an allowed source MAC → 30 (local egress, then 59, 60 NORMAL)
 * - the rest falls to table 24/25's default drop.
 *
 * Quirks kept from Python:
 * - ports without port security, and "network:" ports (DHCP, routers), get none;
 * - the port's IPv6 link-local address (EUI-64 of each allowed MAC) is always allowed;
 * - an allowed address with prefix length 0 disables the IP part of the protection:
 *   for IPv6 only the NA part, but an IPv4 /0 removes ARP *and* NA protection
 *   (delete_arp_spoofing_protection clears both), leaving only the MAC check;
 * - a port with no IPv4 address still gets the ARP → 24 flow, so it can send no ARP.
 */
import type { FlowSpec, WiredPort } from '../model.js';
import { FlowInputError } from './errors.js';
import { flow, resubmit } from './ofctl-text.js';
import { formatMaskedAddress, linkLocalOf, parseAddressOrCidr, type ParsedAddress } from './ip.js';
import { DEVICE_OWNER_NETWORK_PREFIX, ICMPV6_NA, INT } from './tables.js';
import * as v from './validate.js';

/** Validated fields of a port that the anti-spoofing flows use. */
export interface SpoofingFacts {
  ofport: number;
  macs: string[];
  addresses: ParsedAddress[];
}

/** Validates a port's addresses; undefined when it gets no anti-spoofing flows. */
export function spoofingFacts(field: string, p: WiredPort): SpoofingFacts | undefined {
  const ofport = v.ofport(`${field}.ofport`, p.ofport);
  const mac = v.mac(`${field}.mac`, p.mac);
  const fixed = v.array<string>(`${field}.fixedIps`, p.fixedIps).map((ip, i) => v.address(`${field}.fixedIps[${i}]`, ip));
  const pairs = v.array<WiredPort['allowedAddressPairs'][number]>(`${field}.allowedAddressPairs`, p.allowedAddressPairs);
  const macs = [mac];
  const addresses = [...fixed];
  pairs.forEach((pair, i) => {
    const f = `${field}.allowedAddressPairs[${i}]`;
    if (typeof pair !== 'object' || pair === null) throw new FlowInputError(f, pair, 'must be an object');
    addresses.push(v.address(`${f}.ipAddress`, pair.ipAddress, true));
    // Python: only pairs with a mac_address add one (the server fills it in anyway).
    if (pair.macAddress !== undefined && pair.macAddress !== null && pair.macAddress !== '') macs.push(v.mac(`${f}.macAddress`, pair.macAddress));
  });
  if (typeof p.deviceOwner !== 'string') throw new FlowInputError(`${field}.deviceOwner`, p.deviceOwner, 'must be a string');
  if (!v.bool(`${field}.portSecurityEnabled`, p.portSecurityEnabled)) return undefined;
  if (p.deviceOwner.startsWith(DEVICE_OWNER_NETWORK_PREFIX)) return undefined;
  return { ofport, macs: [...new Set(macs)], addresses };
}

export function spoofingFlows(s: SpoofingFacts): FlowSpec[] {
  const inPort = s.ofport;
  const flows: FlowSpec[] = [];
  // set_allowed_macs_for_port
  for (const mac of s.macs) flows.push(flow(INT.MAC_SPOOF, 2, { inPort, dlSrc: mac }, resubmit(INT.LOCAL_EGRESS)));
  flows.push(flow(INT.LOCAL_SWITCHING, 9, { inPort }, resubmit(INT.MAC_SPOOF)));

  const v4 = s.addresses.filter((a) => a.family === 4);
  if (v4.some((a) => a.prefixLen === 0)) return flows;

  const v6 = [
    ...s.addresses.filter((a) => a.family === 6),
    ...s.macs.map((m) => parseAddressOrCidr(linkLocalOf(m)) as ParsedAddress),
  ];
  if (!v6.some((a) => a.prefixLen === 0)) {
    for (const a of v6) {
      flows.push(flow(INT.ARP_SPOOF, 2, { proto: 'icmp6', inPort, icmpType: ICMPV6_NA, ndTarget: formatMaskedAddress(a) }, resubmit(INT.PACKET_RATE_LIMIT)));
    }
    flows.push(flow(INT.LOCAL_SWITCHING, 10, { proto: 'icmp6', inPort, icmpType: ICMPV6_NA }, resubmit(INT.ARP_SPOOF)));
  }
  for (const a of v4) flows.push(flow(INT.ARP_SPOOF, 2, { proto: 'arp', inPort, arpSpa: formatMaskedAddress(a) }, resubmit(INT.MAC_SPOOF)));
  flows.push(flow(INT.LOCAL_SWITCHING, 10, { proto: 'arp', inPort }, resubmit(INT.ARP_SPOOF)));
  return flows;
}
