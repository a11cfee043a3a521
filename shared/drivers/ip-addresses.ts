/**
 * Addresses of this namespace's links, read with `ip -json addr show`.
 * Not os.networkInterfaces(): libuv leaves out links that are up but have no
 * carrier (IFF_RUNNING unset), while the kernel, and Neutron, count their addresses.
 */
import type { CommandRunner } from '../exec/command-runner.js';
import { assertIp } from '../exec/names.js';

interface IpAddrJson { ifname?: string; addr_info?: Array<{ local?: string }> }

export async function linkWithAddress(runner: CommandRunner, ip: string, netns?: string): Promise<string | undefined> {
  assertIp(ip);
  const r = await runner.run(['ip', '-json', 'addr', 'show'], netns ? { netns } : {});
  const links = JSON.parse(r.stdout || '[]') as IpAddrJson[];
  const want = ip.toLowerCase();
  return links.find((l) => l.addr_info?.some((a) => a.local?.toLowerCase() === want))?.ifname;
}
