/** What a command needs from the process, injectable so commands are testable in-process. */
import type { Style } from './style.js';

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  style: Style;
  now(): number;
}
