/**
 * shared/drivers/interface-driver: how the DHCP and L3 agents wire a namespace port,
 * chosen by `[DEFAULT] interface_driver` as Neutron's load_interface_driver does
 * (entry-point alias or class path).
 *
 *   const driver = createInterfaceDriver(parseInterfaceDriver(conf.interface_driver), {...});
 *   const state = await driver.readState();                 // once per apply
 *   const plan = driver.plug(port, actual, state);          // pure
 *   await applyPlugPlan(executor, runner, plan);            // detach → ops → commands
 */
import type { CommandRunner } from '../../exec/command-runner.js';
import type { Logger } from '../../logging/logger.js';
import type { InterfaceDriver } from './driver.js';
import { LINUXBRIDGE_DRIVER } from './linuxbridge.js';
import { OvsInterfaceDriver, type OvsInterfaceDriverOptions } from './openvswitch.js';
import type { InterfaceDriverName } from './types.js';

export type { InterfaceDriver, PortPlugPlan } from './driver.js';
export type { ChecksumOffload, DeviceCommand, IntegrationBridgeState, InterfaceDriverName, NsPort, NsPortActual, OvsInterfaceRow, PlugPlan, PlugState } from './types.js';
export { LinuxBridgeInterfaceDriver, LINUXBRIDGE_DRIVER } from './linuxbridge.js';
export { OvsInterfaceDriver, DEAD_VLAN_TAG, OWNER_KEY, HOST_KEY, RESOURCE_KEY, type OvsInterfaceDriverOptions } from './openvswitch.js';
export { applyPlugPlan, type PlugApplyResult } from './apply.js';
export { planVeth, type VethPlan } from './veth.js';
export { parseChecksumOffload, offloadOffArgv, readChecksumOffload } from './offload.js';
export { parseIntegrationBridge, readIntegrationBridge, readIntegrationBridgeArgv } from './ovsdb-read.js';

/** Aliases (neutron.interface_drivers entry points) and class paths Neutron accepts. */
const NAMES: Record<string, InterfaceDriverName> = {
  linuxbridge: 'linuxbridge',
  'neutron.agent.linux.interface.BridgeInterfaceDriver': 'linuxbridge',
  openvswitch: 'openvswitch',
  'neutron.agent.linux.interface.OVSInterfaceDriver': 'openvswitch',
};

export class UnsupportedInterfaceDriverError extends Error {
  override readonly name = 'UnsupportedInterfaceDriverError';
  constructor(readonly value: string | null | undefined) {
    super(value
      ? `[DEFAULT] interface_driver = ${value} is not supported (linuxbridge, openvswitch)`
      // neutron.agent.common.utils.load_interface_driver exits without one.
      : 'An interface driver must be specified ([DEFAULT] interface_driver)');
  }
}

export function parseInterfaceDriver(value: string | null | undefined): InterfaceDriverName {
  const name = value ? NAMES[value.trim()] : undefined;
  if (!name) throw new UnsupportedInterfaceDriverError(value);
  return name;
}

export interface InterfaceDriverConfig {
  runner: CommandRunner;
  logger?: Logger;
  /** Used by openvswitch only. */
  ovs: Omit<OvsInterfaceDriverOptions, 'runner' | 'logger'>;
}

export function createInterfaceDriver(name: InterfaceDriverName, c: InterfaceDriverConfig): InterfaceDriver {
  if (name === 'linuxbridge') return LINUXBRIDGE_DRIVER;
  return new OvsInterfaceDriver({ ...c.ovs, runner: c.runner, ...(c.logger ? { logger: c.logger } : {}) });
}
