/** The openvswitch firewall driver: see README.md. */
export { renderOvsFirewall, compareFlows, flowKey } from './render.js';
export { zonesToFlush } from './zones.js';
export { ConntrackZoneFlusher, type ConntrackZoneFlusherOptions, type OvsDatapathType } from './conntrack-flush.js';
export { portRangeMasks } from './port-masks.js';
export { flowText, flowsText } from './ofctl-text.js';
export { OWNED_TABLES, TABLE, TRANSIENT_MIN_PRIORITY } from './constants.js';
export type { NetworkFlows, OvsFirewallInput, OvsFirewallRender, PortFlows, PortMode } from './types.js';
