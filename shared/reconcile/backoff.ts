/** Per-key exponential backoff (workqueue's ItemExponentialFailureRateLimiter). */

export interface BackoffOptions {
  /** First delay. Default 100 ms. */
  baseMs?: number;
  /** Cap. Default 60 s. */
  maxMs?: number;
}

export interface KeyFailure {
  attempts: number;
  lastError: Error;
  /** Clock time before which the key is not retried by incremental applies. */
  notBefore: number;
}

export class KeyBackoff {
  private readonly base: number;
  private readonly max: number;
  private readonly failures = new Map<string, KeyFailure>();

  constructor(opts: BackoffOptions = {}) {
    this.base = opts.baseMs ?? 100;
    this.max = opts.maxMs ?? 60_000;
  }

  /** Delay after the n-th consecutive failure (n ≥ 1): base·2^(n-1), capped. */
  delayFor(attempts: number): number {
    return Math.min(this.max, this.base * 2 ** Math.min(attempts - 1, 30));
  }

  fail(key: string, err: Error, now: number): KeyFailure {
    const attempts = (this.failures.get(key)?.attempts ?? 0) + 1;
    const f = { attempts, lastError: err, notBefore: now + this.delayFor(attempts) };
    this.failures.set(key, f);
    return f;
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  get(key: string): KeyFailure | undefined {
    return this.failures.get(key);
  }

  ready(key: string, now: number): boolean {
    const f = this.failures.get(key);
    return !f || f.notBefore <= now;
  }

  entries(): IterableIterator<[string, KeyFailure]> {
    return this.failures.entries();
  }
}
