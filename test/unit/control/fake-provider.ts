/** A ControlProvider whose answers the test sets, recording resync calls. */
import type { ControlProvider, DiffEntry, HealthReport } from '../../../shared/control/provider.js';

export class FakeProvider implements ControlProvider {
  agentType = 'DHCP agent';
  host = 'node-1';
  daemon = 'nucleon-dhcp-agent';
  statusExtras: Record<string, unknown> = { networks: 2, ports: 5 };
  healthReport: HealthReport = { state: 'ok', failing: [] };
  ops: DiffEntry[] = [];
  traces = new Map<string, Record<string, unknown>>();
  resyncs: string[] = [];
  throwIn: 'status' | 'health' | 'diff' | 'trace' | undefined;
  diffDelayMs = 0;
  diff?: () => Promise<DiffEntry[]> = async () => {
    if (this.throwIn === 'diff') throw new Error('kernel read failed');
    if (this.diffDelayMs) await new Promise((r) => setTimeout(r, this.diffDelayMs));
    return this.ops;
  };
  trace?: (id: string) => Promise<Record<string, unknown>> = async (id) => {
    if (this.throwIn === 'trace') throw new Error('trace failed');
    return this.traces.get(id) ?? {};
  };

  status(): Record<string, unknown> {
    if (this.throwIn === 'status') throw new Error('status failed');
    return this.statusExtras;
  }

  health(): HealthReport {
    if (this.throwIn === 'health') throw new Error('health failed');
    return this.healthReport;
  }

  resync(reason: string): void {
    this.resyncs.push(reason);
  }
}
