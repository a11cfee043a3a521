/**
 * Driver for security groups on a Linux-bridge node: reads the kernel back, then
 * applies the rendered desired state in a fixed order.
 *
 * Contract:
 * - `apply(desired)` takes the whole desired state of the node (the reply of
 *   `security_group_info_for_devices` for every port on it, with tap names) and
 *   makes the kernel match it; applying the same desired twice changes nothing
 *   (the second iptables restore is skipped, ipsets are only swapped when their
 *   members differ, the bridge table is replaced with identical content).
 * - Ownership without memory: filter chains `neutron-linuxbri-*` (or `neutron-openvswi-*`
 *   for the OVS agent's iptables_hybrid; Python's names,
 *   so a node migrated from the Python agent is adopted), ipsets `NIPv4*`/`NIPv6*`,
 *   `table bridge nucleon_l2`, and our jumps in INPUT/FORWARD/OUTPUT and
 *   neutron-filter-top. Nothing else is flushed or deleted.
 * - Order: sysctls → ipsets (new members, new sets) → raw-table conntrack zones v4 → v6
 *   (ct-zones.ts) → filter iptables-restore v4 → v6 → nft bridge table → conntrack
 *   flush of the zones whose ports lost a rule, a set member or an ACCEPT (ct-flush.ts) →
 *   destroy sets no rule references any more. Sets must exist
 *   before a rule names them and may only go after no rule does.
 * - A failing step throws {@link FirewallApplyError} (step, and the CommandError with
 *   argv and stderr as cause); earlier steps stay applied, the next apply retries all.
 * - Input problems (malformed entries) never throw: they are skipped and returned.
 */
import type { CommandRunner } from '../exec/command-runner.js';
import { CommandError } from '../exec/errors.js';
import { parseIptablesSave } from './iptables-save.js';
import { isOwnedIpset, LINUXBRIDGE_CHAINS, NFT_BRIDGE_TABLE, type ChainNames } from './names.js';
import { ipsetRestoreScript } from './render-ipsets.js';
import { listingMatches, withFingerprint } from './nft-fingerprint.js';
import { renderFirewall } from './render.js';
import { composeRestore, composeTableRestore, securityGroupFilterPolicy, type TablePolicy } from './restore-script.js';
import { renderZoneTable, zoneChain, zoneDevice, zonesInTable, type ZoneScope } from './ct-zones.js';
import { zonesToFlush } from './ct-flush.js';
import type { IpsetSpec, Problem } from './types.js';

export type FirewallStep = 'read' | 'sysctl' | 'ipset' | 'raw4' | 'raw6' | 'iptables4' | 'iptables6' | 'nft' | 'conntrack' | 'ipset-destroy';

export class FirewallApplyError extends Error {
  override readonly name = 'FirewallApplyError';
  constructor(
    readonly step: FirewallStep,
    cause: unknown,
  ) {
    super(`firewall ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface FirewallApplyResult {
  /** Which steps changed the kernel. */
  changed: { sysctl: boolean; ipsets: string[]; raw4: boolean; raw6: boolean; iptables4: boolean; iptables6: boolean; nft: boolean; flushedZones: number[]; destroyedIpsets: string[] };
  /** Input entries skipped, and owned sets that could not be destroyed (still in use by a rule not ours). */
  problems: Problem[];
  commands: number;
}

const BRIDGE_SYSCTLS = ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'];

/** `ipset save` → members per set (as ipset prints them). */
export function parseIpsetSave(text: string): Map<string, Set<string>> {
  const sets = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const [verb, name, arg] = line.trim().split(/\s+/);
    if (name === undefined) continue;
    if (verb === 'create') sets.set(name, new Set());
    else if (verb === 'add' && arg !== undefined) sets.get(name)?.add(arg);
  }
  return sets;
}

function sameMembers(spec: IpsetSpec, now: Set<string> | undefined): boolean {
  return now !== undefined && now.size === spec.members.length && spec.members.every((m) => now.has(m));
}

export interface LinuxBridgeFirewallOptions {
  runner: CommandRunner;
  /**
   * Whose chains: the linuxbridge agent's `neutron-linuxbri-*` (default) or the OVS
   * agent's `neutron-openvswi-*` (iptables_hybrid: the same rules on the tap in its qbr).
   */
  chains?: ChainNames;
  /**
   * Conntrack zone per network (the linuxbridge driver, default) or per port (OVS
   * iptables_hybrid, keyed by the qvb device), as Python's drivers set them.
   */
  zoneScope?: ZoneScope;
  /** Timeout per command; iptables-restore of thousands of rules takes seconds. */
  timeoutMs?: number;
}

export class LinuxBridgeFirewall {
  private readonly runner: CommandRunner;
  private readonly timeoutMs: number;
  private readonly chains: ChainNames;
  private readonly filterPolicy: TablePolicy;
  private readonly rawPolicy: TablePolicy;
  private readonly zoneScope: ZoneScope;
  private commands = 0;

  constructor(opts: LinuxBridgeFirewallOptions) {
    this.runner = opts.runner;
    this.chains = opts.chains ?? LINUXBRIDGE_CHAINS;
    this.filterPolicy = securityGroupFilterPolicy(this.chains);
    this.zoneScope = opts.zoneScope ?? 'network';
    // Python's IptablesManager jumps from the built-in PREROUTING to its wrapped one.
    this.rawPolicy = { table: 'raw', isOwned: this.chains.isOwned, shared: [], jumps: [{ chain: 'PREROUTING', target: zoneChain(this.chains) }] };
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  private async run(step: FirewallStep, argv: string[], netns: string | undefined, input?: string): Promise<string> {
    this.commands++;
    try {
      const r = await this.runner.run(argv, { timeoutMs: this.timeoutMs, ...(netns !== undefined ? { netns } : {}), ...(input !== undefined ? { input } : {}) });
      return r.stdout;
    } catch (e) {
      throw new FirewallApplyError(step, e);
    }
  }

  /**
   * `conntrack -D -w N`; it exits 1 with "0 flow entries have been deleted." when the
   * zone is empty, which is a success here.
   */
  private async flushZone(zone: number, netns: string | undefined): Promise<void> {
    try {
      await this.run('conntrack', ['conntrack', '-D', '-w', String(zone)], netns);
    } catch (e) {
      const cause = e instanceof FirewallApplyError ? e.cause : e;
      if (cause instanceof CommandError && cause.exitCode === 1 && /\b0 flow entries have been deleted/.test(cause.stderr + cause.stdout)) return;
      throw e;
    }
  }

  /** Makes the node namespace's firewall match `desired` (see the class contract). */
  async apply(desired: unknown, netns?: string): Promise<FirewallApplyResult> {
    this.commands = 0;
    const r = renderFirewall(desired, this.chains);
    const problems = [...r.problems];
    const owning = r.tables[4].chains.length > 0;
    const changed: FirewallApplyResult['changed'] = { sysctl: false, ipsets: [], raw4: false, raw6: false, iptables4: false, iptables6: false, nft: false, flushedZones: [], destroyedIpsets: [] };

    const [save4, save6, raw4, raw6, ipsetText, sysctls] = await Promise.all([
      this.run('read', ['iptables-save', '-t', 'filter'], netns),
      this.run('read', ['ip6tables-save', '-t', 'filter'], netns),
      this.run('read', ['iptables-save', '-t', 'raw'], netns),
      this.run('read', ['ip6tables-save', '-t', 'raw'], netns),
      this.run('read', ['ipset', 'save'], netns),
      owning ? this.run('read', ['sysctl', '-n', ...BRIDGE_SYSCTLS], netns) : Promise.resolve(''),
    ]);

    // Without these, bridged frames never reach iptables and every rule is inert.
    // Per network namespace on this kernel (CONFIG_BRIDGE_NETFILTER=y).
    if (owning && sysctls.split('\n').filter((l) => l.trim() !== '').some((l) => l.trim() !== '1')) {
      await this.run('sysctl', ['sysctl', '-q', '-w', ...BRIDGE_SYSCTLS.map((k) => `${k}=1`)], netns);
      changed.sysctl = true;
    }

    const existingSets = parseIpsetSave(ipsetText);
    const savedFilter4 = parseIptablesSave(save4);
    const savedFilter6 = parseIptablesSave(save6);
    const stale = r.ipsets.filter((s) => !sameMembers(s, existingSets.get(s.name)));
    if (stale.length > 0) {
      await this.run('ipset', ['ipset', 'restore', '-exist'], netns, ipsetRestoreScript(stale));
      changed.ipsets = stale.map((s) => s.name);
    }

    // Zones before the filter rules: a port's first connections already get its zone.
    // The IPv4 table decides the zones of both families (Python reads only IPv4's).
    const saved4 = parseIptablesSave(raw4, 'raw');
    const zt = renderZoneTable(r.filtered, this.zoneScope, this.chains, zonesInTable(saved4, this.chains.isOwned));
    problems.push(...zt.problems);
    const rawRestore4 = composeTableRestore(this.rawPolicy, zt, saved4);
    if (rawRestore4 !== null) {
      await this.run('raw4', ['iptables-restore', '--noflush'], netns, rawRestore4);
      changed.raw4 = true;
    }
    const rawRestore6 = composeTableRestore(this.rawPolicy, zt, parseIptablesSave(raw6, 'raw'));
    if (rawRestore6 !== null) {
      await this.run('raw6', ['ip6tables-restore', '--noflush'], netns, rawRestore6);
      changed.raw6 = true;
    }

    const restore4 = composeRestore(r.tables[4], savedFilter4, this.filterPolicy);
    if (restore4 !== null) {
      // Rules on stdin: `iptables-restore -w FILE` would take FILE as the wait time (KERNEL.md §3).
      await this.run('iptables4', ['iptables-restore', '--noflush'], netns, restore4);
      changed.iptables4 = true;
    }
    const restore6 = composeRestore(r.tables[6], savedFilter6, this.filterPolicy);
    if (restore6 !== null) {
      await this.run('iptables6', ['ip6tables-restore', '--noflush'], netns, restore6);
      changed.iptables6 = true;
    }

    // Skip the rewrite when the kernel's table is the one this script made (see nft-fingerprint.ts).
    const { script, fingerprint } = withFingerprint(r.nftBridge, NFT_BRIDGE_TABLE);
    const listing = await this.runner.run(['nft', 'list', 'table', 'bridge', NFT_BRIDGE_TABLE], { timeoutMs: this.timeoutMs, ...(netns !== undefined ? { netns } : {}) }).then((x) => x.stdout, () => undefined);
    const wantTable = script.includes(`comment "`);
    const inSync = wantTable ? listing !== undefined && listingMatches(listing, script, fingerprint) : listing === undefined;
    if (!inSync) {
      await this.run('nft', ['nft', '-f', '-'], netns, script);
      changed.nft = true;
    }

    // Only now, with the new rules and members in place: connections they no longer allow
    // are forgotten and must pass the rules again (ct-flush.ts).
    const flush = zonesToFlush({
      names: this.chains, saved: [savedFilter4, savedFilter6], desired: [r.tables[4], r.tables[6]],
      setsNow: existingSets, setsWanted: r.ipsets, ports: r.filtered,
      zoneOf: (p) => { const k = zoneDevice(p, this.zoneScope); return k === undefined ? undefined : zt.zones.get(k); },
    });
    for (const zone of flush) {
      await this.flushZone(zone, netns);
      changed.flushedZones.push(zone);
    }

    const wanted = new Set(r.ipsets.map((s) => s.name));
    // Includes leftover `-n` swap sets of an interrupted restore (ours or Python's).
    const unused = [...existingSets.keys()].filter((n) => isOwnedIpset(n) && !wanted.has(n)).sort();
    for (const name of unused) {
      try {
        await this.run('ipset-destroy', ['ipset', 'destroy', name], netns);
        changed.destroyedIpsets.push(name);
      } catch (e) {
        // "Set cannot be destroyed: it is in use by a kernel component": a rule that is
        // not ours still names it. Leave it, report it, try again next time.
        const cause = e instanceof FirewallApplyError ? e.cause : e;
        if (cause instanceof CommandError && /in use/i.test(cause.stderr)) problems.push({ path: `ipset ${name}`, reason: 'in use by a rule nucleon does not own; kept' });
        else throw e;
      }
    }
    return { changed, problems, commands: this.commands };
  }
}
