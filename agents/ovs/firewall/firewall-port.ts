/**
 * One br-int port as the firewall sees it: its WiredPort (ofport, local VLAN, MAC on
 * the wire) joined with its security-group entry (addresses, pairs, groups), checked,
 * with the MAC/IP pairs it may send from. Mirrors Neutron's OFPort.
 */
import { assertMac, InvalidNameError } from '../../../shared/exec/names.js';
import type { Problem, SgInfo, SgPort } from '../../../shared/firewall/types.js';
import type { WiredPort } from '../model.js';
import { linkLocalOf, matchPrefix } from './addresses.js';
import { MAX_OFPORT } from './constants.js';
import type { OvsFirewallInput, PortMode } from './types.js';

/** A MAC and the address (or prefix, as OVS prints it; undefined for /0) it may send from. */
export interface MacIp {
  mac: string;
  ip: string | undefined;
}

export interface FwPort {
  portId: string;
  ofport: number;
  /** Local VLAN, also the conntrack zone. */
  vlan: number;
  mac: string;
  mode: PortMode;
  stateless: boolean;
  /** The port's MAC and its allowed-pair MACs, sorted. */
  allowedMacs: string[];
  /** Fixed IPv4 addresses with the port MAC, plus IPv4 pairs; sorted, unique. */
  v4Pairs: MacIp[];
  /** Fixed IPv6 addresses and the EUI-64 link-local with the port MAC, plus IPv6 pairs. */
  v6Pairs: MacIp[];
  /** Security group ids, in the port's order, unique. */
  securityGroups: string[];
}

class PortInvalid extends Error {}

function checkWired(p: WiredPort): { ofport: number; vlan: number; mac: string } {
  if (!Number.isInteger(p.ofport) || p.ofport < 1 || p.ofport >= MAX_OFPORT) throw new PortInvalid(`ofport ${String(p.ofport)} is not a port number`);
  // 4095 is Neutron's dead VLAN: table 0 drops the port's traffic; there is no zone to give it.
  if (!Number.isInteger(p.localVlan) || p.localVlan < 1 || p.localVlan > 4094) throw new PortInvalid(`local VLAN ${String(p.localVlan)} is not 1-4094`);
  try {
    assertMac(p.mac);
  } catch (e) {
    if (e instanceof InvalidNameError) throw new PortInvalid(e.message);
    throw e;
  }
  return { ofport: p.ofport, vlan: p.localVlan, mac: p.mac.toLowerCase() };
}

function sortPairs(pairs: MacIp[]): MacIp[] {
  const seen = new Map<string, MacIp>();
  for (const p of pairs) seen.set(`${p.mac}|${p.ip ?? ''}`, p);
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

/**
 * Statefulness of a port from its groups' rules: stateless when it has rules and every
 * one says `stateful: false` (the API forbids mixing stateful and stateless groups on a
 * port; a mix is filtered statefully and reported).
 */
function statelessPort(sgIds: string[], sg: SgInfo, path: string, problems: Problem[]): boolean {
  const rules = sgIds.flatMap((id) => sg.security_groups[id] ?? []);
  if (rules.length === 0) return false;
  const stateless = rules.filter((r) => r.stateful === false).length;
  if (stateless === 0) return false;
  if (stateless === rules.length) return true;
  problems.push({ path, reason: 'stateful and stateless security groups together: filtered statefully' });
  return false;
}

function addressPairs(sgPort: SgPort, mac: string, path: string, problems: Problem[]): { v4: MacIp[]; v6: MacIp[] } {
  const v4: MacIp[] = [];
  const v6: MacIp[] = [];
  const add = (m: string, ipText: string, what: string): void => {
    const p = matchPrefix(ipText);
    if (p === null) {
      problems.push({ path, reason: `${what} ${JSON.stringify(ipText)} is not an address: not allowed to send from it` });
      return;
    }
    (p.version === 4 ? v4 : v6).push({ mac: m, ip: p.prefixlen === 0 ? undefined : p.text });
  };
  for (const ip of sgPort.fixed_ips) add(mac, ip, 'fixed ip');
  for (const pair of sgPort.allowed_address_pairs) add(pair.mac_address.toLowerCase(), pair.ip_address, 'allowed address pair');
  // Neighbour discovery uses the link-local address (OFPort.update adds it to the v6 pairs).
  v6.push({ mac, ip: linkLocalOf(mac) });
  return { v4: sortPairs(v4), v6: sortPairs(v6) };
}

function matches(p: WiredPort, names: ReadonlySet<string>): boolean {
  return names.has(p.portId) || names.has(p.device);
}

/**
 * Builds the firewall view of every wired port; ports that cannot be filtered safely
 * are skipped (with a problem) or blocked. Sorted by ofport.
 */
export function firewallPorts(input: OvsFirewallInput, problems: Problem[]): FwPort[] {
  const blocked = new Set(input.blocked ?? []);
  const trusted = new Set([...(input.trusted ?? []), ...input.sg.trusted_devices]);
  const out: FwPort[] = [];
  const byOfport = new Map<number, string>();
  const sorted = [...input.ports].sort((a, b) => a.ofport - b.ofport || (a.portId < b.portId ? -1 : 1));
  for (const p of sorted) {
    const path = `ports.${p.portId}`;
    let wired: ReturnType<typeof checkWired>;
    try {
      wired = checkWired(p);
    } catch (e) {
      if (!(e instanceof PortInvalid)) throw e;
      problems.push({ path, reason: `${e.message}: no firewall flows` });
      continue;
    }
    const other = byOfport.get(wired.ofport);
    if (other !== undefined) {
      problems.push({ path, reason: `ofport ${wired.ofport} already used by port ${other}: skipped` });
      continue;
    }
    byOfport.set(wired.ofport, p.portId);
    const sgPort = input.sg.devices[p.portId];
    const base = { portId: p.portId, ofport: wired.ofport, vlan: wired.vlan, mac: wired.mac, stateless: false, securityGroups: [] as string[] };
    const only = (mode: PortMode): FwPort => ({ ...base, mode, allowedMacs: [wired.mac], v4Pairs: [], v6Pairs: [] });

    if (matches(p, blocked)) {
      out.push(only('blocked'));
      continue;
    }
    if (sgPort === undefined) {
      if (matches(p, trusted) || p.deviceOwner.startsWith('network:') || !p.portSecurityEnabled) out.push(only('permitted'));
      else {
        // Fail closed: Python would leave such a port on the dead VLAN until it has its filter.
        problems.push({ path, reason: 'no security group information for this port: all its traffic is dropped' });
        out.push(only('blocked'));
      }
      continue;
    }
    if (!sgPort.port_security_enabled) {
      out.push(only('permitted'));
      continue;
    }
    const securityGroups = [...new Set(sgPort.security_groups)];
    const pairs = addressPairs(sgPort, wired.mac, path, problems);
    const allowedMacs = [...new Set([wired.mac, ...pairs.v4.map((x) => x.mac), ...pairs.v6.map((x) => x.mac)])].sort();
    out.push({
      ...base,
      mode: 'filtered',
      stateless: statelessPort(securityGroups, input.sg, path, problems),
      securityGroups,
      allowedMacs,
      v4Pairs: pairs.v4,
      v6Pairs: pairs.v6,
    });
  }
  return out;
}
