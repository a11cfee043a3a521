/**
 * Neutron's _release_unused_leases: after a fixed IP changes or a port goes, dnsmasq
 * still holds the old lease in its lease file and would keep answering the client
 * with it (or refuse the new address). Every IPv4 lease whose (MAC, IP) pair is no
 * longer in the hosts file is released with dnsmasq-utils' `dhcp_release`.
 */

export interface Lease4 { mac: string; ip: string; clientId: string | undefined }

/** dnsmasq lease file lines: `<expiry> <mac> <ip> <hostname> <client-id|*>` (IPv4 only here). */
export function parseLeases(text: string): Lease4[] {
  const out: Lease4[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] === 'duid') continue;
    const [, mac, ip, , client] = f as [string, string, string, string, string | undefined];
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) continue;
    out.push({ mac: mac.toLowerCase(), ip, clientId: client && client !== '*' ? client : undefined });
  }
  return out;
}

/** (mac, ip) pairs of a rendered hosts file: `mac,name,ip[,set:…]` or `mac,name,[v6]…`. */
export function hostPairs(hostsFile: string): Set<string> {
  const pairs = new Set<string>();
  for (const line of hostsFile.split('\n')) {
    const f = line.split(',');
    const mac = f[0]?.toLowerCase();
    if (!mac || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    for (const x of f.slice(1)) {
      const ip = x.replace(/^\[|\]$/g, '');
      if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) pairs.add(`${mac}|${ip}`);
    }
  }
  return pairs;
}

export function staleLeases(leases: Lease4[], hostsFile: string): Lease4[] {
  const keep = hostPairs(hostsFile);
  return leases.filter((l) => !keep.has(`${l.mac}|${l.ip}`));
}
