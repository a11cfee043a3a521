/**
 * [ovs] as the DHCP and L3 agents read it for `interface_driver = openvswitch`
 * (integration_bridge, ovsdb_connection, ovsdb_timeout, datapath_type). The Python
 * agents register ovs_opts themselves (ovs_conf.register_ovs_opts), and loading any
 * interface driver imports neutron.agent.linux.interface → ovs_lib, which registers
 * the OVSDB options too: the same [ovs] group the OVS agent reads, hence shared.
 */
import { OvsSchema } from './ovs.js';

export const OVS_INTERFACE_GROUP = OvsSchema.ovs;
