/**
 * What the port-wiring benches (linuxbridge, ovs) create and must remove on every path, with
 * the calls that create it: one VXLAN network whose subnet has no DHCP (a port goes ACTIVE on
 * the L2 agent's report alone), "VM" ports bound to a side's host, and the bench's VM
 * namespaces. Each is recorded as soon as it exists, so the cleanup (normal end, failure,
 * abort, wind-down) deletes exactly what is left.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { api, apiDelete, deleteAgentRows } from './api.js';
import { mapLimit, sleep } from './util.js';

const run = promisify(execFile);

/** A side as the cleanup sees it. */
export interface WiringSide {
  readonly label: string;
  readonly host: string;
  /** stops the side's agents and removes its node (idempotent) */
  teardown(): Promise<void>;
}

export interface WiringRunOptions {
  networkName: string;
  cidr: string;
  project: string;
  /** API calls in flight at most when creating or deleting ports */
  concurrency: number;
  checkAbort: () => void;
}

export class WiringRun {
  private networkId: string | undefined;
  private readonly ports = new Set<string>();
  private readonly vmNamespaces = new Set<string>();

  constructor(private readonly o: WiringRunOptions) {}

  /** The network and its subnet; created once, before the sides (both use it). */
  async createNetwork(): Promise<void> {
    const net = await api<{ network: { id: string } }>('/networks', 'POST', {
      network: { name: this.o.networkName, project_id: this.o.project, 'provider:network_type': 'vxlan' },
    });
    this.networkId = net.network.id;
    await api('/subnets', 'POST', {
      subnet: { network_id: this.networkId, ip_version: 4, cidr: this.o.cidr, enable_dhcp: false, gateway_ip: null, project_id: this.o.project },
    });
  }

  /** The network's id (createNetwork ran before either side). */
  get network(): string {
    if (this.networkId === undefined) throw new Error('no network: the bench set-up did not run');
    return this.networkId;
  }

  /** POST /ports `count` times on the network (`body(i)` adds the i-th port's fields), at most `concurrency` in flight. */
  createPorts<P extends { id: string }>(count: number, body: (i: number) => Record<string, unknown>): Promise<P[]> {
    const net = this.network;
    return mapLimit(Array.from({ length: count }, (_, i) => i), this.o.concurrency, async (i) => {
      this.o.checkAbort();
      const p = await api<{ port: P }>('/ports', 'POST', { port: { network_id: net, project_id: this.o.project, ...body(i) } });
      this.ports.add(p.port.id);
      return p.port;
    });
  }

  /** DELETE these ports (already gone counts as deleted); a failed one stays recorded. */
  async deletePorts(ids: string[]): Promise<void> {
    await mapLimit(ids, this.o.concurrency, async (id) => { if (await apiDelete(`/ports/${id}`)) this.ports.delete(id); });
  }

  /**
   * Polls `GET /ports?network_id=<net>` every `pollMs` until every id is ACTIVE or `until`;
   * returns port id -> ms from t0 to the answer that first showed it ACTIVE. Throws when the
   * agent is gone (`failed`) or the run is aborted; an API hiccup is just a missed poll.
   */
  async waitActive(ids: string[], t0: number, until: number, pollMs: number, failed: () => string | undefined): Promise<Map<string, number>> {
    const want = new Set(ids);
    const seen = new Map<string, number>();
    while (seen.size < want.size && Date.now() < until) {
      this.o.checkAbort();
      const why = failed();
      if (why) throw new Error(why);
      const t = Date.now();
      try {
        const r = await api<{ ports: Array<{ id: string; status: string }> }>(`/ports?network_id=${this.network}&fields=id&fields=status`, 'GET', undefined, 5000);
        const now = Date.now();
        for (const p of r.ports) if (want.has(p.id) && p.status === 'ACTIVE' && !seen.has(p.id)) seen.set(p.id, now - t0);
      } catch { /* API hiccup: next poll */ }
      await sleep(Math.max(0, pollMs - (Date.now() - t)));
    }
    return seen;
  }

  /** `ip netns add`, recorded for the cleanup. */
  async addVmNamespace(ns: string): Promise<void> {
    this.o.checkAbort();
    await run('ip', ['netns', 'add', ns]);
    this.vmNamespaces.add(ns);
  }

  private async deleteVmNamespace(ns: string): Promise<void> {
    if (this.vmNamespaces.delete(ns)) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }

  /** After a side (also a failed one): its agents stopped, every port left deleted, its VM namespaces and agent rows gone. */
  async teardownSide(side: WiringSide, vmNamespaces: string[]): Promise<void> {
    await side.teardown().catch((e: unknown) => console.error(`${side.label} teardown: ${String(e)}`));
    await this.deletePorts([...this.ports]);
    for (const ns of vmNamespaces) await this.deleteVmNamespace(ns);
    await deleteAgentRows([side.host]);
  }

  /** The run's cleanup: both sides' teardown, then ports, VM namespaces, the network, the hosts' agent rows; what is left is printed. */
  async cleanup(sides: WiringSide[]): Promise<void> {
    for (const side of sides) await side.teardown().catch((e: unknown) => console.error(`${side.label} cleanup: ${String(e)}`));
    await this.deletePorts([...this.ports]);
    for (const ns of [...this.vmNamespaces]) await this.deleteVmNamespace(ns);
    if (this.networkId !== undefined && (await apiDelete(`/networks/${this.networkId}`))) this.networkId = undefined;
    await deleteAgentRows(sides.map((s) => s.host));
    if (this.ports.size > 0 || this.networkId !== undefined) console.error(`left behind: ports ${[...this.ports].join(' ')} network ${this.networkId ?? '-'}`);
  }
}
