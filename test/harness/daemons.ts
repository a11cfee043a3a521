/**
 * Runs nucleon daemons (dist/agents/<kind>/main.js) the way an operator would, with
 * Neutron INI files written per test, inside a TestNode namespace or on the host.
 */
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './neutron.js';
import type { SpawnedProcess, TestNode } from './node-netns.js';
import { waitFor } from './wait.js';

export type DaemonKind = 'linuxbridge' | 'ovs' | 'l3' | 'dhcp' | 'metadata';

export function daemonMain(kind: DaemonKind): string {
  return join(repoRoot(), 'dist', 'agents', kind, 'main.js');
}

/** A temp dir of INI files: `files.write('neutron.conf', {...})`, removed by `remove()`. */
export class ConfigDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'nucleon-test-conf-'));

  constructor() {
    // The state dir lives here too, and dnsmasq re-reads its files as `nobody`
    // after dropping privileges: mkdtemp's 0700 would hide them from it.
    chmodSync(this.dir, 0o755);
  }

  write(name: string, sections: Record<string, Record<string, string | number | boolean>>): string {
    const text = Object.entries(sections)
      .map(([section, opts]) => `[${section}]\n${Object.entries(opts).map(([k, v]) => `${k} = ${String(v)}`).join('\n')}\n`)
      .join('\n');
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /**
   * Ends the processes that the daemons under test left running on purpose (dnsmasq,
   * haproxy outlive an agent restart) and the files. They are recognised by this
   * per-test directory on their command line, so nothing else is ever signalled.
   */
  remove(): void {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmdline = '';
      try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
      if (Number(pid) !== process.pid && cmdline.includes(this.dir)) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function daemonArgv(kind: DaemonKind, configFiles: string[]): string[] {
  return ['node', '--enable-source-maps', daemonMain(kind), ...configFiles.flatMap((f) => ['--config-file', f])];
}

/** Starts a daemon inside the node's namespace; its JSON log lines land in `log.json`. */
export function startDaemon(node: TestNode, kind: DaemonKind, configFiles: string[], env?: NodeJS.ProcessEnv): SpawnedProcess {
  return node.spawnInside(daemonArgv(kind, configFiles), env);
}

/** Waits for a log line whose msg equals `msg` (pino JSON). */
export function waitForLog(p: SpawnedProcess, msg: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return waitFor(() => p.log.json.find((l) => l['msg'] === msg), { timeoutMs, intervalMs: 50, description: `log line "${msg}" (last lines: ${p.log.lines.slice(-5).join(' | ')})` });
}
