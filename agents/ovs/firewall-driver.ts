/**
 * `[securitygroup] firewall_driver` → which firewall the OVS agent runs. Python loads
 * the driver by its stevedore alias (entry points `neutron.agent.firewall_drivers`) or
 * by its dotted class path (firewall.load_firewall_driver_class →
 * load_class_by_alias_or_classname); both spellings are accepted here. Pure.
 */

export type OvsFirewallKind = 'openvswitch' | 'iptables_hybrid' | 'noop';

const DRIVERS: ReadonlyMap<string, OvsFirewallKind> = new Map([
  ['openvswitch', 'openvswitch'],
  ['neutron.agent.linux.openvswitch_firewall.OVSFirewallDriver', 'openvswitch'],
  ['neutron.agent.linux.openvswitch_firewall.firewall.OVSFirewallDriver', 'openvswitch'],
  ['iptables_hybrid', 'iptables_hybrid'],
  ['neutron.agent.linux.iptables_firewall.OVSHybridIptablesFirewallDriver', 'iptables_hybrid'],
  ['noop', 'noop'],
  ['neutron.agent.firewall.NoopFirewallDriver', 'noop'],
]);

/** The driver a configured name stands for; undefined for a name nucleon does not know. */
export function firewallKindOf(name: string | null | undefined): OvsFirewallKind | undefined {
  return name === null || name === undefined ? undefined : DRIVERS.get(name.trim());
}

export interface ResolvedFirewall {
  /**
   * The agent's `firewallDriver`: the alias of a known driver (`openvswitch`,
   * `iptables_hybrid`, `noop`), the configured string for an unknown one, `noop` when
   * security groups are disabled or no driver is set (Neutron then loads none either).
   */
  driver: string;
  /** What filters the ports: the openvswitch flows, the hybrid iptables chains, or nothing. */
  enforced: 'openvswitch' | 'iptables_hybrid' | 'none';
  /** A configured driver nucleon does not know (its ports get the anti-spoofing flows only). */
  unknown: string | undefined;
  /**
   * `ovs_hybrid_plug` in the agent's configurations: Python reports the loaded driver
   * class's OVS_HYBRID_PLUG_REQUIRED, whatever enable_security_group says.
   */
  hybridPlug: boolean;
}

export function resolveFirewallDriver(sg: { enable_security_group: boolean; firewall_driver: string | null }): ResolvedFirewall {
  const configured = sg.firewall_driver;
  const kind = firewallKindOf(configured);
  const hybridPlug = kind === 'iptables_hybrid';
  if (!sg.enable_security_group || configured === null || configured.trim() === '') return { driver: 'noop', enforced: 'none', unknown: undefined, hybridPlug };
  if (kind === undefined) return { driver: configured, enforced: 'none', unknown: configured, hybridPlug };
  return { driver: kind, enforced: kind === 'noop' ? 'none' : kind, unknown: undefined, hybridPlug };
}
