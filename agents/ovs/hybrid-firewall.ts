/**
 * `firewall_driver = iptables_hybrid`: Python's OVSHybridIptablesFirewallDriver.
 *
 * Nova (os-vif) plugs such a VM through a Linux bridge `qbr<id>` that holds the VM's
 * `tap<id>` and the veth end `qvb<id>`, whose peer `qvo<id>` sits in br-int with the
 * port's iface-id (`<id>` = port_id[:11]). Security groups are the Linux-bridge
 * iptables rules on `tap<id>` (physdev matches, through br_netfilter), in chains
 * wrapped `neutron-openvswi-*`; shared/firewall renders and reconciles them
 * (LinuxBridgeFirewall with OVS_HYBRID_CHAINS). br-int keeps its anti-spoofing flows.
 *
 * This module decides when to reconcile (the input changed, a full pass, or the last
 * attempt failed: the reconcile itself reads the kernel back and changes nothing when
 * it matches), remembers which ports the last successful reconcile covered (a new port
 * is reported up only once it is filtered), and logs each input problem and each
 * failure once, with the port_id/network_id where known.
 */
import { createHash } from 'node:crypto';
import { FirewallApplyError, type FirewallApplyResult, type FirewallStep } from '../../shared/firewall/linuxbridge-firewall.js';
import type { Problem } from '../../shared/firewall/types.js';
import type { Logger } from '../../shared/logging/logger.js';

export interface HybridFirewallDeps {
  /** security_group_info_for_devices-shaped reply for these ports (`device` = tap name). */
  sgInfo(portIds: readonly string[]): Promise<unknown>;
  /** Makes the node's iptables/ipsets/bridge table match a reply (LinuxBridgeFirewall.apply). */
  apply(reply: unknown): Promise<Pick<FirewallApplyResult, 'changed' | 'problems'>>;
  logger: Logger;
}

/** Where a reconcile failed: computing its input, or one of shared/firewall's steps. */
export type HybridFirewallStep = 'sg-info' | FirewallStep | 'apply';

export class HybridFirewallError extends Error {
  override readonly name = 'HybridFirewallError';
  constructor(
    readonly step: HybridFirewallStep,
    /** The ports the failed reconcile was for. */
    readonly portIds: readonly string[],
    cause: unknown,
  ) {
    super(`iptables_hybrid firewall: ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface HybridSyncOutcome {
  /** The reconcile ran (it reads the kernel back; false: the input was unchanged and no full pass was asked). */
  applied: boolean;
  /** It changed the kernel. */
  changed: boolean;
}

/** The port a problem path of the reply names (`devices.<port_id>…`), if any. */
export function problemPortId(path: string): string | undefined {
  const m = /^devices\.([^.[\]]+)/.exec(path);
  return m?.[1];
}

/** The network of a port in a reply, when the reply says. */
function networkOf(reply: unknown, portId: string | undefined): string | undefined {
  if (portId === undefined || typeof reply !== 'object' || reply === null) return undefined;
  const devices = (reply as { devices?: unknown }).devices;
  if (typeof devices !== 'object' || devices === null) return undefined;
  const p = (devices as Record<string, unknown>)[portId];
  const net = typeof p === 'object' && p !== null ? (p as { network_id?: unknown }).network_id : undefined;
  return typeof net === 'string' ? net : undefined;
}

/** Some step changed the kernel (a true flag or a non-empty list, whatever steps shared/firewall has). */
function anyChange(c: FirewallApplyResult['changed']): boolean {
  return Object.values(c).some((v: unknown) => v === true || (Array.isArray(v) && v.length > 0));
}

export class HybridFirewall {
  /** Fingerprint of the input of the last successful reconcile. */
  private lastInput: string | undefined;
  private covered = new Set<string>();
  private readonly loggedProblems = new Set<string>();
  private lastError: string | undefined;

  constructor(private readonly d: HybridFirewallDeps) {}

  /** Ports the last successful reconcile was for (their chains, or their ACCEPT, are in place). */
  get filtered(): ReadonlySet<string> {
    return this.covered;
  }

  /**
   * Reconciles the filter of exactly these ports (all ports of this node known to the
   * server: level-triggered; the others' chains go). `full`: reconcile even when the
   * input is unchanged (repairs chains or sets changed by hand). Throws
   * {@link HybridFirewallError}, already logged.
   */
  async sync(portIds: readonly string[], full: boolean): Promise<HybridSyncOutcome> {
    const ids = [...new Set(portIds.map((p) => p.toLowerCase()))].sort();
    let reply: unknown;
    try {
      reply = await this.d.sgInfo(ids);
    } catch (err) {
      throw this.failed(new HybridFirewallError('sg-info', ids, err));
    }
    const input = createHash('sha256').update(JSON.stringify(reply) ?? '').digest('hex');
    if (!full && input === this.lastInput) return { applied: false, changed: false };
    let res: Pick<FirewallApplyResult, 'changed' | 'problems'>;
    try {
      res = await this.d.apply(reply);
    } catch (err) {
      this.lastInput = undefined;
      throw this.failed(new HybridFirewallError(err instanceof FirewallApplyError ? err.step : 'apply', ids, err));
    }
    this.lastInput = input;
    this.covered = new Set(ids);
    if (this.lastError !== undefined) {
      this.d.logger.info({ firewall_driver: 'iptables_hybrid', ports: ids.length }, 'firewall reconciled again after a failure');
      this.lastError = undefined;
    }
    this.logProblems(res.problems, reply);
    const changed = anyChange(res.changed);
    if (changed) {
      this.d.logger.info({ ...res.changed, firewall_driver: 'iptables_hybrid', ports: ids.length }, 'firewall reconciled');
    } else {
      this.d.logger.debug({ firewall_driver: 'iptables_hybrid', ports: ids.length }, 'firewall already in sync');
    }
    return { applied: true, changed };
  }

  /** Logs a failure the first time it is seen (repeats of the same one at debug). */
  private failed(e: HybridFirewallError): HybridFirewallError {
    const cause = e.cause;
    const err = cause instanceof FirewallApplyError && cause.cause instanceof Error ? cause.cause : cause;
    const fields = { err, step: e.step, firewall_driver: 'iptables_hybrid', ports: e.portIds.length, ...(e.portIds.length === 1 ? { port_id: e.portIds[0] } : {}) };
    if (e.message !== this.lastError) this.d.logger.error(fields, 'firewall reconcile failed; will retry');
    else this.d.logger.debug(fields, 'firewall reconcile failed again');
    this.lastError = e.message;
    return e;
  }

  /** Each input problem once (until it goes away), with the port and network it concerns. */
  private logProblems(problems: readonly Problem[], reply: unknown): void {
    const now = new Set<string>();
    for (const p of problems) {
      const key = `${p.path}\u0000${p.reason}`;
      now.add(key);
      if (this.loggedProblems.has(key)) continue;
      const portId = problemPortId(p.path);
      const networkId = networkOf(reply, portId);
      this.d.logger.warn({ path: p.path, reason: p.reason, ...(portId ? { port_id: portId } : {}), ...(networkId ? { network_id: networkId } : {}) }, 'security group input not applied as given');
    }
    this.loggedProblems.clear();
    for (const k of now) this.loggedProblems.add(k);
  }
}
