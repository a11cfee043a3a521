/**
 * `interface_driver = openvswitch` (Neutron's OVSInterfaceDriver): the agent itself
 * plugs the root end of each namespace port into the integration bridge, with the
 * Interface external_ids the OVS agent looks for (iface-id, iface-status, attached-mac),
 * and takes it out again when the port goes.
 *
 * Always a veth pair, whatever `ovs_use_veth` says: Neutron's default (an internal port
 * moved into the namespace) breaks on the userspace datapath this project runs on
 * (KERNEL.md §1 "Internal ports": OVSDB then shows link_state down, vswitchd cannot
 * read the device any more, and after a vswitchd restart a new internal device appears
 * in the root namespace). So the root end is `tap` + port_id[:11] for every prefix
 * (ns-, qr-, qg-), as Neutron names it with ovs_use_veth = True.
 *
 * Ownership: besides Neutron's keys, every Interface we plug carries
 * nucleon-owner=<agent>, nucleon-host=<host> and nucleon-resource=<network:id|router:id>;
 * only such rows are ever unplugged or swept. A port with the tap's name that someone
 * else plugged on br-int is adopted (its external_ids set) rather than re-created.
 */
import { existsSync } from 'node:fs';
import type { CommandRunner } from '../../exec/command-runner.js';
import { assertIfName } from '../../exec/names.js';
import type { Logger } from '../../logging/logger.js';
import type { ActualLink } from '../ip-links.js';
import type { Op, OvsCommand } from '../../reconcile/ops.js';
import { offloadOffArgv, readChecksumOffload } from './offload.js';
import { readIntegrationBridge } from './ovsdb-read.js';
import type { InterfaceDriver, PortPlugPlan } from './driver.js';
import type { ChecksumOffload, DeviceCommand, IntegrationBridgeState, NsPort, NsPortActual, OvsInterfaceRow, PlugState } from './types.js';
import { planVeth } from './veth.js';

/** neutron_lib ovs_constants.DEAD_VLAN_TAG: a new port drops everything until the OVS agent tags it. */
export const DEAD_VLAN_TAG = 4095;

export const OWNER_KEY = 'nucleon-owner';
export const HOST_KEY = 'nucleon-host';
export const RESOURCE_KEY = 'nucleon-resource';

export interface OvsInterfaceDriverOptions {
  runner: CommandRunner;
  logger?: Logger;
  /** `[ovs] integration_bridge`. */
  integrationBridge: string;
  /** `[ovs] ovsdb_connection`, e.g. `tcp:127.0.0.1:6640` or `unix:/run/openvswitch/db.sock`. */
  ovsdbConnection: string;
  /** `[ovs] ovsdb_timeout`, seconds. */
  ovsdbTimeoutSec: number;
  /** `[ovs] datapath_type`; offload is turned off when this or the bridge itself says netdev. */
  datapathType: string;
  /** Which agent plugs (`dhcp`, `l3`) on which host: the ownership marker. */
  owner: { agent: string; host: string };
  /** Disable IPv6 on the root ends (Neutron's root_dev.disable_ipv6()). Default: when the host has IPv6. */
  ipv6?: boolean;
}

export class OvsInterfaceDriver implements InterfaceDriver {
  readonly name = 'openvswitch' as const;
  readonly executorOptions: { ovsVsctlArgs: readonly string[] };
  private readonly vsctlArgs: readonly string[];
  private readonly ipv6: boolean;

  constructor(private readonly o: OvsInterfaceDriverOptions) {
    assertIfName(o.integrationBridge);
    if (!/^(tcp|ssl|unix|ptcp|pssl|punix):\S+$/.test(o.ovsdbConnection)) throw new Error(`[ovs] ovsdb_connection ${JSON.stringify(o.ovsdbConnection)} is not an OVSDB connection string`);
    this.vsctlArgs = [`--db=${o.ovsdbConnection}`, `--timeout=${o.ovsdbTimeoutSec}`];
    this.executorOptions = { ovsVsctlArgs: this.vsctlArgs };
    this.ipv6 = o.ipv6 ?? existsSync('/proc/sys/net/ipv6/conf/default/disable_ipv6');
  }

  async readState(): Promise<IntegrationBridgeState> {
    const s = await readIntegrationBridge(this.o.runner, this.vsctlArgs, this.o.integrationBridge, (this.o.ovsdbTimeoutSec + 5) * 1000);
    if (!s.exists) this.o.logger?.warn({ bridge: s.bridge }, 'integration bridge missing: ports cannot be plugged until the OVS agent creates it');
    return s;
  }

  async readOffload(netns: string, devices: readonly string[], state: PlugState): Promise<Map<string, ChecksumOffload>> {
    return this.netdev(state) ? readChecksumOffload(this.o.runner, netns, devices) : new Map();
  }

  plug(p: NsPort, a: NsPortActual, state: PlugState): PortPlugPlan {
    const veth = planVeth(p, a);
    const { key, tap } = p;
    const ops: Op[] = [...veth.ops];
    const detach: Op[] = [];
    const commands: DeviceCommand[] = [];
    // A root end with IPv6 would take router advertisements from the tenant network:
    // the netdev datapath reads the veth, but the host stack still sees its frames.
    if (veth.rebuilt && this.ipv6) ops.push({ kind: 'sysctl.set', key, name: `net/ipv6/conf/${tap}/disable_ipv6`, value: '1' });

    const want = this.externalIds(p);
    const row = state?.interfaces.get(tap);
    if (veth.rebuilt || !row || !row.onBridge) {
      const gone: OvsCommand[] = [];
      if (row) gone.push({ cmd: 'del-port', port: tap, ifExists: true });
      // The Python agent's internal port for the same Neutron port (ovs_use_veth = False).
      const legacy = state?.interfaces.get(p.device);
      if (legacy && legacy.externalIds['iface-id'] === p.portId) gone.push({ cmd: 'del-port', port: p.device, ifExists: true });
      if (gone.length > 0) detach.push({ kind: 'ovs.vsctl', key, commands: gone });
      // Neutron's replace_port: the port starts on the dead VLAN (and as a trunk of it
      // only, so untagged frames are dropped too) until the OVS agent wires it.
      ops.push({
        kind: 'ovs.vsctl', key, commands: [
          { cmd: 'add-port', bridge: this.o.integrationBridge, port: tap, mayExist: true, iface: prefixed(want) },
          { cmd: 'set', table: 'Port', record: tap, values: { tag: DEAD_VLAN_TAG, vlan_mode: 'trunk', trunks: DEAD_VLAN_TAG } },
        ],
      });
    } else if (Object.entries(want).some(([k, v]) => row.externalIds[k] !== v)) {
      ops.push({ kind: 'ovs.vsctl', key, commands: [{ cmd: 'set', table: 'Interface', record: tap, values: prefixed(want) }] });
    }

    if (this.netdev(state) && (veth.rebuilt || !a.offload || a.offload.rx || a.offload.tx)) {
      commands.push({ key, netns: p.netns, argv: offloadOffArgv(p.device), why: 'checksum offload off on the netdev datapath (TCP fails with it on)' });
    }
    return { detach, ops, commands, rebuilt: veth.rebuilt };
  }

  unplugStale(key: string, keep: ReadonlySet<string>, state: PlugState, rootLinks: ReadonlyMap<string, ActualLink>): Op[] {
    return this.unplug([...this.owned(state)].filter((r) => r.externalIds[RESOURCE_KEY] === key && !keep.has(r.name)), key, rootLinks);
  }

  sweep(keepKeys: ReadonlySet<string>, state: PlugState, rootLinks: ReadonlyMap<string, ActualLink>): Op[] {
    const ops: Op[] = [];
    for (const r of this.owned(state)) {
      const key = r.externalIds[RESOURCE_KEY] ?? '';
      if (!keepKeys.has(key)) ops.push(...this.unplug([r], key || `port:${r.name}`, rootLinks));
    }
    return ops;
  }

  /** Wired once the OVS agent moved the port off the dead VLAN. */
  async isWired(tap: string): Promise<boolean> {
    assertIfName(tap);
    const argv = ['ovs-vsctl', ...this.vsctlArgs, 'get', 'Port', tap, 'tag'];
    const r = await this.o.runner.run(argv, { timeoutMs: (this.o.ovsdbTimeoutSec + 5) * 1000 }).catch(() => undefined);
    const tag = Number(r?.stdout.trim());
    return Number.isInteger(tag) && tag > 0 && tag < DEAD_VLAN_TAG;
  }

  private netdev(state: PlugState): boolean {
    return this.o.datapathType === 'netdev' || state?.datapathType === 'netdev';
  }

  private externalIds(p: NsPort): Record<string, string> {
    return {
      'iface-id': p.portId,
      'iface-status': 'active',
      'attached-mac': p.mac,
      [OWNER_KEY]: this.o.owner.agent,
      [HOST_KEY]: this.o.owner.host,
      [RESOURCE_KEY]: p.key,
    };
  }

  private *owned(state: PlugState): Iterable<OvsInterfaceRow> {
    for (const r of state?.interfaces.values() ?? []) {
      if (r.externalIds[OWNER_KEY] === this.o.owner.agent && r.externalIds[HOST_KEY] === this.o.owner.host) yield r;
    }
  }

  private unplug(rows: OvsInterfaceRow[], key: string, rootLinks: ReadonlyMap<string, ActualLink>): Op[] {
    const ops: Op[] = [];
    for (const r of rows) {
      ops.push({ kind: 'ovs.vsctl', key, commands: [{ cmd: 'del-port', port: r.name, ifExists: true }] });
      // Normally gone with its namespace end; a root end left behind goes too.
      if (rootLinks.has(r.name)) ops.push({ kind: 'link.del', key, name: r.name });
    }
    return ops;
  }
}

function prefixed(ids: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(ids).map(([k, v]) => [`external_ids:${k}`, v]));
}
