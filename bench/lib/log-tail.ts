/**
 * Following a Python agent's log file (oslo.log, appended by the agent) from a point on:
 * the benches take the agents' own marks from the lines written after a relaunch.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** Reads what a growing log file gained since the last call, in whole lines. */
export class LogTail {
  private offset: number;
  private partial = '';

  /** From the file's current end (or its start, when `fromStart`). */
  constructor(readonly file: string, fromStart = false) {
    this.offset = fromStart || !existsSync(file) ? 0 : statSync(file).size;
  }

  lines(): string[] {
    const size = existsSync(this.file) ? statSync(this.file).size : 0;
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try { readSync(fd, buf, 0, buf.length, this.offset); } finally { closeSync(fd); }
    this.offset = size;
    const lines = (this.partial + buf.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    return lines;
  }
}
