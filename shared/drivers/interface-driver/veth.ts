/**
 * The veth pair of one namespace port, as both drivers build it (Neutron's
 * BridgeInterfaceDriver, and OVSInterfaceDriver with ovs_use_veth): `tap` in the root
 * namespace, `device` inside carrying the port's MAC, both ends at the port's MTU, up.
 * Pure: a pair with an end missing is rebuilt whole; otherwise only drift is repaired.
 */
import type { Op } from '../../reconcile/ops.js';
import type { NsPort, NsPortActual } from './types.js';

export interface VethPlan {
  ops: Op[];
  /** The pair is (re)created: the inner device comes up bare (no addresses, no routes). */
  rebuilt: boolean;
}

export function planVeth(p: NsPort, a: NsPortActual): VethPlan {
  const { key, netns, device, tap, mac, mtu } = p;
  const { inner, outer } = a;
  const ops: Op[] = [];
  if (!inner || !outer) {
    if (outer) ops.push({ kind: 'link.del', key, name: tap });
    if (inner) ops.push({ kind: 'link.del', key, netns, name: device });
    ops.push({ kind: 'link.add', key, name: tap, link: { type: 'veth', peer: device, peerNetns: netns }, ...(mtu ? { mtu } : {}) });
    ops.push({ kind: 'link.set', key, netns, name: device, address: mac, ...(mtu ? { mtu } : {}), up: true });
    ops.push({ kind: 'link.set', key, name: tap, up: true });
    return { ops, rebuilt: true };
  }
  if (inner.mac?.toLowerCase() !== mac.toLowerCase()) ops.push({ kind: 'link.set', key, netns, name: device, address: mac });
  if (mtu && inner.mtu !== mtu) ops.push({ kind: 'link.set', key, netns, name: device, mtu });
  if (mtu && outer.mtu !== mtu) ops.push({ kind: 'link.set', key, name: tap, mtu });
  if (!inner.up) ops.push({ kind: 'link.set', key, netns, name: device, up: true });
  if (!outer.up) ops.push({ kind: 'link.set', key, name: tap, up: true });
  return { ops, rebuilt: false };
}
