/**
 * Helpers for the real-OVS flow tests (test/integration/ovs/flows-*.test.ts): VM
 * namespaces plugged into a bridge by veth, flow files installed with plain
 * `ovs-ofctl add-flows`, pings, flow counters. Everything lives in namespaces the
 * caller made with OvsNetns and dies with them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addFlowsLine } from '../../../agents/ovs/flows/index.js';
import type { FlowSpec } from '../../../agents/ovs/model.js';
import type { OvsInstance } from '../../harness/ovs.js';
import type { OvsNetns } from '../../integration/ovs/netns.js';

export const ETHTOOL = '/usr/sbin/ethtool';

export interface Vm { ns: string; ip: string; mac: string; hostDev: string }

/**
 * A "VM": namespace `vmNs` with eth0 (MAC, address/24, up, tx offload off: the netdev
 * datapath forwards packets with unfilled checksums otherwise, KERNEL.md §1), its peer
 * `hostDev` in `hostNs` added to `bridge` with `tag` when given.
 */
export async function plugVm(nets: OvsNetns, ovs: OvsInstance, o: { hostNs: string; vmNs: string; hostDev: string; bridge: string; tag?: number; ip: string; mac: string }): Promise<Vm> {
  await nets.ip(o.vmNs, ['link', 'add', 'eth0', 'address', o.mac, 'type', 'veth', 'peer', 'name', o.hostDev, 'netns', o.hostNs]);
  await nets.ip(o.vmNs, ['addr', 'add', `${o.ip}/24`, 'dev', 'eth0']);
  await nets.ip(o.vmNs, ['link', 'set', 'eth0', 'up']);
  await nets.exec(o.vmNs, [ETHTOOL, '-K', 'eth0', 'tx', 'off']);
  await nets.ip(o.hostNs, ['link', 'set', o.hostDev, 'up']);
  await ovs.vsctl(['add-port', o.bridge, o.hostDev, ...(o.tag !== undefined ? [`tag=${o.tag}`] : [])]);
  return { ns: o.vmNs, ip: o.ip, mac: o.mac, hostDev: o.hostDev };
}

export async function ofportOf(ovs: OvsInstance, iface: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const v = Number((await ovs.vsctl(['get', 'Interface', iface, 'ofport'])).trim());
    if (Number.isInteger(v) && v > 0) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ofport for ${iface}\n${ovs.logs()}`);
}

/** Replaces a bridge's flows: `del-flows`, then `add-flows <file>` (no cookie, OpenFlow 1.0). */
export async function installFlows(ovs: OvsInstance, bridge: string, flows: FlowSpec[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-flows-'));
  try {
    const file = join(dir, `${bridge}.flows`);
    writeFileSync(file, `${flows.map(addFlowsLine).join('\n')}\n`);
    await ovs.ofctl(['del-flows', bridge]);
    await ovs.ofctl(['add-flows', bridge, file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True once one ping gets an answer (tries for about `tries` seconds: the first packets wait for ARP and the tunnel's underlay neighbour). */
export async function pings(nets: OvsNetns, from: Vm, ip: string, tries = 10): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await nets.exec(from.ns, ['ping', '-c', '1', '-W', '1', ip], { reject: false });
    if (r.exitCode === 0) return true;
  }
  return false;
}

/** Packets received out of `count` pings sent 0.2 s apart. */
export async function received(nets: OvsNetns, from: Vm, ip: string, count = 3): Promise<number> {
  const r = await nets.exec(from.ns, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', ip], { reject: false });
  const m = /(\d+) received/.exec(r.stdout);
  return m ? Number(m[1]) : 0;
}

export async function flushNeigh(nets: OvsNetns, vm: Vm): Promise<void> {
  await nets.ip(vm.ns, ['neigh', 'flush', 'dev', 'eth0']);
}

/** n_packets of the flow in `table` whose match text contains `matchPart` (first one). */
export async function packetsOf(ovs: OvsInstance, bridge: string, table: number, matchPart: string): Promise<number> {
  const out = await ovs.ofctl(['dump-flows', '--no-names', bridge, `table=${table}`]);
  for (const line of out.split('\n')) {
    if (!line.includes(matchPart)) continue;
    const m = /n_packets=(\d+)/.exec(line);
    if (m) return Number(m[1]);
  }
  throw new Error(`no flow in ${bridge} table ${table} matching ${matchPart}:\n${out}`);
}
