/**
 * Resource-cache changes → the keys an L2 agent (linuxbridge, OVS) marks dirty, as the
 * legacy RPC notifications do: Port → `port:<id>`, Network → `network:<id>`,
 * security groups, rules, address groups → `firewall`.
 *
 * Two refinements, each what the notifications amount to:
 * - a Port or Network update that changes nothing but `status` (and the revision)
 *   marks nothing. The server sends no port_update for a status change, and the
 *   status change our own update_device_list causes would otherwise re-fetch and
 *   re-report every port once more;
 * - any other Port change also marks `firewall`: a port's addresses or groups are
 *   members of remote groups other ports filter on (the server's
 *   security_groups_member_updated), even when that port's tap is not on this node.
 * Subnets mark `firewall` as in the OVS agent (conservative: nothing filters on them today).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ResourceChange } from './store.js';

export type DirtyMark = { kind: 'port'; id: string } | { kind: 'network'; id: string } | { kind: 'firewall' };

function onlyStatusChanged(previous: { status: unknown; revisionNumber: number } | undefined, current: { status: unknown; revisionNumber: number } | undefined): boolean {
  if (!previous || !current) return false;
  return isDeepStrictEqual({ ...previous, status: null, revisionNumber: 0 }, { ...current, status: null, revisionNumber: 0 });
}

export function dirtyMarksFor(change: ResourceChange): DirtyMark[] {
  switch (change.resourceType) {
    case 'Port':
      if (change.event === 'updated' && onlyStatusChanged(change.previous, change.current)) return [];
      return [{ kind: 'port', id: change.id }, { kind: 'firewall' }];
    case 'Network':
      if (change.event === 'updated' && onlyStatusChanged(change.previous, change.current)) return [];
      return [{ kind: 'network', id: change.id }];
    default:
      return [{ kind: 'firewall' }];
  }
}
