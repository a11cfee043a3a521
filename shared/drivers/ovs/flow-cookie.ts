/**
 * Flow cookies: how nucleon recognises the OpenFlow flows it installed, with no memory.
 *
 * A cookie is 64 bits: the top 16 are a fixed nucleon marker, the low 48 are random per
 * agent run. Everything with the marker is ours (a previous run's flows included, which a
 * restart replaces); everything else is foreign and never touched, except when a desired
 * flow has exactly the same table, priority and match (see flow-plan.ts).
 *
 * Neutron instead draws a fully random 64-bit cookie per run and, at start-up, deletes
 * every flow in its tables whose cookie is not one of its own (ofswitch.py
 * cleanup_flows); that also removes flows it never installed. The marker lets us sweep
 * only our own. A random Python cookie carries our marker with probability 2^-16.
 */
import { randomBytes } from 'node:crypto';

/** "nu": the top 16 bits of every cookie nucleon installs. */
export const NUCLEON_COOKIE_MARKER = 0x6e75n;
const MARKER_SHIFT = 48n;
const LOW_MASK = (1n << MARKER_SHIFT) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

/**
 * A fresh cookie for this agent run: the marker and 48 random bits (never 0, so a
 * run cookie differs from the bare marker). OpenFlow reserves all-ones; with the
 * marker in front it can never be produced.
 */
export function newRunCookie(random: (n: number) => Buffer = randomBytes): bigint {
  for (;;) {
    const low = BigInt(`0x${random(6).toString('hex')}`) & LOW_MASK;
    if (low !== 0n) return (NUCLEON_COOKIE_MARKER << MARKER_SHIFT) | low;
  }
}

/** True for cookies carrying the nucleon marker (any run). */
export function isNucleonCookie(cookie: bigint): boolean {
  return cookie >= 0n && cookie <= UINT64_MAX && cookie >> MARKER_SHIFT === NUCLEON_COOKIE_MARKER;
}

/** `0x…` as ovs-ofctl reads and prints it (lower-case hex, no padding). */
export function formatCookie(cookie: bigint): string {
  assertCookie(cookie);
  return `0x${cookie.toString(16)}`;
}

/** `0x…` (or decimal) as ovs-ofctl prints it → bigint; throws on anything else. */
export function parseCookie(text: string): bigint {
  if (!/^(0x[0-9a-f]{1,16}|\d{1,20})$/i.test(text)) throw new RangeError(`not a flow cookie: ${JSON.stringify(text)}`);
  const c = BigInt(text);
  assertCookie(c);
  return c;
}

export function assertCookie(cookie: bigint): void {
  if (typeof cookie !== 'bigint' || cookie < 0n || cookie > UINT64_MAX) throw new RangeError(`flow cookie out of 64-bit range: ${String(cookie)}`);
}
