/** A small pool: at most `size` resources, created lazily, handed out in FIFO order. */
export class Pool<T> {
  private readonly idle: T[] = [];
  private readonly busy = new Set<T>();
  private readonly waiters: ((r: T) => void)[] = [];
  private created = 0;

  constructor(
    private readonly size: number,
    private readonly create: () => Promise<T>,
  ) {}

  async use<R>(fn: (r: T) => Promise<R>): Promise<R> {
    const r = await this.acquire();
    try {
      return await fn(r);
    } finally {
      this.release(r);
    }
  }

  private async acquire(): Promise<T> {
    const free = this.idle.pop();
    if (free !== undefined) {
      this.busy.add(free);
      return free;
    }
    if (this.created < this.size) {
      this.created++;
      try {
        const r = await this.create();
        this.busy.add(r);
        return r;
      } catch (e) {
        this.created--;
        throw e;
      }
    }
    return new Promise<T>((resolve) => this.waiters.push(resolve)).then((r) => {
      this.busy.add(r);
      return r;
    });
  }

  private release(r: T): void {
    this.busy.delete(r);
    const next = this.waiters.shift();
    if (next) next(r);
    else this.idle.push(r);
  }

  forEachBusy(fn: (r: T) => void): void {
    for (const r of this.busy) fn(r);
  }

  async drain(destroy: (r: T) => void | Promise<void>): Promise<void> {
    for (const r of [...this.idle, ...this.busy]) await destroy(r);
    this.idle.length = 0;
    this.busy.clear();
  }
}
