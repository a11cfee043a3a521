/**
 * [securitygroup] → the firewall the agent runs. Python's linuxbridge agent supports
 * the iptables driver (stateful, through br_netfilter) and noop; so do we. The
 * security-group input comes from `sgInfo` (the server or the resource cache).
 */
import { StartupError } from '../../shared/agent/boot.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { LinuxBridgeFirewall } from '../../shared/firewall/linuxbridge-firewall.js';
import type { Logger } from '../../shared/logging/logger.js';
import type { FirewallPort } from './agent.js';
import type { DeviceDetails } from './model.js';
import type { SgInfoSource } from './sg-info-source.js';

const IPTABLES_DRIVERS = new Set(['iptables', 'neutron.agent.linux.iptables_firewall.IptablesFirewallDriver']);
const NOOP_DRIVERS = new Set(['noop', 'neutron.agent.firewall.NoopFirewallDriver']);

export function firewallFor(sg: { enable_security_group: boolean; firewall_driver: string | null }, sgInfo: SgInfoSource, runner: CommandRunner, logger: Logger): FirewallPort | undefined {
  const driver = sg.firewall_driver ?? 'noop';
  if (!sg.enable_security_group || NOOP_DRIVERS.has(driver)) {
    logger.info({ firewall_driver: driver, enable_security_group: sg.enable_security_group }, 'security groups are not enforced by this agent (noop firewall)');
    return undefined;
  }
  if (!IPTABLES_DRIVERS.has(driver)) throw new StartupError(`[securitygroup] firewall_driver = ${driver} is not supported by nucleon-linuxbridge-agent (iptables or noop)`);
  const fw = new LinuxBridgeFirewall({ runner });
  return {
    async apply(ports: DeviceDetails[]): Promise<void> {
      const info = await sgInfo.securityGroupInfo(ports);
      const res = await fw.apply(info);
      for (const p of res.problems) logger.warn({ path: p.path, reason: p.reason }, 'security group input not applied as given');
      if (res.changed.flushedZones.length > 0) logger.info({ zones: res.changed.flushedZones }, 'conntrack zones flushed: connections a removed rule or member allowed face the rules again');
      logger.debug({ changed: res.changed }, 'firewall reconciled');
    },
  };
}
