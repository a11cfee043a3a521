/** agents/l3/nat: a qrouter namespace's iptables as Neutron's legacy L3 agent builds it. */
export { renderRouterNat } from './render.js';
export { RouterNat, type RouterNatApplyResult, type RouterNatOptions } from './router-nat.js';
export { RouterNatError, type RouterNatStep } from './errors.js';
export { deleteFloatingIpConntrack } from './conntrack.js';
export { natInputFromRouter, internalDevice, gatewayDevice, type NatRouter } from './from-router.js';
export { composeFamilyRestore } from './restore.js';
export type { RouterNatInput, RouterNatDesired, RouterFloatingIp, RouterMetadataNat, OwnedTable, NatTableName } from './types.js';
