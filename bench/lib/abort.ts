/**
 * The abort mark of one bench run. SIGINT, SIGTERM and the watchdog set it (runBenchMain);
 * every loop of the bench and every step that creates something calls check(), so the run
 * stops creating within about one poll interval and goes on to its cleanup path.
 */
export class AbortFlag {
  private why: string | undefined;

  /** Why the run was aborted, undefined while it was not. */
  get reason(): string | undefined { return this.why; }

  get aborted(): boolean { return this.why !== undefined; }

  /** Marks the run aborted; false when it already was (the first reason is the one reported). */
  set(why: string): boolean {
    if (this.why !== undefined) return false;
    this.why = why;
    return true;
  }

  /** Throws once the run is aborted. An arrow property: handed out as a callback (`checkAbort`). */
  readonly check = (): void => {
    if (this.why !== undefined) throw new Error(`aborted (${this.why})`);
  };
}
