/**
 * Neutron's _release_unused_leases: after a fixed IP changes or a port goes, dnsmasq
 * still holds the old lease in its lease file and would keep answering the client
 * with it (or refuse the new address). Every IPv4 lease whose (MAC, IP) pair is no
 * longer in the hosts file is released with dnsmasq-utils' `dhcp_release`, and so is
 * one whose port pins a client id (`id:` in its hosts line) the lease does not carry:
 * Neutron compares (ip, mac, client_id) and only overlooks the lease's client id when
 * the port has none.
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

/** `mac|ip` → the client id pinned by the line (`id:<client-id>`), or undefined. */
function hostEntries(hostsFile: string): Map<string, string | undefined> {
  const entries = new Map<string, string | undefined>();
  for (const line of hostsFile.split('\n')) {
    const f = line.split(',');
    const mac = f[0]?.toLowerCase();
    if (!mac || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    const id = f.find((x) => x.startsWith('id:'))?.slice(3);
    for (const x of f.slice(1)) {
      const ip = x.replace(/^\[|\]$/g, '');
      if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) entries.set(`${mac}|${ip}`, id);
    }
  }
  return entries;
}

/** (mac, ip) pairs of a rendered hosts file: `mac,name,ip[,set:…]` or `mac,name,[v6]…`. */
export function hostPairs(hostsFile: string): Set<string> {
  return new Set(hostEntries(hostsFile).keys());
}

export function staleLeases(leases: Lease4[], hostsFile: string): Lease4[] {
  const keep = hostEntries(hostsFile);
  return leases.filter((l) => {
    const k = `${l.mac}|${l.ip}`;
    if (!keep.has(k)) return true;
    const pinned = keep.get(k);
    return pinned !== undefined && pinned !== l.clientId;
  });
}
