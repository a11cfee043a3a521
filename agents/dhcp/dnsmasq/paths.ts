/** Where Neutron puts a network's dnsmasq files: `abspath(normpath(dhcp_confs))/<network_id>/<kind>`. */
import { pyJoin, pyNormpath } from './py.js';

export type ConfKind = 'host' | 'addn_hosts' | 'opts' | 'leases' | 'pid' | 'interface';

export function networkConfDir(dhcpConfs: string, networkId: string): string {
  // abspath() of a relative path would depend on the cwd; callers pass an absolute dhcp_confs.
  return pyJoin(pyNormpath(dhcpConfs), networkId);
}

export function confFile(dhcpConfs: string, networkId: string, kind: ConfKind): string {
  return pyJoin(networkConfDir(dhcpConfs, networkId), kind);
}
