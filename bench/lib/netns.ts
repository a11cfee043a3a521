/**
 * Network namespaces the agents create for the benches' networks and routers (qdhcp-*,
 * qrouter-*): removing them as a node reboot would, before a start-up measurement and
 * in the cleanup.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const netnsExists = (ns: string) => existsSync(join('/run/netns', ns));

/**
 * Deletes each namespace after SIGKILL to what still runs inside (only daemons the agent
 * started for that network or router can be there). Missing ones are skipped; returns how
 * many were deleted.
 */
export async function deleteNamespaces(names: Iterable<string>): Promise<number> {
  let n = 0;
  for (const ns of names) {
    if (!netnsExists(ns)) continue;
    const pids = await run('ip', ['netns', 'pids', ns]).then((o) => o.stdout.split('\n').filter(Boolean).map(Number), () => [] as number[]);
    for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    if (await run('ip', ['netns', 'del', ns]).then(() => true, () => false)) n++;
  }
  return n;
}
