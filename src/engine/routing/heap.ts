/**
 * A binary heap that also removes any element in O(log n), for waiting lines where
 * callers leave from the middle (abandon, answered elsewhere). Elements carry their
 * own slot so lookups need no map.
 */
export interface HeapItem {
  heapIndex: number
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = []

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    item.heapIndex = this.items.length
    this.items.push(item)
    this.up(item.heapIndex)
  }

  pop(): T | undefined {
    const top = this.items[0]
    if (top) this.remove(top)
    return top
  }

  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item
  }

  remove(item: T): boolean {
    if (!this.has(item)) return false
    const i = item.heapIndex
    const last = this.items.pop()!
    item.heapIndex = -1
    if (i < this.items.length) {
      this.items[i] = last
      last.heapIndex = i
      this.up(i)
      this.down(last.heapIndex)
    }
    return true
  }

  /** Re-place an item whose ordering key changed. */
  update(item: T): void {
    if (!this.has(item)) return
    this.up(item.heapIndex)
    this.down(item.heapIndex)
  }

  values(): readonly T[] {
    return this.items
  }

  private up(i: number): void {
    const items = this.items
    const item = items[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = items[p]!
      if (!this.before(item, parent)) break
      items[i] = parent
      parent.heapIndex = i
      i = p
    }
    items[i] = item
    item.heapIndex = i
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    const item = items[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && this.before(items[r]!, items[l]!) ? r : l
      const child = items[c]!
      if (!this.before(child, item)) break
      items[i] = child
      child.heapIndex = i
      i = c
    }
    items[i] = item
    item.heapIndex = i
  }
}
