/**
 * /proc helpers for the benchmarks: the process tree of a daemon (the process, its
 * descendants and its process group: Python's privsep daemons fork away from their
 * parent but stay in the agent's group) and the sum of its VmRSS.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcInfo { pid: number; ppid: number; pgrp: number }

/** Live (non-zombie) processes. */
export function procTable(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // fields after "(comm)": state ppid pgrp ...
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      out.push({ pid: Number(d), ppid: Number(rest[1]), pgrp: Number(rest[2]) });
    } catch { /* gone */ }
  }
  return out;
}

/** The process, its descendants and its process group's members (live ones). */
export function processTree(root: number): number[] {
  const table = procTable();
  const kids = new Map<number, number[]>();
  for (const p of table) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p.pid]);
  const set = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (set.has(p)) continue;
    if (table.some((t) => t.pid === p)) set.add(p);
    stack.push(...(kids.get(p) ?? []));
  }
  for (const p of table) if (p.pgrp === root) set.add(p.pid);
  return [...set];
}

export function vmRssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

export function treeRss(root: number): { rssKb: number; procs: number } {
  const pids = processTree(root);
  return { rssKb: pids.reduce((s, p) => s + vmRssKb(p), 0), procs: pids.length };
}

/** True while the process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}

/** The process's command line, NULs as spaces ('' when gone). */
export function cmdline(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; }
}

/** The pid in `file` if that process lives and its command line names `mark` (guards against PID reuse). */
export function livePid(file: string, mark: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 && pidAlive(pid) && cmdline(pid).includes(mark) ? pid : undefined;
  } catch { return undefined; }
}
