/**
 * The OVS agent's flow renderers: pure functions from the agent's desired state
 * (../model.ts) to the flows Neutron Zed's openvswitch agent installs with its native
 * OpenFlow driver, table for table, written as `ovs-ofctl dump-flows` prints them.
 * Each returns a sorted, duplicate-free FlowSpec[] or throws FlowInputError.
 */
export { renderBrIntFlows, brIntDefaultFlows } from './br-int.js';
export { renderBrTunFlows, brTunDefaultFlows, learnAction } from './br-tun.js';
export { renderBrPhysFlows } from './br-phys.js';
export { l2popFdbFromTable } from './fdb.js';
export { addFlowsLine, finish } from './ofctl-text.js';
export { FlowConflictError, FlowInputError } from './errors.js';
export { DEAD_VLAN_TAG, INT, PHYS, TUN } from './tables.js';
