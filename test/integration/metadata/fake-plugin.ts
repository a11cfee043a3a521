/**
 * A fake neutron-server for the metadata agent: get_ports (MetadataRpcCallback
 * 1.0) over a per-run control exchange, answering from a list of ports with the
 * filters the agent sends (device_id + device_owner, network_id + fixed_ips
 * ip_address or mac_address). Every call's filters are recorded.
 */
import type { Logger } from '../../../shared/logging/logger.js';
import { OsloConnection, OsloRpcServer } from '../../../shared/rpc/index.js';

export interface FakePort { id: string; device_id: string; device_owner: string; network_id: string; tenant_id: string; mac_address: string; ips: string[] }

export type Filters = Record<string, unknown>;

const list = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);

export function matchPorts(ports: readonly FakePort[], f: Filters): FakePort[] {
  const dev = list(f['device_id']);
  const owner = list(f['device_owner']);
  const net = list(f['network_id']);
  const mac = list(f['mac_address']);
  const ip = list((f['fixed_ips'] as Record<string, unknown> | undefined)?.['ip_address']);
  return ports.filter((p) => (!dev || dev.includes(p.device_id)) && (!owner || owner.includes(p.device_owner))
    && (!net || net.includes(p.network_id)) && (!mac || mac.includes(p.mac_address)) && (!ip || p.ips.some((a) => ip.includes(a))));
}

export class FakePlugin {
  readonly calls: Array<{ filters: Filters; version: string | undefined }> = [];
  private conn: OsloConnection | undefined;
  private server: OsloRpcServer | undefined;
  queues: string[] = [];

  constructor(readonly ports: FakePort[]) {}

  async start(o: { transportUrl: string; exchange: string; logger: Logger }): Promise<void> {
    this.conn = new OsloConnection({ transportUrl: o.transportUrl, controlExchange: o.exchange, logger: o.logger, connectionName: 'fake-q-plugin' });
    this.conn.start();
    await this.conn.waitConnected(10_000);
    this.server = new OsloRpcServer(this.conn, {
      topic: 'q-plugin', server: 'fake-server', logger: o.logger,
      endpoints: [{
        version: '1.0',
        methods: {
          get_ports: (_ctx, args) => {
            const filters = (args['filters'] ?? {}) as Filters;
            this.calls.push({ filters, version: undefined });
            return matchPorts(this.ports, filters).map((p) => ({
              id: p.id, device_id: p.device_id, device_owner: p.device_owner, network_id: p.network_id, tenant_id: p.tenant_id, project_id: p.tenant_id,
              mac_address: p.mac_address, fixed_ips: p.ips.map((ip_address) => ({ subnet_id: 'x', ip_address })),
            }));
          },
        },
      }],
    });
    await this.server.start();
    this.queues = [...this.server.queues];
  }

  /** get_ports calls whose filters mention this address or device id. */
  callsFor(needle: string): number {
    return this.calls.filter((c) => JSON.stringify(c.filters).includes(needle)).length;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.conn?.close();
  }
}
