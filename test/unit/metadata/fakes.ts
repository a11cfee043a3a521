/** Stateful fakes for the metadata unit tests: a port table answering get_ports, a store that can go down, a log capture. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../../shared/logging/logger.js';
import type { PortFilters, PortRow, PortsApi } from '../../../agents/metadata/plugin-api.js';
import type { CacheStore } from '../../../agents/metadata/cache/store.js';

export interface TablePort extends PortRow { device_owner: string; ips: string[]; mac: string }

export class PortTable implements PortsApi {
  readonly calls: PortFilters[] = [];
  /** Resolves each call after this many ms (to overlap concurrent lookups). */
  delayMs = 0;

  constructor(public ports: TablePort[]) {}

  async getPorts(f: PortFilters): Promise<PortRow[]> {
    this.calls.push(f);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.ports.filter((p) => {
      if ('device_id' in f) return f.device_id.includes(p.device_id) && f.device_owner.includes(p.device_owner);
      if (!f.network_id.includes(p.network_id)) return false;
      return 'mac_address' in f ? f.mac_address.includes(p.mac) : p.ips.some((ip) => f.fixed_ips.ip_address.includes(ip));
    }).map((p) => ({ device_id: p.device_id, tenant_id: p.tenant_id, network_id: p.network_id }));
  }
}

/** A store whose backend can be switched off: commands reject, availability events fire. */
export class SwitchableStore implements CacheStore {
  readonly kind = 'redis' as const;
  readonly data = new Map<string, string>();
  up = true;
  /** Commands reject even though the connection looks up (a timeout). */
  failCommands = false;
  private readonly listeners: Array<(up: boolean) => void> = [];
  gets = 0;

  async get(key: string): Promise<string | undefined> {
    this.gets++;
    if (!this.up || this.failCommands) throw new Error('redis: connection lost');
    return this.data.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    if (!this.up || this.failCommands) throw new Error('redis: connection lost');
    this.data.set(key, value);
  }

  available(): boolean { return this.up; }
  onAvailability(fn: (up: boolean) => void): void { this.listeners.push(fn); }
  setUp(up: boolean): void { this.up = up; for (const l of this.listeners) l(up); }
  async close(): Promise<void> { /* nothing */ }
}

export function captureLogs(): { logger: Logger; lines: Array<Record<string, unknown>>; count(msg: string): number } {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines, count: (msg) => lines.filter((l) => l['msg'] === msg).length };
}
