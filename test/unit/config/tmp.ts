/** Temp directories with real INI files for the config tests; removed afterwards. */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempFiles {
  readonly dir: string;
  /** Writes `content` to `dir/name` (sub-directories created) and returns the path. */
  write(name: string, content: string): string;
  cleanup(): void;
}

export function tempFiles(): TempFiles {
  const dir = mkdtempSync(join(tmpdir(), 'nucleon-config-'));
  return {
    dir,
    write(name, content) {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a fresh temp dir, always removed. */
export async function withTemp<T>(fn: (t: TempFiles) => T | Promise<T>): Promise<T> {
  const t = tempFiles();
  try {
    return await fn(t);
  } finally {
    t.cleanup();
  }
}
