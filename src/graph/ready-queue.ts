/** Nodes ready to run, smallest priority first (a binary heap: O(log n) per push and pop). */
export class ReadyQueue {
  private readonly heap: string[] = [];
  constructor(private readonly priority: (id: string) => number) {}

  get size(): number {
    return this.heap.length;
  }

  push(id: string): void {
    const h = this.heap;
    h.push(id);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.priority(h[parent]!) <= this.priority(h[i]!)) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  shift(): string | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.priority(h[l]!) < this.priority(h[m]!)) m = l;
        if (r < h.length && this.priority(h[r]!) < this.priority(h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
