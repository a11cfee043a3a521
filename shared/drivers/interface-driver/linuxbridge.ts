/**
 * `interface_driver = linuxbridge` (Neutron's BridgeInterfaceDriver): a veth pair whose
 * root end the linuxbridge agent enslaves to brq<network>. Nothing else to plug, read
 * or sweep here: the namespace end going takes the tap with it.
 */
import { existsSync } from 'node:fs';
import type { Op } from '../../reconcile/ops.js';
import type { InterfaceDriver, PortPlugPlan } from './driver.js';
import type { ChecksumOffload, NsPort, NsPortActual } from './types.js';
import { planVeth } from './veth.js';

export class LinuxBridgeInterfaceDriver implements InterfaceDriver {
  readonly name = 'linuxbridge' as const;
  readonly executorOptions = {};

  async readState(): Promise<undefined> {
    return undefined;
  }

  async readOffload(): Promise<Map<string, ChecksumOffload>> {
    return new Map();
  }

  plug(p: NsPort, a: NsPortActual): PortPlugPlan {
    const v = planVeth(p, a);
    return { detach: [], ops: v.ops, commands: [], rebuilt: v.rebuilt };
  }

  unplugStale(): Op[] {
    return [];
  }

  sweep(): Op[] {
    return [];
  }

  /** Enslaved by the linuxbridge agent. */
  async isWired(tap: string): Promise<boolean> {
    return existsSync(`/sys/class/net/${tap}/master`);
  }
}

/** The default everywhere a driver is optional: today's behaviour. */
export const LINUXBRIDGE_DRIVER: InterfaceDriver = new LinuxBridgeInterfaceDriver();
