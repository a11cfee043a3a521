/**
 * Where `nucleon logs` reads from: `--file F` (`-` for stdin), else the journal of
 * the nucleon units through `journalctl -o cat` (the message only: pino's JSON).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createReadStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';

export function onPath(cmd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next directory
    }
  }
  return undefined;
}

export interface JournalQuery {
  /** Daemon name (unit = `<daemon>.service`); unset: every nucleon unit. */
  daemon?: string;
  /** Epoch ms; journalctl reads `@<seconds>` as an absolute time. */
  since?: number;
  follow?: boolean;
}

export function journalctlArgs(q: JournalQuery): string[] {
  const args = ['-o', 'cat', '--no-pager', '-u', q.daemon ? `${q.daemon}.service` : 'nucleon-*-agent.service'];
  if (q.since !== undefined) args.push('--since', `@${Math.floor(q.since / 1000)}`);
  if (q.follow) args.push('--follow');
  return args;
}

export type LogSource = { stream: Readable; child?: ChildProcess; describe: string };

/** Throws with an operator-readable message when there is nothing to read. */
export function openLogSource(file: string | undefined, q: JournalQuery): LogSource {
  if (file === '-') return { stream: process.stdin, describe: 'stdin' };
  if (file) {
    if (q.follow) throw new Error('--follow works with the journal only, not with --file');
    return { stream: createReadStream(file, { encoding: 'utf8' }), describe: file };
  }
  const journalctl = onPath('journalctl');
  if (!journalctl) throw new Error('no --file given and journalctl is not on the PATH; use --file F (or --file - for stdin)');
  const child = spawn(journalctl, journalctlArgs(q), { stdio: ['ignore', 'pipe', 'inherit'] });
  if (!child.stdout) throw new Error('journalctl gave no output stream');
  return { stream: child.stdout, child, describe: `journalctl ${journalctlArgs(q).join(' ')}` };
}
