/**
 * Validators for every name that reaches a command line or an `ip -batch` line.
 * Batch lines are split on whitespace and `#` starts a comment, so a name with
 * a space would silently become two arguments: validate before rendering.
 */
import { isIP } from 'node:net';

export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
  constructor(
    readonly what: string,
    readonly value: unknown,
    reason: string,
  ) {
    super(`invalid ${what} ${JSON.stringify(value)}: ${reason}`);
  }
}

function str(what: string, v: unknown): string {
  if (typeof v !== 'string') throw new InvalidNameError(what, v, 'not a string');
  return v;
}

/**
 * Linux interface name: 1..15 bytes (IFNAMSIZ-1), no '/', ':', whitespace or NUL,
 * not "." or "..". We also reject '#' and quotes, which `ip -batch` would interpret.
 */
export function assertIfName(name: unknown): asserts name is string {
  const s = str('interface name', name);
  if (s.length < 1 || Buffer.byteLength(s) > 15) throw new InvalidNameError('interface name', s, 'must be 1-15 bytes');
  if (s === '.' || s === '..') throw new InvalidNameError('interface name', s, 'reserved');
  if (/[\s/:\0#"'\\]/.test(s)) throw new InvalidNameError('interface name', s, "contains '/', ':', whitespace, NUL, quote or '#'");
}

/** Namespace name: a file under /run/netns, so a safe file name, max 64 here by policy. */
export function assertNetnsName(name: unknown): asserts name is string {
  const s = str('netns name', name);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(s)) throw new InvalidNameError('netns name', s, 'must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}');
}

export function assertUuid(v: unknown): asserts v is string {
  const s = str('uuid', v);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) throw new InvalidNameError('uuid', s, 'not a UUID');
}

/** Colon-separated 48-bit MAC address. */
export function assertMac(v: unknown): asserts v is string {
  const s = str('mac', v);
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(s)) throw new InvalidNameError('mac', s, 'not a MAC address');
}

/** IPv4 or IPv6 address without prefix length; `family` restricts it. */
export function assertIp(v: unknown, family?: 4 | 6): asserts v is string {
  const s = str('ip', v);
  const f = isIP(s);
  if (f === 0) throw new InvalidNameError('ip', s, 'not an IP address');
  if (family !== undefined && f !== family) throw new InvalidNameError('ip', s, `not IPv${family}`);
}

/** `addr/len` with a valid prefix length for the family. */
export function assertCidr(v: unknown, family?: 4 | 6): asserts v is string {
  const s = str('cidr', v);
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) throw new InvalidNameError('cidr', s, 'not addr/len');
  const f = isIP(m[1] ?? '');
  if (f === 0) throw new InvalidNameError('cidr', s, 'bad address');
  if (family !== undefined && f !== family) throw new InvalidNameError('cidr', s, `not IPv${family}`);
  const len = Number(m[2]);
  if (len > (f === 4 ? 32 : 128)) throw new InvalidNameError('cidr', s, 'prefix length out of range');
}

/** IP family of an address or cidr (0 when neither). */
export function ipFamily(v: string): 0 | 4 | 6 {
  return isIP(v.split('/')[0] ?? '') as 0 | 4 | 6;
}

/** Integer within [min, max]. */
export function assertInt(what: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new InvalidNameError(what, v, `must be an integer in [${min}, ${max}]`);
}

/** A bare word for iproute2 keywords/table names: letters, digits, '_' and '-'. */
export function assertWord(what: string, v: unknown): asserts v is string {
  const s = str(what, v);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(s)) throw new InvalidNameError(what, s, 'must match [A-Za-z0-9_-]{1,64}');
}

/**
 * sysctl key, dotted (`net.ipv4.ip_forward`) or slashed (`net/ipv4/conf/eth0.100/forwarding`:
 * procps reads the slashed form as a path, which is how a device name with a dot is spelt).
 */
export function assertSysctlKey(v: unknown): asserts v is string {
  const s = str('sysctl key', v);
  const ok = s.includes('/') ? /^[a-z0-9_]+(\/[A-Za-z0-9_.-]+)+$/.test(s) && !/(^|\/)\.\.?(\/|$)/.test(s) : /^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(s);
  if (!ok || s.length > 200) throw new InvalidNameError('sysctl key', s, 'not a sysctl key');
}
