/**
 * Validation of the `security_group_info_for_devices` reply (plus tap names).
 * Pure. A malformed entry is reported as a {@link Problem} and skipped; nothing
 * here throws. Every string that reaches an iptables/nft/ipset line is checked here,
 * because those lines are split on whitespace and `"` and `#` mean something.
 *
 * Fail-closed rule: a port whose tap name is valid but whose other fields are not
 * is kept as "blocked" (all its traffic goes to sg-fallback) rather than dropped
 * from the input, which would leave its traffic unfiltered (FORWARD policy ACCEPT).
 */
import { isIP } from 'node:net';
import { assertCidr, assertIfName, assertMac, InvalidNameError } from '../exec/names.js';
import type { AllowedAddressPair, Direction, Ethertype, Problem, SgInfo, SgMembers, SgPort, SgRule } from './types.js';

export interface ParsedSgInfo {
  info: SgInfo;
  /** Valid tap names of ports whose entry was malformed: filtered as deny-all. */
  blockedDevices: string[];
  problems: Problem[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Group/port ids end up in ipset names and comments: a conservative id charset. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

class Invalid extends Error {}
function fail(reason: string): never {
  throw new Invalid(reason);
}
function why(e: unknown): string {
  if (e instanceof Invalid || e instanceof InvalidNameError) return e.message;
  throw e;
}

function id(what: string, v: unknown): string {
  if (typeof v !== 'string' || !ID_RE.test(v)) fail(`${what} is not an id: ${JSON.stringify(v)}`);
  return v;
}

function optNum(what: string, v: unknown, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) fail(`${what} must be an integer in [0, ${max}]`);
  return v;
}

/** An address or a prefix of the given family; returned as given. */
function ipOrCidr(what: string, v: unknown, family?: 4 | 6): string {
  if (typeof v !== 'string') fail(`${what} is not a string`);
  if (v.includes('/')) assertCidr(v, family);
  else {
    const f = isIP(v);
    if (f === 0 || (family !== undefined && f !== family)) fail(`${what} is not an IPv${family ?? '4/6'} address: ${JSON.stringify(v)}`);
  }
  return v;
}

export function parseRule(v: unknown): SgRule {
  if (!isObj(v)) fail('rule is not an object');
  const direction = v['direction'];
  if (direction !== 'ingress' && direction !== 'egress') fail(`bad direction ${JSON.stringify(direction)}`);
  const ethertype = v['ethertype'];
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') fail(`bad ethertype ${JSON.stringify(ethertype)}`);
  const family = ethertype === 'IPv4' ? 4 : 6;
  const r: SgRule = { direction: direction as Direction, ethertype: ethertype as Ethertype };
  if (v['stateful'] !== undefined && v['stateful'] !== null) {
    if (typeof v['stateful'] !== 'boolean') fail('stateful is not a boolean');
    r.stateful = v['stateful'];
  }
  const proto = v['protocol'];
  if (proto !== undefined && proto !== null) {
    const p = typeof proto === 'number' ? String(proto) : proto;
    if (typeof p !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/i.test(p)) fail(`bad protocol ${JSON.stringify(proto)}`);
    if (/^\d+$/.test(p) && Number(p) > 255) fail(`protocol number out of range: ${p}`);
    r.protocol = p.toLowerCase();
  }
  const nums = ['port_range_min', 'port_range_max', 'source_port_range_min', 'source_port_range_max'] as const;
  for (const k of nums) {
    const n = optNum(k, v[k], 65535);
    if (n !== undefined) r[k] = n;
  }
  for (const k of ['source_ip_prefix', 'dest_ip_prefix'] as const) {
    if (v[k] !== undefined && v[k] !== null) r[k] = ipOrCidr(k, v[k], family);
  }
  for (const k of ['remote_group_id', 'remote_address_group_id'] as const) {
    if (v[k] !== undefined && v[k] !== null) r[k] = id(k, v[k]);
  }
  return r;
}

function parsePair(v: unknown, portMac: string): AllowedAddressPair {
  if (!isObj(v)) fail('allowed address pair is not an object');
  const ip = ipOrCidr('allowed pair ip_address', v['ip_address']);
  const mac = v['mac_address'] ?? portMac;
  assertMac(mac);
  return { ip_address: ip, mac_address: mac.toLowerCase() };
}

function parsePort(key: string, v: Obj): SgPort {
  const device = v['device'];
  assertIfName(device);
  const mac = v['mac_address'];
  assertMac(mac);
  const fixed = v['fixed_ips'] ?? [];
  if (!Array.isArray(fixed)) fail('fixed_ips is not a list');
  // The SG reply lists plain strings; accept get_device_details' {ip_address} dicts too.
  const fixedIps = fixed.map((f: unknown) => ipOrCidr('fixed ip', isObj(f) ? f['ip_address'] : f));
  const pairsRaw = v['allowed_address_pairs'] ?? [];
  if (!Array.isArray(pairsRaw)) fail('allowed_address_pairs is not a list');
  const sgs = v['security_groups'] ?? [];
  if (!Array.isArray(sgs)) fail('security_groups is not a list');
  const pse = v['port_security_enabled'];
  if (pse !== undefined && pse !== null && typeof pse !== 'boolean') fail('port_security_enabled is not a boolean');
  const owner = v['device_owner'] ?? '';
  if (typeof owner !== 'string') fail('device_owner is not a string');
  const rulesRaw = v['security_group_rules'] ?? [];
  if (!Array.isArray(rulesRaw)) fail('security_group_rules is not a list');
  const netId = v['network_id'];
  return {
    id: id('port id', v['id'] ?? key),
    device,
    ...(typeof netId === 'string' && ID_RE.test(netId) ? { network_id: netId } : {}),
    mac_address: mac.toLowerCase(),
    fixed_ips: fixedIps,
    allowed_address_pairs: pairsRaw.map((p: unknown) => parsePair(p, mac)),
    port_security_enabled: pse !== false,
    device_owner: owner,
    security_groups: sgs.map((s: unknown) => id('security group id', s)),
    // A bad per-port rule invalidates the port (fail closed), unlike a bad group rule
    // which only loses that (allow) rule.
    security_group_rules: rulesRaw.map(parseRule),
  };
}

function parseMembers(v: unknown, path: string, problems: Problem[]): SgMembers {
  const out: SgMembers = { IPv4: [], IPv6: [] };
  if (!isObj(v)) {
    problems.push({ path, reason: 'members is not an object' });
    return out;
  }
  for (const eth of ['IPv4', 'IPv6'] as const) {
    const list = v[eth] ?? [];
    if (!Array.isArray(list)) {
      problems.push({ path: `${path}.${eth}`, reason: 'not a list' });
      continue;
    }
    list.forEach((m: unknown, i: number) => {
      const ip = Array.isArray(m) ? m[0] : m;
      const mac = Array.isArray(m) ? m[1] : null;
      try {
        out[eth].push([ipOrCidr('member ip', ip, eth === 'IPv4' ? 4 : 6), typeof mac === 'string' ? mac : null]);
      } catch (e) {
        problems.push({ path: `${path}.${eth}[${i}]`, reason: why(e) });
      }
    });
  }
  return out;
}

/**
 * Checks a reply (optionally with `trusted_devices: string[]`) and returns the
 * valid part. Unknown fields are ignored.
 */
export function parseSgInfo(raw: unknown): ParsedSgInfo {
  const problems: Problem[] = [];
  const info: SgInfo = { devices: {}, security_groups: {}, sg_member_ips: {}, trusted_devices: [] };
  const blockedDevices: string[] = [];
  if (!isObj(raw)) return { info, blockedDevices, problems: [{ path: '', reason: 'reply is not an object' }] };

  const devices = raw['devices'] ?? {};
  if (!isObj(devices)) problems.push({ path: 'devices', reason: 'not an object' });
  else {
    for (const [key, v] of Object.entries(devices)) {
      const path = `devices.${key}`;
      if (!isObj(v)) {
        problems.push({ path, reason: 'not an object' });
        continue;
      }
      try {
        const port = parsePort(key, v);
        info.devices[port.id] = port;
      } catch (e) {
        const reason = why(e);
        const dev = v['device'];
        let blocked = false;
        try {
          assertIfName(dev);
          blockedDevices.push(dev);
          blocked = true;
        } catch {
          /* no usable device name: nothing to attach a filter to */
        }
        problems.push({ path, reason: blocked ? `${reason} (device blocked)` : reason });
      }
    }
  }

  const groups = raw['security_groups'] ?? {};
  if (!isObj(groups)) problems.push({ path: 'security_groups', reason: 'not an object' });
  else {
    for (const [sgId, rules] of Object.entries(groups)) {
      const path = `security_groups.${sgId}`;
      if (!ID_RE.test(sgId)) {
        problems.push({ path, reason: 'bad group id' });
        continue;
      }
      if (!Array.isArray(rules)) {
        problems.push({ path, reason: 'rules is not a list' });
        continue;
      }
      info.security_groups[sgId] = [];
      rules.forEach((r: unknown, i: number) => {
        try {
          info.security_groups[sgId]?.push(parseRule(r));
        } catch (e) {
          problems.push({ path: `${path}[${i}]`, reason: why(e) });
        }
      });
    }
  }

  const members = raw['sg_member_ips'] ?? {};
  if (!isObj(members)) problems.push({ path: 'sg_member_ips', reason: 'not an object' });
  else {
    for (const [sgId, m] of Object.entries(members)) {
      if (!ID_RE.test(sgId)) {
        problems.push({ path: `sg_member_ips.${sgId}`, reason: 'bad group id' });
        continue;
      }
      info.sg_member_ips[sgId] = parseMembers(m, `sg_member_ips.${sgId}`, problems);
    }
  }

  const trusted = raw['trusted_devices'] ?? [];
  if (!Array.isArray(trusted)) problems.push({ path: 'trusted_devices', reason: 'not a list' });
  else {
    trusted.forEach((d: unknown, i: number) => {
      try {
        assertIfName(d);
        info.trusted_devices.push(d);
      } catch (e) {
        problems.push({ path: `trusted_devices[${i}]`, reason: why(e) });
      }
    });
  }
  return { info, blockedDevices, problems };
}
