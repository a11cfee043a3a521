/**
 * Conntrack cleanup for a floating IP that went away. Removing the NAT rules only
 * stops new connections: established ones keep their translation in conntrack.
 * Neutron (ip_lib.delete_conntrack_state, on floating IP removal) deletes the
 * entries whose original destination is the floating IP (`-d`, ingress) and whose
 * reply destination is it (`-q`, egress SNATed to it); so does this.
 * Call it after the apply that removed the floating IP's rules, or a packet in
 * between recreates the entry.
 */
import type { CommandRunner } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { assertIp } from '../../../shared/exec/names.js';
import { RouterNatError } from './errors.js';

/** Returns how many `conntrack -D` calls deleted something (0..2). */
export async function deleteFloatingIpConntrack(runner: CommandRunner, netns: string, floatingIp: string): Promise<number> {
  assertIp(floatingIp);
  let deleted = 0;
  for (const flag of ['-d', '-q']) {
    try {
      await runner.run(['conntrack', '-D', flag, floatingIp], { netns, timeoutMs: 10_000 });
      deleted++;
    } catch (e) {
      // conntrack-tools exits 1 when no entry matched ("0 flow entries have been deleted").
      if (e instanceof CommandError && e.exitCode === 1 && /0 flow entries/.test(e.stderr)) continue;
      throw new RouterNatError('conntrack', netns, e);
    }
  }
  return deleted;
}
