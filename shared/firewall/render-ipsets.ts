/**
 * ipsets for remote groups (Python IpsetManager): one `hash:net` set per remote
 * group id and ethertype that a filtered port's rule references and the server
 * sent members for. Pure.
 */
import { ipsetName, ipsetSwapName } from './names.js';
import { filteredPorts, remoteSetId } from './render-iptables.js';
import type { IpsetSpec, SgInfo } from './types.js';

/** Python `_sanitize_addresses`: ipset has no /0, so a /0 becomes two /1. */
function sanitize(ip: string): string[] {
  if (ip.endsWith('/0')) return ip.includes(':') ? ['::/1', '8000::/1'] : ['0.0.0.0/1', '128.0.0.0/1'];
  // ipset prints host entries without /32 or /128; store them that way to compare.
  if (!ip.includes(':') && ip.endsWith('/32')) return [ip.slice(0, -3)];
  if (ip.includes(':') && ip.endsWith('/128')) return [ip.slice(0, -4)];
  return [ip];
}

export function renderIpsets(info: SgInfo): IpsetSpec[] {
  const wanted = new Map<string, IpsetSpec>();
  for (const port of filteredPorts(info)) {
    const rules = [...port.security_group_rules, ...port.security_groups.flatMap((sg) => info.security_groups[sg] ?? [])];
    for (const r of rules) {
      const remote = remoteSetId(r);
      if (remote === undefined) continue;
      const members = info.sg_member_ips[remote];
      if (members === undefined) continue;
      const name = ipsetName(remote, r.ethertype);
      if (wanted.has(name)) continue;
      const set = new Set(members[r.ethertype].flatMap(([ip]) => sanitize(ip)));
      wanted.set(name, { name, family: r.ethertype === 'IPv4' ? 'inet' : 'inet6', members: [...set].sort() });
    }
  }
  return [...wanted.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * `ipset restore -exist` script that makes each set hold exactly its members:
 * fill a swap set, swap it in (atomic for the iptables rules matching the set),
 * destroy the swap set. Creating the target first makes the swap valid when the
 * set is new.
 */
export function ipsetRestoreScript(sets: IpsetSpec[]): string {
  const lines: string[] = [];
  for (const s of sets) {
    const tmp = ipsetSwapName(s.name);
    lines.push(`create ${s.name} hash:net family ${s.family}`);
    lines.push(`create ${tmp} hash:net family ${s.family}`);
    lines.push(`flush ${tmp}`);
    for (const m of s.members) lines.push(`add ${tmp} ${m}`);
    lines.push(`swap ${tmp} ${s.name}`);
    lines.push(`destroy ${tmp}`);
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}
