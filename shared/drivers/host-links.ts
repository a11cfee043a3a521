/**
 * Cheap read-only facts about this namespace's links, from /sys/class/net: no
 * process per question. Under
 * `ip netns exec` /sys is remounted for the namespace, so these see the node's
 * links, not the host's.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { assertIfName } from '../exec/names.js';

const SYS_NET = '/sys/class/net';

export function linkExists(name: string): boolean {
  assertIfName(name);
  return existsSync(`${SYS_NET}/${name}`);
}

/** The link's MAC address (lower case, colon separated), or undefined if it is gone. */
export function linkMac(name: string): string | undefined {
  assertIfName(name);
  try {
    return readFileSync(`${SYS_NET}/${name}/address`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Names of the links whose name starts with prefix (e.g. "tap"), sorted. */
export function linksWithPrefix(prefix: string): string[] {
  try {
    return readdirSync(SYS_NET).filter((n) => n.startsWith(prefix)).sort();
  } catch {
    return [];
  }
}

/**
 * The first non-loopback link, in ifindex order, that has a MAC address: what
 * neutron's ip_lib.get_devices(exclude_loopback=True) walks when it needs a MAC.
 */
export function firstLinkWithMac(): { name: string; mac: string } | undefined {
  const links: Array<{ name: string; index: number }> = [];
  for (const name of linksWithPrefix('')) {
    if (name === 'lo') continue;
    try {
      links.push({ name, index: Number(readFileSync(`${SYS_NET}/${name}/ifindex`, 'utf8').trim()) });
    } catch { /* gone meanwhile */ }
  }
  links.sort((a, b) => a.index - b.index);
  for (const { name } of links) {
    const mac = linkMac(name);
    if (mac && mac !== '00:00:00:00:00:00') return { name, mac };
  }
  return undefined;
}
