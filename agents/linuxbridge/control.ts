/**
 * What `nucleon status|diff|trace|resync` see of the linuxbridge agent: known ports,
 * the planned changes without applying them, and for one port or network id its
 * details, desired wiring, the kernel objects found and its firewall chains.
 */
import type { ControlProvider, DiffEntry } from '../../shared/control/index.js';
import type { CommandRunner } from '../../shared/exec/command-runner.js';
import { readLinks } from '../../shared/drivers/ip-links.js';
import { describeOp } from '../../shared/reconcile/describe.js';
import type { LinuxBridgeAgent } from './agent.js';
import { bridgeName, tapName } from './model.js';
import { firewallLinesFor } from '../../shared/firewall/trace-lines.js';

export function linuxBridgeControl(o: { agent: LinuxBridgeAgent; runner: CommandRunner; agentType: string; host: string; daemon: string; resync: (reason: string) => void }): ControlProvider {
  return {
    agentType: o.agentType,
    host: o.host,
    daemon: o.daemon,
    status: () => ({ devices: o.agent.devices, ports: o.agent.knownPorts().length, bridges: o.agent.desired()?.bridges.size ?? 0 }),
    health: () => ({ state: 'ok', failing: [] }),
    async diff(): Promise<DiffEntry[]> {
      return (await o.agent.dryRun()).map((op) => ({ key: op.key, op: op.kind, description: describeOp(op) }));
    },
    async trace(id: string): Promise<Record<string, unknown>> {
      const id11 = id.toLowerCase();
      const ports = o.agent.knownPorts().filter((p) => p.port_id === id11 || p.network_id === id11);
      const desired = o.agent.desired();
      const links = await readLinks(o.runner);
      const names = new Set<string>([tapName(id11), bridgeName(id11), ...ports.flatMap((p) => [p.device, bridgeName(p.network_id)])]);
      for (const b of desired?.bridges.values() ?? []) if (names.has(b.name) && b.uplink) names.add(b.uplink.name);
      const kernel = [...links.values()].filter((l) => names.has(l.name));
      const firewall = await firewallLinesFor(o.runner, ports.map((p) => p.port_id));
      return {
        ports,
        desired: {
          taps: [...(desired?.taps.values() ?? [])].filter((t) => names.has(t.name)),
          bridges: [...(desired?.bridges.values() ?? [])].filter((b) => names.has(b.name)),
        },
        kernel,
        firewall,
      };
    },
    resync: o.resync,
  };
}
