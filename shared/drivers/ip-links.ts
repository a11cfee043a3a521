/**
 * Links of one namespace as the kernel has them, from `ip -json -d link show`
 * (one process, faster than the netlink package's link dump: KERNEL.md 5d).
 */
import type { CommandRunner } from '../exec/command-runner.js';

export interface ActualVxlan { vni: number; group?: string; local?: string; dev?: string; dstport?: number; ttl?: number; proxy?: boolean; learning?: boolean }

export interface ActualLink {
  name: string;
  index: number;
  kind: string | undefined;
  up: boolean;
  mtu: number;
  mac: string | undefined;
  master: string | undefined;
  vxlan?: ActualVxlan;
  vlan?: { parent: string | undefined; id: number };
}

interface IpLinkJson {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  mtu?: number;
  address?: string;
  master?: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

export function parseIpLinks(json: string): Map<string, ActualLink> {
  const out = new Map<string, ActualLink>();
  const rows = JSON.parse(json || '[]') as IpLinkJson[];
  for (const r of rows) {
    if (!r.ifname) continue;
    // veth peers in other namespaces show as "name@ifN" only in text output; JSON keeps ifname clean.
    const kind = r.linkinfo?.info_kind;
    const data = r.linkinfo?.info_data ?? {};
    const link: ActualLink = {
      name: r.ifname,
      index: r.ifindex ?? 0,
      kind,
      up: (r.flags ?? []).includes('UP'),
      mtu: r.mtu ?? 0,
      mac: r.address,
      master: r.master,
    };
    if (kind === 'vxlan') {
      link.vxlan = {
        vni: Number(data['id']),
        ...(typeof data['group'] === 'string' ? { group: data['group'] } : {}),
        ...(typeof data['local'] === 'string' ? { local: data['local'] } : {}),
        ...(typeof data['link'] === 'string' ? { dev: data['link'] } : {}),
        ...(typeof data['port'] === 'number' ? { dstport: data['port'] } : {}),
        ...(typeof data['ttl'] === 'number' ? { ttl: data['ttl'] } : {}),
        ...(typeof data['proxy'] === 'boolean' ? { proxy: data['proxy'] } : {}),
        ...(typeof data['learning'] === 'boolean' ? { learning: data['learning'] } : {}),
      };
    }
    if (kind === 'vlan') link.vlan = { parent: r.link, id: Number(data['id']) };
    out.set(link.name, link);
  }
  return out;
}

export async function readLinks(runner: CommandRunner, netns?: string): Promise<Map<string, ActualLink>> {
  const r = await runner.run(['ip', '-json', '-details', 'link', 'show'], netns ? { netns } : {});
  return parseIpLinks(r.stdout);
}

export interface ActualAddress { dev: string; cidr: string; family: 4 | 6; scope: string }

/** Global addresses per link (`ip -json addr show`), for moving a flat uplink's IPs. */
export async function readAddresses(runner: CommandRunner, netns?: string): Promise<ActualAddress[]> {
  const r = await runner.run(['ip', '-json', 'addr', 'show'], netns ? { netns } : {});
  const rows = JSON.parse(r.stdout || '[]') as Array<{ ifname?: string; addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }> }>;
  const out: ActualAddress[] = [];
  for (const row of rows) {
    for (const a of row.addr_info ?? []) {
      if (!row.ifname || !a.local || a.prefixlen === undefined) continue;
      out.push({ dev: row.ifname, cidr: `${a.local}/${a.prefixlen}`, family: a.family === 'inet6' ? 6 : 4, scope: a.scope ?? 'global' });
    }
  }
  return out;
}
