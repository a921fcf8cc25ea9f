/**
 * @module webhooks/deadline-heap
 * A binary min-heap of items ordered by a numeric deadline: O(log n) push and pop, O(1) peek at the
 * earliest. The webhook dispatcher keeps jobs waiting for a retry in one, so finding the next retry
 * never scans the queue (nor spreads it into `Math.min(...)`, which throws RangeError on large
 * arrays). Removal is lazy: the owner marks an item dead and {@link DeadlineHeap.compact}s when
 * dead items pile up.
 */
export class DeadlineHeap<T> {
  private items: T[] = [];

  constructor(private readonly deadline: (item: T) => number) {}

  /** Items held, dead ones included. */
  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    const key = this.deadline(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.deadline(items[parent]!) <= key) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  /** The item with the earliest deadline. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes and returns the item with the earliest deadline. */
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Keeps only the items for which `alive` is true (O(n)). */
  compact(alive: (item: T) => boolean): void {
    this.items = this.items.filter(alive);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[start]!;
    const key = this.deadline(item);
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.deadline(items[right]!) < this.deadline(items[left]!) ? right : left;
      if (this.deadline(items[child]!) >= key) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = item;
  }
}
