/**
 * Input checks shared by the three renderers. Every number and name that reaches a
 * flow is checked here first, so a bad value raises a {@link FlowInputError} naming
 * the field instead of an ovs-ofctl parse error (or, worse, a flow that means
 * something else: VLAN 0 matches untagged frames, 4096 wraps into the VID bits).
 */
import { assertIfName, assertUuid, InvalidNameError } from '../../../shared/exec/names.js';
import type { LocalVlan } from '../model.js';
import { FlowInputError } from './errors.js';
import { parseAddressOrCidr, parseIpv4, type ParsedAddress } from './ip.js';
import { DEAD_VLAN_TAG } from './tables.js';

/** OpenFlow 1.0 physical ports are 1..0xfeff (OFPP_MAX is 0xff00). */
export const MAX_OFPORT = 0xfeff;
export const MAX_VNI = 0xffffff;

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new FlowInputError(field, v, `must be an integer in [${min}, ${max}]`);
  }
  return v;
}

export function ofport(field: string, v: unknown): number {
  return int(field, v, 1, MAX_OFPORT);
}

/** A local VLAN of br-int: 1..4094 (0 is "untagged", 4095 the dead VLAN). */
export function localVlanId(field: string, v: unknown): number {
  return int(field, v, 1, DEAD_VLAN_TAG - 1);
}

export function vlanSegment(field: string, v: unknown): number {
  return int(field, v, 1, DEAD_VLAN_TAG - 1);
}

export function vni(field: string, v: unknown): number {
  return int(field, v, 1, MAX_VNI);
}

export function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new FlowInputError(field, v, 'must be a boolean');
  return v;
}

/** A colon-separated MAC, returned lower-case (as OVS prints it). */
export function mac(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v)) throw new FlowInputError(field, v, 'not a MAC address');
  return v.toLowerCase();
}

export function ipv4(field: string, v: unknown): number {
  const n = typeof v === 'string' ? parseIpv4(v) : undefined;
  if (n === undefined) throw new FlowInputError(field, v, 'not an IPv4 address');
  return n;
}

/** An IPv4/IPv6 address, or a CIDR when `cidr` (allowed-address pairs may be networks). */
export function address(field: string, v: unknown, cidr = false): ParsedAddress {
  const a = typeof v === 'string' && (cidr || !v.includes('/')) ? parseAddressOrCidr(v) : undefined;
  if (a === undefined) throw new FlowInputError(field, v, cidr ? 'not an IP address or CIDR' : 'not an IP address');
  return a;
}

/** Runs one of shared/exec/names.ts's assertions, re-raised as a FlowInputError. */
function shared(field: string, v: unknown, check: (x: unknown) => void): void {
  try {
    check(v);
  } catch (err) {
    if (err instanceof InvalidNameError) throw new FlowInputError(field, v, err.message, { cause: err });
    throw err;
  }
}

export function uuid(field: string, v: unknown): string {
  shared(field, v, assertUuid);
  return v as string;
}

export function ifName(field: string, v: unknown): string {
  shared(field, v, assertIfName);
  return v as string;
}

export function array<T>(field: string, v: unknown): readonly T[] {
  if (!Array.isArray(v)) throw new FlowInputError(field, v, 'must be an array');
  return v as T[];
}

/** Throws when the same key shows up twice (key → first field that used it). */
export class Unique<K> {
  private readonly seen = new Map<K, string>();
  constructor(private readonly what: string) {}
  add(field: string, key: K, shown: unknown = key): void {
    const first = this.seen.get(key);
    if (first !== undefined) throw new FlowInputError(field, shown, `${this.what} already used by ${first}`);
    this.seen.set(key, field);
  }
}

/**
 * Checks every local VLAN mapping: the VLAN, the segment for its type, unique
 * network ids, VLANs, VNIs, (physnet, VLAN) pairs and one flat network per physnet
 * (Neutron allows no more). Returns them in input order.
 */
export function localVlans(field: string, v: unknown): readonly LocalVlan[] {
  const list = array<LocalVlan>(field, v);
  const nets = new Unique<string>('network id');
  const vlans = new Unique<number>('local VLAN');
  const vnis = new Unique<number>('VNI');
  const segs = new Unique<string>('physical network segment');
  list.forEach((lv, i) => {
    const f = `${field}[${i}]`;
    if (typeof lv !== 'object' || lv === null) throw new FlowInputError(f, lv, 'must be an object');
    nets.add(`${f}.networkId`, uuid(`${f}.networkId`, lv.networkId));
    vlans.add(`${f}.localVlan`, localVlanId(`${f}.localVlan`, lv.localVlan));
    const seg: unknown = lv.segmentationId;
    switch (lv.networkType) {
      case 'vxlan':
        vnis.add(`${f}.segmentationId`, vni(`${f}.segmentationId`, seg));
        break;
      case 'vlan':
        physnet(`${f}.physicalNetwork`, lv.physicalNetwork);
        segs.add(`${f}.segmentationId`, `${lv.physicalNetwork}/${vlanSegment(`${f}.segmentationId`, seg)}`);
        break;
      case 'flat':
        physnet(`${f}.physicalNetwork`, lv.physicalNetwork);
        if (seg !== undefined && seg !== null) throw new FlowInputError(`${f}.segmentationId`, seg, 'a flat network has no segmentation id');
        segs.add(`${f}.physicalNetwork`, `${lv.physicalNetwork}/flat`, lv.physicalNetwork);
        break;
      case 'local':
        if (seg !== undefined && seg !== null) throw new FlowInputError(`${f}.segmentationId`, seg, 'a local network has no segmentation id');
        break;
      default:
        throw new FlowInputError(`${f}.networkType`, lv.networkType, "must be one of 'flat', 'vlan', 'vxlan', 'local'");
    }
  });
  return list;
}

export function physnet(field: string, v: unknown): string {
  // Physical network names come from bridge_mappings (oslo.config): any non-empty
  // text without the ':' and ',' that mapping syntax uses.
  if (typeof v !== 'string' || v === '' || /[:,\s]/.test(v) || v.length > 64) {
    throw new FlowInputError(field, v, 'must be a physical network name (1-64 chars, no ":", "," or whitespace)');
  }
  return v;
}
