/**
 * Parsing of `ip -force -batch -` / `bridge -force -batch -` stderr. Pure.
 *
 * With -force iproute2 keeps going after a failing line, prints the line's error
 * text and then `Command failed -:N` (N is the 1-based line number of stdin).
 * So the text between two markers belongs to the line named by the second marker.
 * Text after the last marker means the process died early: either it never read a
 * line (`Cannot open network namespace "X"`, exit 255) or a line called exit()
 * (`neigh replace` failures exit(2) even under -force).
 */
export interface ParsedBatchStderr {
  /** 1-based line number → that line's error text. */
  failed: Map<number, string>;
  /** Text after the last marker (empty when the batch ran to completion). */
  trailing: string;
  lastMarkedLine: number;
}

const MARKER = /^Command failed (?:-|\S+):(\d+)\s*$/;

export function parseBatchStderr(stderr: string): ParsedBatchStderr {
  const failed = new Map<number, string>();
  let block: string[] = [];
  let lastMarkedLine = 0;
  for (const line of stderr.split('\n')) {
    const m = MARKER.exec(line);
    if (m) {
      const n = Number(m[1]);
      failed.set(n, block.join('\n').trim());
      lastMarkedLine = Math.max(lastMarkedLine, n);
      block = [];
    } else if (line.trim() !== '') {
      block.push(line);
    }
  }
  return { failed, trailing: block.join('\n').trim(), lastMarkedLine };
}
