/**
 * The start-up checks of neutron-linuxbridge-agent (LinuxBridgeManager.__init__):
 * every mapped interface and bridge must exist, and with VXLAN enabled local_ip must
 * sit on one of this node's links. Python exits on each; so do we, with the same words.
 */
import { StartupError } from '../../shared/agent/boot.js';
import { firstLinkWithMac, linkExists, linkMac } from '../../shared/drivers/host-links.js';
import { linkWithAddress } from '../../shared/drivers/ip-addresses.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';

export interface LinuxBridgeHostInput {
  interfaceMappings: Record<string, string>;
  bridgeMappings: Record<string, string>;
  enableVxlan: boolean;
  localIp: string | undefined;
}

export interface LinuxBridgeHostFacts {
  /** "lb" + MAC of the first mapped interface without colons: the agent_id of RPC calls. */
  agentId: string;
  vxlanEnabled: boolean;
  vxlanDevice: string | undefined;
}

export async function checkLinuxBridgeHost(runner: CommandRunner, i: LinuxBridgeHostInput): Promise<LinuxBridgeHostFacts> {
  for (const [physnet, dev] of Object.entries(i.interfaceMappings)) {
    if (!linkExists(dev)) throw new StartupError(`Interface ${dev} for physical network ${physnet} does not exist. Agent terminated!`);
  }
  for (const [physnet, br] of Object.entries(i.bridgeMappings)) {
    if (!linkExists(br)) throw new StartupError(`Bridge ${br} for physical network ${physnet} does not exist. Agent terminated!`);
  }
  let vxlanDevice: string | undefined;
  if (i.enableVxlan) {
    if (!i.localIp) throw new StartupError('[vxlan] enable_vxlan is true but [vxlan] local_ip is not set. Tunneling cannot be enabled without local_ip.');
    vxlanDevice = await linkWithAddress(runner, i.localIp);
    if (!vxlanDevice) {
      throw new StartupError(`Tunneling cannot be enabled without the local_ip bound to an interface on the host. Please configure local_ip ${i.localIp} on the host interface to be used for tunneling and restart the agent.`);
    }
  }
  // Python (get_agent_id): the first mapped bridge's MAC, else the first link with one.
  const firstBridge = Object.values(i.bridgeMappings)[0];
  const mac = firstBridge ? linkMac(firstBridge) : firstLinkWithMac()?.mac;
  if (!mac) throw new StartupError('Unable to obtain MAC address for unique ID. Agent terminated!');
  return { agentId: `lb${mac.replace(/:/g, '')}`, vxlanEnabled: i.enableVxlan, vxlanDevice };
}
