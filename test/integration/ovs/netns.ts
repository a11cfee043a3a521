/**
 * Throwaway namespaces for the real-OVS tests: per-run prefix `nto<4 hex>` (≤ 15 chars
 * with the suffix). `cleanup()` deletes only the namespaces this run named; call it
 * after stopping the OVS instances that run inside them.
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export class OvsNetns {
  readonly prefix = `nto${randomBytes(2).toString('hex')}`;
  private readonly made = new Set<string>();

  name(suffix: string): string {
    const n = `${this.prefix}${suffix}`;
    if (n.length > 15 || !/^[a-z0-9-]+$/.test(n)) throw new Error(`bad test netns name ${n}`);
    return n;
  }

  async add(suffix: string): Promise<string> {
    const n = this.name(suffix);
    this.made.add(n);
    await execa('ip', ['netns', 'add', n]);
    await execa('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    return n;
  }

  /** `ip -n NS …` */
  async ip(ns: string, args: string[]): Promise<string> {
    return (await execa('ip', ['-n', ns, ...args])).stdout;
  }

  /** `ip netns exec NS …` */
  async exec(ns: string, argv: string[], opts: { reject?: boolean } = {}): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
    const r = await execa('ip', ['netns', 'exec', ns, ...argv], { reject: opts.reject ?? true });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode };
  }

  static async exists(ns: string): Promise<boolean> {
    const { stdout } = await execa('ip', ['netns', 'list']);
    return stdout.split('\n').some((l) => l.split(' ')[0] === ns);
  }

  /**
   * Deletes this run's namespaces. Anything still running inside one was started by
   * this test (the OVS fixture, ping) and is killed by PID first.
   */
  async cleanup(): Promise<void> {
    for (const n of this.made) {
      const pids = await execa('ip', ['netns', 'pids', n], { reject: false });
      for (const p of String(pids.stdout).split('\n').filter(Boolean)) {
        try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
      }
      await execa('ip', ['netns', 'del', n], { reject: false });
    }
    this.made.clear();
  }
}
