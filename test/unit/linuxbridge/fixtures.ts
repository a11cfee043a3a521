/**
 * Shared inputs for the linuxbridge unit tests: device details as the server sends
 * them (get_devices_details_list, PROTOCOL.md B4), agent configs, order helpers and
 * a bridge to Python (for comparing naming rules with neutron's own code).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceDetails } from '../../../agents/linuxbridge/model.js';
import type { L2Config } from '../../../agents/linuxbridge/desired.js';
import type { ActualLink } from '../../../shared/drivers/ip-links.js';

// dist/test/unit/linuxbridge → repo root is four levels up; the samples sit beside the checkout.
const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
export const SAMPLES = join(repoRoot, '..', 'shared', 'neutron-lab', 'wire-samples');
export const samplePath = (file: string): string => join(SAMPLES, file);
export const haveSamples = (): boolean => existsSync(SAMPLES);

export const NET_VX = '47ce444c-163d-468e-a0ea-18702b267e61';
export const NET_VX2 = '5a1b2c3d-0000-4000-8000-00000000000a';
export const NET_FLAT = '623f0c80-4053-4a95-be64-ee68e1d94d44';
export const NET_VLAN = '7c1d7f00-1111-4222-8333-444455556666';
export const NET_LOCAL = '8d2e8011-2222-4333-8444-555566667777';
export const NET_PHYS2 = '9e3f9122-3333-4444-8555-666677778888';

let seq = 0;
/** A port uuid whose first 11 chars are unique per call (tap names differ). */
export function portId(n = ++seq): string {
  const h = n.toString(16).padStart(8, '0');
  return `${h}-aaaa-4bbb-8ccc-${n.toString(16).padStart(12, '0')}`;
}

export function dev(over: Partial<DeviceDetails> & { port_id: string }): DeviceDetails {
  const base: DeviceDetails = {
    device: `tap${over.port_id.slice(0, 11)}`,
    port_id: over.port_id,
    network_id: NET_VX,
    mac_address: 'fa:16:3e:00:00:01',
    admin_state_up: true,
    network_type: 'vxlan',
    segmentation_id: 1588,
    physical_network: null,
    mtu: 1450,
    fixed_ips: [],
    device_owner: 'compute:nova',
    allowed_address_pairs: [],
    port_security_enabled: true,
  };
  return { ...base, ...over };
}

export const VXLAN_CFG: NonNullable<L2Config['vxlan']> = {
  localIp: '172.31.255.1', localDev: 'eth1', l2Population: true, arpResponder: true, group: '224.0.0.1', ttl: null, tos: null, dstport: 4789,
};

export function cfg(over: Partial<L2Config> = {}): L2Config {
  return {
    interfaceMappings: { physnet1: 'eth2', longnet: 'enp0s31f6abcde' },
    bridgeMappings: { provider: 'br-provider' },
    vxlan: VXLAN_CFG,
    ...over,
  };
}

export function link(name: string, over: Partial<ActualLink> = {}): ActualLink {
  return { name, index: 0, kind: undefined, up: true, mtu: 1500, mac: undefined, master: undefined, ...over };
}

export function linkMap(...links: ActualLink[]): Map<string, ActualLink> {
  return new Map(links.map((l) => [l.name, l]));
}

/** Deterministic shuffle (seeded LCG): failures are reproducible. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const a = [...xs];
  let s = seed >>> 0;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** All orders worth trying: as given, reversed, and a few seeded shuffles. */
export function orders<T>(xs: readonly T[]): T[][] {
  return [[...xs], [...xs].reverse(), ...[1, 2, 3, 42, 1234].map((s) => shuffled(xs, s))];
}

/**
 * Runs a Python snippet with the system interpreter (where neutron and netaddr are
 * installed) and returns its JSON output, or a reason why it could not.
 */
export function python(code: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return { ok: false, reason: `${py} not found` };
  try {
    const out = execFileSync(py, ['-c', code], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = out.trim().split('\n');
    return { ok: true, value: JSON.parse(lines[lines.length - 1] ?? 'null') };
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    const why = (e.stderr ?? '').trim().split('\n').pop() || e.message || String(err);
    return { ok: false, reason: why };
  }
}
