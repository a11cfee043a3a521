/**
 * Checksum offload of a namespace device, read and turned off with ethtool.
 *
 * KERNEL.md §1: on the userspace (netdev) datapath a veth with tx checksum offload on
 * hands OVS packets whose checksum was never filled in; OVS forwards them as they are,
 * so TCP fails (the SYN arrives, nothing comes back) while ICMP and UDP work. The DHCP
 * namespace's metadata proxy and every router are TCP. Neutron turns rx and tx off on
 * the namespace end for the netdev datapath (interface.py plug_new, bug 1832021); so
 * do we. There is no ethtool op kind in shared/reconcile: the agents run these argv
 * arrays after the kernel ops (see {@link DeviceCommand}).
 */
import type { CommandRunner } from '../../exec/command-runner.js';
import { assertIfName } from '../../exec/names.js';
import type { ChecksumOffload } from './types.js';

/** `ethtool -k DEV` output → rx/tx checksumming; undefined when either line is missing. */
export function parseChecksumOffload(text: string): ChecksumOffload | undefined {
  const rx = /^rx-checksumming:\s*(on|off)/m.exec(text)?.[1];
  const tx = /^tx-checksumming:\s*(on|off)/m.exec(text)?.[1];
  if (rx === undefined || tx === undefined) return undefined;
  return { rx: rx === 'on', tx: tx === 'on' };
}

export function readOffloadArgv(device: string): string[] {
  assertIfName(device);
  return ['ethtool', '-k', device];
}

export function offloadOffArgv(device: string): string[] {
  assertIfName(device);
  return ['ethtool', '-K', device, 'rx', 'off', 'tx', 'off'];
}

/**
 * Offload of each device in `netns` that ethtool could read. A device it could not
 * read (gone meanwhile, ethtool missing) is left out: the planner then turns offload
 * off again, and that command's failure is what gets reported.
 */
export async function readChecksumOffload(runner: CommandRunner, netns: string, devices: readonly string[]): Promise<Map<string, ChecksumOffload>> {
  const out = new Map<string, ChecksumOffload>();
  for (const dev of devices) {
    const r = await runner.run(readOffloadArgv(dev), { netns }).catch(() => undefined);
    const o = r ? parseChecksumOffload(r.stdout) : undefined;
    if (o) out.set(dev, o);
  }
  return out;
}
