/**
 * Shared inputs for the interface-driver unit tests: one DHCP-like namespace port,
 * links as `ip -json link` reads them, an OVSDB state as the OVS driver reads it, and
 * a command runner that records argv and answers from a table.
 */
import type { ActualLink } from '../../../shared/drivers/ip-links.js';
import type { CommandRunner, RunOptions, RunResult } from '../../../shared/exec/command-runner.js';
import { CommandError } from '../../../shared/exec/errors.js';
import { OvsInterfaceDriver, type IntegrationBridgeState, type NsPort, type OvsInterfaceRow } from '../../../shared/drivers/interface-driver/index.js';

export const PORT_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';
export const NET = '5a1b2c3d-0000-4000-8000-00000000000a';
export const KEY = `network:${NET}`;
export const NETNS = `qdhcp-${NET}`;
export const TAP = 'tapc0ffee00-12';
export const DEV = 'ns-c0ffee00-12';
export const MAC = 'fa:16:3e:aa:bb:cc';
export const HOST = 'node-1';

export const port = (o: Partial<NsPort> = {}): NsPort => ({ key: KEY, portId: PORT_ID, mac: MAC, mtu: 1450, netns: NETNS, device: DEV, tap: TAP, ...o });

export const link = (name: string, o: Partial<ActualLink> = {}): ActualLink =>
  ({ name, index: 1, kind: 'veth', up: true, mtu: 1450, mac: MAC, master: undefined, ...o });

/** The external_ids the OVS driver writes for {@link port}. */
export const IDS: Record<string, string> = {
  'iface-id': PORT_ID,
  'iface-status': 'active',
  'attached-mac': MAC,
  'nucleon-owner': 'dhcp',
  'nucleon-host': HOST,
  'nucleon-resource': KEY,
};

export const row = (name: string, externalIds: Record<string, string>, onBridge = true): OvsInterfaceRow => ({ name, onBridge, externalIds });

export function bridge(rows: OvsInterfaceRow[], o: Partial<IntegrationBridgeState> = {}): IntegrationBridgeState {
  return { bridge: 'br-int', exists: true, datapathType: 'netdev', interfaces: new Map(rows.map((r) => [r.name, r])), ...o };
}

/** Records every argv; answers with the first matching reply, else exit 0 and no output. */
export class TableRunner implements CommandRunner {
  readonly calls: Array<{ argv: string[]; netns?: string }> = [];
  constructor(private readonly replies: Array<{ match: (argv: readonly string[]) => boolean; stdout?: string; fail?: string }> = []) {}
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ argv: [...argv], ...(opts.netns !== undefined ? { netns: opts.netns } : {}) });
    const r = this.replies.find((x) => x.match(argv));
    if (r?.fail !== undefined) throw new CommandError({ argv, exitCode: 1, stdout: '', stderr: r.fail, timedOut: false });
    return { stdout: r?.stdout ?? '', stderr: '', exitCode: 0, durationMs: 0 };
  }
}

export function ovsDriver(o: { runner?: CommandRunner; datapathType?: string; ipv6?: boolean; agent?: string; host?: string } = {}): OvsInterfaceDriver {
  return new OvsInterfaceDriver({
    runner: o.runner ?? new TableRunner(),
    integrationBridge: 'br-int',
    ovsdbConnection: 'unix:/run/openvswitch/db.sock',
    ovsdbTimeoutSec: 10,
    datapathType: o.datapathType ?? 'system',
    owner: { agent: o.agent ?? 'dhcp', host: o.host ?? HOST },
    ipv6: o.ipv6 ?? true,
  });
}
