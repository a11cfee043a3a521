/**
 * Checks a {@link RouterNatInput} before anything of it reaches an iptables-restore
 * script: a space or newline in a device name or address would become another
 * argument or another rule. Throws {@link InvalidNameError} (shared/exec/names.ts)
 * naming the field; a router with bad input is not applied at all.
 */
import { assertCidr, assertIfName, assertInt, assertIp, InvalidNameError } from '../../../shared/exec/names.js';
import type { RouterNatInput } from './types.js';

const MARK = /^0x[0-9a-f]{1,4}$/i;

export function assertRouterNatInput(x: RouterNatInput): void {
  if (x.gatewayDevice !== undefined) assertIfName(x.gatewayDevice);
  for (const ip of x.gatewayIps) assertIp(ip);
  for (const d of x.internalDevices) {
    assertIfName(d.dev);
    for (const c of d.cidrs) assertCidr(c);
  }
  for (const f of x.floatingIps) {
    // Floating IPs are IPv4 in Neutron (the v4 nat table is the only one with DNAT/SNAT rules).
    assertIp(f.floatingIp, 4);
    assertIp(f.fixedIp, 4);
  }
  assertInt('metadata port', x.metadata.port, 1, 65535);
  // Both marks are masked with ROUTER_MARK_MASK (0xffff): at most 4 hex digits.
  for (const [what, m] of [['metadata access mark', x.metadata.accessMark], ['external ingress mark', x.metadata.ingressMark]] as const) {
    if (!MARK.test(m)) throw new InvalidNameError(what, m, 'must be 0x followed by 1-4 hex digits');
  }
}
