/**
 * What an interface driver does for the DHCP and L3 agents: plan the plugging of a
 * namespace port (pure), plan the removal of the ports it plugged that are no longer
 * wanted (pure), and read the little it needs beyond the agents' own link reads.
 */
import type { ActualLink } from '../ip-links.js';
import type { Op } from '../../reconcile/ops.js';
import type { ChecksumOffload, InterfaceDriverName, NsPort, NsPortActual, PlugPlan, PlugState } from './types.js';

export interface PortPlugPlan extends PlugPlan {
  /** The veth pair is (re)created: the inner device comes up bare (no addresses, no routes). */
  rebuilt: boolean;
}

export interface InterfaceDriver {
  readonly name: InterfaceDriverName;
  /** Options for the agent's Executor (ovs-vsctl `--db`/`--timeout` for openvswitch). */
  readonly executorOptions: { ovsVsctlArgs?: readonly string[] };
  /** Once per apply, before planning: OVSDB for openvswitch; nothing (no command) for linuxbridge. */
  readState(): Promise<PlugState>;
  /** Offload of these namespace devices where the driver keeps it off; else empty, no command run. */
  readOffload(netns: string, devices: readonly string[], state: PlugState): Promise<Map<string, ChecksumOffload>>;
  /** One namespace port: the veth pair and whatever attaches its root end. Pure. */
  plug(port: NsPort, actual: NsPortActual, state: PlugState): PortPlugPlan;
  /** Ports this agent plugged for `key` whose tap is not in `keep`. Pure. */
  unplugStale(key: string, keep: ReadonlySet<string>, state: PlugState, rootLinks: ReadonlyMap<string, ActualLink>): Op[];
  /** After a full sync: ports this agent plugged for a key not in `keepKeys`. Pure. */
  sweep(keepKeys: ReadonlySet<string>, state: PlugState, rootLinks: ReadonlyMap<string, ActualLink>): Op[];
  /** The L2 side carries the tap now (so a gratuitous ARP sent through it reaches someone). */
  isWired(tap: string): Promise<boolean>;
}
