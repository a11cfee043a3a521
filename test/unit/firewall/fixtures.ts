/** Hand-made security_group_info_for_devices replies for the firewall renderer tests. */

export const SG = '11111111-2222-4333-8444-555555555555';
export const SG2 = '66666666-7777-4888-9999-aaaaaaaaaaaa';
export const P1 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const P2 = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
export const TAP1 = `tap${P1.slice(0, 11)}`; // tapaaaaaaaa-bb
export const TAP2 = `tap${P2.slice(0, 11)}`;

export interface PortOverrides {
  [k: string]: unknown;
}

export function port(id: string, device: string, ip: string, mac: string, over: PortOverrides = {}): Record<string, unknown> {
  return {
    id,
    device,
    network_id: '99999999-8888-4777-8666-555555555555',
    mac_address: mac,
    fixed_ips: [ip],
    allowed_address_pairs: [],
    port_security_enabled: true,
    device_owner: 'compute:nova',
    security_groups: [SG],
    security_group_rules: [],
    ...over,
  };
}

/** Two ports in SG; SG allows all egress plus `ingress` rules. */
export function reply(ingress: Array<Record<string, unknown>>, over1: PortOverrides = {}): Record<string, unknown> {
  return {
    devices: {
      [P1]: port(P1, TAP1, '10.0.0.11', 'fa:16:3e:00:00:11', over1),
      [P2]: port(P2, TAP2, '10.0.0.12', 'fa:16:3e:00:00:12'),
    },
    security_groups: {
      [SG]: [
        { direction: 'egress', ethertype: 'IPv4', stateful: true },
        { direction: 'egress', ethertype: 'IPv6', stateful: true },
        ...ingress,
      ],
    },
    sg_member_ips: { [SG]: { IPv4: [['10.0.0.11', null], ['10.0.0.12', null]], IPv6: [] } },
  };
}

/** Lines of a restore fragment that belong to one chain. */
export function chainRules(fragment: string, chain: string): string[] {
  return fragment.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}
