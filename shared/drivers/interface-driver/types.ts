/**
 * The interface driver's data: one Neutron port that an agent (DHCP, L3) wires into a
 * namespace through a veth pair, what was read about it, and the plan to plug it.
 * Plain data only; the drivers in this directory plan from it.
 */
import type { ActualLink } from '../ip-links.js';
import type { Op } from '../../reconcile/ops.js';

/** `[DEFAULT] interface_driver`, normalised (aliases and class paths accepted). */
export type InterfaceDriverName = 'linuxbridge' | 'openvswitch';

/** A port wired into a namespace: `device` inside, `tap` in the root namespace. */
export interface NsPort {
  /** Resource the port belongs to (`network:<id>`, `router:<id>`): op key and OVS ownership. */
  key: string;
  portId: string;
  mac: string;
  mtu: number | null;
  netns: string;
  /** Inside the namespace: ns-/qr-/qg- + port_id[:11]. */
  device: string;
  /** In the root namespace: tap + port_id[:11]. */
  tap: string;
}

/** rx/tx checksum offload of a device, as `ethtool -k` reports it. */
export interface ChecksumOffload { rx: boolean; tx: boolean }

export interface NsPortActual {
  /** `device` in the namespace. */
  inner: ActualLink | undefined;
  /** `tap` in the root namespace. */
  outer: ActualLink | undefined;
  /** Offload of `device`; read only where the driver keeps it off (OVS netdev datapath). */
  offload?: ChecksumOffload | undefined;
}

/** A command with no {@link Op} kind (ethtool), run after the plan's ops succeeded. */
export interface DeviceCommand {
  key: string;
  netns?: string;
  argv: string[];
  /** For the log line when it fails. */
  why: string;
}

/**
 * The plan for one or more ports, in three stages run in order:
 * `detach` (its own executor apply), `ops`, then `commands`.
 */
export interface PlugPlan {
  /**
   * OVS quirk: ports that must leave OVSDB in a transaction of their own before their
   * device is re-created. In one transaction with the add-port (or with no OVSDB change
   * at all) the netdev datapath keeps reading the dead device: nothing passes.
   */
  detach: Op[];
  ops: Op[];
  commands: DeviceCommand[];
}

/** One Interface row of OVSDB, as the OVS driver needs it. */
export interface OvsInterfaceRow {
  name: string;
  /** A Port of the integration bridge carries it (else: another bridge, or none). */
  onBridge: boolean;
  externalIds: Record<string, string>;
}

/** The integration bridge as read once per apply (OVS driver only). */
export interface IntegrationBridgeState {
  bridge: string;
  exists: boolean;
  /** Bridge.datapath_type: '' (= system), 'system' or 'netdev'. */
  datapathType: string;
  /** Every Interface row of the switch by name (not only the bridge's: a port on the wrong bridge is moved). */
  interfaces: Map<string, OvsInterfaceRow>;
}

/** What a driver read for one apply: nothing for linuxbridge. */
export type PlugState = IntegrationBridgeState | undefined;
