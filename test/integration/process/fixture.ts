/**
 * Throwaway world for the process tests: namespaces `ntp<4 hex><suffix>`, a temp
 * directory, and a record of every PID the test saw started. `cleanup()` kills
 * those PIDs (only while their cmdline still names this run's temp dir or marker,
 * so a reused PID is never hit), then anything left inside the namespaces (ours by
 * construction), deletes the namespaces and the directory. Safe to call on failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export class ProcessFixture {
  readonly prefix = `ntp${randomBytes(2).toString('hex')}`;
  dir = '';
  private readonly namespaces = new Set<string>();
  private readonly pids = new Set<number>();

  async init(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `${this.prefix}-`));
  }

  /** Creates namespace `<prefix><suffix>` with lo up. */
  async netns(suffix: string): Promise<string> {
    const n = `${this.prefix}${suffix}`;
    if (n.length > 15) throw new Error(`fixture name too long: ${n}`);
    this.namespaces.add(n);
    await execa('ip', ['netns', 'add', n]);
    await execa('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    return n;
  }

  /** Remember a PID to kill at cleanup. */
  track(pid: number | undefined): void {
    if (pid !== undefined) this.pids.add(pid);
  }

  async cleanup(markers: readonly string[]): Promise<void> {
    const ours = [this.dir, ...markers].filter((m) => m !== '');
    for (const pid of this.pids) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (ours.some((m) => cmd.includes(m))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const n of this.namespaces) {
      const r = await execa('ip', ['netns', 'pids', n], { reject: false });
      for (const p of r.stdout.split('\n').filter(Boolean)) {
        try {
          process.kill(Number(p), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await execa('ip', ['netns', 'del', n], { reject: false });
    }
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }
}

/** Whether `pid` runs in network namespace `ns` (same nsfs inode). */
export async function inNetns(pid: number, ns: string): Promise<boolean> {
  const link = await readlink(`/proc/${pid}/ns/net`).catch(() => '');
  const ino = (await stat(`/run/netns/${ns}`)).ino;
  return link === `net:[${ino}]`;
}

/** Scheduler state letter of a PID, or undefined when /proc has no such PID. */
export async function procState(pid: number): Promise<string | undefined> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  return s === undefined ? undefined : /^State:\s*(\S)/m.exec(s)?.[1];
}

/** Gone or zombie. */
export async function isDead(pid: number): Promise<boolean> {
  const st = await procState(pid);
  return st === undefined || st === 'Z' || st === 'X';
}

/** Lines a pino logger wrote, parsed. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  write(chunk: string): void {
    for (const l of chunk.split('\n')) if (l.trim() !== '') this.lines.push(JSON.parse(l) as Record<string, unknown>);
  }
}
