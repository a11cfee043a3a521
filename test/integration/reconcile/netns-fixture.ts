/**
 * Throwaway namespaces for real-kernel tests: per-run prefix `nct<4 hex>`, names
 * ≤ 15 chars, removed in `cleanup()` (killing their processes first) even when a
 * test failed. Nothing outside these namespaces is touched.
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export class NetnsFixture {
  readonly prefix = `nct${randomBytes(2).toString('hex')}`;
  private readonly created = new Set<string>();

  /** A namespace name for this run (not created). */
  name(suffix: string): string {
    const n = `${this.prefix}${suffix}`;
    if (n.length > 15) throw new Error(`fixture name too long: ${n}`);
    this.created.add(n);
    return n;
  }

  async add(suffix: string): Promise<string> {
    const n = this.name(suffix);
    await execa('ip', ['netns', 'add', n]);
    return n;
  }

  async cleanup(): Promise<void> {
    const existing = (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '');
    for (const n of existing) if (n.startsWith(this.prefix)) this.created.add(n);
    for (const n of this.created) {
      const pids = await execa('ip', ['netns', 'pids', n], { reject: false });
      for (const p of pids.stdout.split('\n').filter(Boolean)) await execa('kill', ['-9', p], { reject: false });
      await execa('ip', ['netns', 'del', n], { reject: false });
    }
  }
}

export async function ipJson<T>(netns: string, args: string[]): Promise<T> {
  const r = await execa('ip', ['-n', netns, '-json', ...args]);
  return JSON.parse(r.stdout || '[]') as T;
}

export interface JsonLink { ifname: string; flags: string[]; mtu: number; master?: string; address?: string; operstate?: string; linkinfo?: { info_kind?: string } }
export interface JsonAddr { ifname: string; addr_info: Array<{ local: string; prefixlen: number; family: string }> }
export interface JsonRoute { dst: string; gateway?: string; dev?: string; protocol?: string | number; metric?: number; table?: string }
