/**
 * A per-client request budget: at most `limit` requests per window per client address
 * (a fixed window, so memory is one counter per active client). 0 means unlimited.
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    readonly limit: number,
    private readonly windowMs: number = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; returns the seconds to wait when over budget, else undefined. */
  take(client: string): number | undefined {
    if (this.limit <= 0) return undefined;
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.counts = new Map();
    }
    const n = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, n);
    return n > this.limit ? Math.max(1, Math.ceil((this.windowStart + this.windowMs - t) / 1000)) : undefined;
  }
}
