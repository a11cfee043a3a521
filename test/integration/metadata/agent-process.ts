/**
 * Runs nucleon-metadata-agent on the host (it touches no kernel object: a unix
 * socket in a temp dir, RPC on a per-run control exchange) and keeps its log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { daemonArgv } from '../../harness/daemons.js';

export interface AgentRun {
  child: ChildProcess;
  lines: string[];
  json: Array<Record<string, unknown>>;
  count(msg: string): number;
  stop(): Promise<number | null>;
}

export function runMetadataAgent(files: string[]): AgentRun {
  const [cmd, ...args] = daemonArgv('metadata', files);
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const json: Array<Record<string, unknown>> = [];
  let partial = '';
  const take = (b: Buffer) => {
    const text = partial + b.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts.filter(Boolean)) {
      lines.push(l);
      if (l.startsWith('{')) { try { json.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not JSON */ } }
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const code = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  return {
    child, lines, json,
    count: (msg) => json.filter((l) => l['msg'] === msg).length,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const c = await code;
      clearTimeout(t);
      return c;
    },
  };
}
