/**
 * The whole desired firewall of a node from one `security_group_info_for_devices`
 * reply (with tap names): iptables fragments for both families, ipsets, and the
 * bridge table. Pure: same input, same output; no I/O, no clock.
 */
import { filteredPorts, fragmentOf, renderFilterTable } from './render-iptables.js';
import { renderIpsets } from './render-ipsets.js';
import { renderNftBridge } from './render-nft-bridge.js';
import type { FirewallRender, OwnedFilterTable, Problem, SgInfo } from './types.js';
import { parseSgInfo } from './validate.js';
import { LINUXBRIDGE_CHAINS, type ChainNames } from './names.js';

const EMPTY: OwnedFilterTable = { chains: [], rules: [] };

/** One port per tap device: a second port claiming the same tap is a problem, skipped. */
function dedupeDevices(info: SgInfo, blocked: string[], problems: Problem[]): string[] {
  const seen = new Set<string>();
  for (const id of Object.keys(info.devices).sort()) {
    const p = info.devices[id];
    if (p === undefined) continue;
    if (seen.has(p.device)) {
      problems.push({ path: `devices.${id}`, reason: `device ${p.device} already used by another port` });
      delete info.devices[id];
    } else seen.add(p.device);
  }
  info.trusted_devices = [...new Set(info.trusted_devices)].filter((d) => {
    if (!seen.has(d)) return true;
    problems.push({ path: 'trusted_devices', reason: `device ${d} is also a filtered port` });
    return false;
  });
  return [...new Set(blocked)].filter((d) => !seen.has(d) && !info.trusted_devices.includes(d));
}

/** Rules we render stateful although the group says otherwise (see README, "not supported"). */
function statelessProblems(info: SgInfo, problems: Problem[]): void {
  for (const [sg, rules] of Object.entries(info.security_groups)) {
    if (rules.some((r) => r.stateful === false)) problems.push({ path: `security_groups.${sg}`, reason: 'stateless group rendered as stateful (CT --notrack not supported)' });
  }
}

export function renderFirewall(raw: unknown, names: ChainNames = LINUXBRIDGE_CHAINS): FirewallRender {
  const parsed = parseSgInfo(raw);
  const problems = [...parsed.problems];
  const info = parsed.info;
  const blockedDevices = dedupeDevices(info, parsed.blockedDevices, problems);
  statelessProblems(info, problems);
  const empty = Object.keys(info.devices).length === 0 && info.trusted_devices.length === 0 && blockedDevices.length === 0;
  const ctx = { info, blockedDevices, names };
  const t4 = empty ? EMPTY : renderFilterTable(ctx, 4);
  const t6 = empty ? EMPTY : renderFilterTable(ctx, 6);
  return {
    iptables4: fragmentOf(t4),
    iptables6: fragmentOf(t6),
    tables: { 4: t4, 6: t6 },
    ipsets: renderIpsets(info),
    nftBridge: renderNftBridge(info, blockedDevices),
    filtered: filteredPorts(info),
    problems,
  };
}
