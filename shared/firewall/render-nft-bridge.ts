/**
 * MAC and ARP anti-spoofing in nucleon's own bridge-family nftables table,
 * instead of Python's ebtables chains `neutronMAC-<tap>` / `neutronARP-<tap>`
 * (arp_protect.py). Pure.
 *
 * Why not ebtables: ebtables-nft 1.8.9 cannot delete `--among-src` rules on this
 * kernel (RULE_DELETE: Invalid argument), so the Python agent's cleanup loops.
 * A table of our own is replaced atomically in one `nft -f` (delete-and-recreate),
 * so there is never a rule to delete. Stateless: bridge-family conntrack is not
 * available (CONFIG_NF_CONNTRACK_BRIDGE unset), and not needed here.
 *
 * Semantics (as arp_protect.py): for a port with port security on and not owned by
 * the network (`network:*`): frames from its tap whose source MAC is not the port
 * MAC or an allowed-pair MAC are dropped; ARP from its tap whose sender IP is not a
 * fixed IPv4 or allowed-pair IPv4 (prefixes allowed) is dropped; no ARP rule when a
 * pair is a /0; all ARP dropped when it has no IPv4 at all. Blocked (malformed)
 * ports drop everything.
 */
import { NFT_BRIDGE_TABLE } from './names.js';
import type { SgInfo, SgPort } from './types.js';

/** IPv4 address or CIDR with host bits cleared (nft wants a network address for a prefix). */
function v4Canonical(ip: string): string {
  const [addr = '', len] = ip.split('/');
  if (len === undefined || len === '32') return addr;
  const n = addr.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const bits = Number(len);
  const masked = bits === 0 ? 0 : (n & (~0 << (32 - bits))) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${bits}`;
}

/** nft identifiers allow no '-': a readable chain name per device, unique in the table. */
function chainNames(devices: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const d of devices) {
    let n = `port_${d.replace(/[^A-Za-z0-9_]/g, '_')}`;
    for (let i = 2; used.has(n); i++) n = `port_${d.replace(/[^A-Za-z0-9_]/g, '_')}_${i}`;
    used.add(n);
    out.set(d, n);
  }
  return out;
}

/** Ports that get L2 anti-spoofing. */
export function protectedPorts(info: SgInfo): SgPort[] {
  return Object.values(info.devices)
    .filter((p) => p.port_security_enabled && !p.device_owner.startsWith('network:'))
    .sort((a, b) => (a.device < b.device ? -1 : 1));
}

function portRules(p: SgPort): string[] {
  const macs = [...new Set([p.mac_address, ...p.allowed_address_pairs.map((a) => a.mac_address)].map((m) => m.toLowerCase()))];
  // `counter` on drops: operators (and tests) can see what anti-spoofing caught.
  const rules = [`ether saddr != { ${macs.join(', ')} } counter drop`];
  const ips = [...p.fixed_ips, ...p.allowed_address_pairs.map((a) => a.ip_address)].filter((ip) => !ip.includes(':'));
  if (ips.some((ip) => ip.endsWith('/0'))) return rules;
  if (ips.length === 0) rules.push('ether type arp counter drop');
  else rules.push(`ether type arp arp saddr ip != { ${[...new Set(ips.map(v4Canonical))].join(', ')} } counter drop`);
  return rules;
}

/**
 * The `nft -f` script: the delete-and-recreate idiom, or just the delete when no
 * port needs the table (nothing of ours is left behind).
 */
export function renderNftBridge(info: SgInfo, blockedDevices: string[]): string {
  const header = `table bridge ${NFT_BRIDGE_TABLE} {\n}\ndelete table bridge ${NFT_BRIDGE_TABLE}\n`;
  const ports = protectedPorts(info);
  const blocked = [...new Set(blockedDevices)].filter((d) => !ports.some((p) => p.device === d)).sort();
  if (ports.length === 0 && blocked.length === 0) return header;
  const names = chainNames(ports.map((p) => p.device));
  const vmap = [...ports.map((p) => `"${p.device}" : jump ${names.get(p.device) ?? ''}`), ...blocked.map((d) => `"${d}" : drop`)];
  const lines = [
    `table bridge ${NFT_BRIDGE_TABLE} {`,
    '  chain prerouting {',
    // Before br_netfilter hands the frame to iptables (NF_BR_PRI_BRNF = 0).
    '    type filter hook prerouting priority -200; policy accept;',
    `    iifname vmap { ${vmap.join(', ')} }`,
    // nft 1.0.6 rejects `stmt }` on one line: closing braces stay on their own lines.
    '  }',
  ];
  for (const p of ports) {
    lines.push(`  chain ${names.get(p.device) ?? ''} {`, ...portRules(p).map((r) => `    ${r}`), '  }');
  }
  lines.push('}');
  return header + lines.join('\n') + '\n';
}
