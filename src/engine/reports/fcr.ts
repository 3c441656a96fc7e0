import {fcrVerdict, type FcrVerdict} from './metrics.js'

// First-contact resolution over many contacts (its definition: metrics.ts). Each contact
// needs the same customer's next call or reopen, so contacts are grouped by customer; a
// week of a busy center is a million customers, more than a report's worker may hold as
// strings and arrays (its heap is 64 MB). Each customer is kept as a 53-bit hash of its
// key in typed arrays (outside the heap), grouped by a counting sort on the hash's low
// bits. Two customers share a hash with a chance of about 1 in 10^4 per million customers
// (n^2 / 2^54); the cost of that is one contact judged repeated that was not.

/** An FNV-1a hash of the key, 53 bits (two 32-bit passes with different offsets). */
function hash53(s: string): number {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) >>> 0
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0
  }
  return (b & 0x1fffff) * 0x100000000 + a
}

const ANSWERED = 1
const INBOUND = 2
const REOPEN = 4

export class FcrCollector {
  private n = 0
  private hash = new Float64Array(1 << 12)
  private at = new Float64Array(1 << 12)
  private flags = new Uint8Array(1 << 12)
  private queue = new Int32Array(1 << 12)
  private agent = new Int32Array(1 << 12)
  readonly queues: string[] = []
  readonly agents: string[] = []
  private readonly queueIds = new Map<string, number>()
  private readonly agentIds = new Map<string, number>()

  /** A call: a contact to judge when answered and inbound, a repeat of earlier ones when inbound. Anonymous ('' customer) answered calls are counted apart. */
  add(at: number, customer: string, answered: boolean, inbound: boolean, queue: string, agent: string | null): void {
    if (!inbound) return
    this.push(at, customer === '' ? -1 : hash53(customer), (answered ? ANSWERED : 0) | INBOUND, this.id(this.queueIds, this.queues, queue), agent === null ? -1 : this.id(this.agentIds, this.agents, agent))
  }

  /** A ticket of the customer's reopened: a repeat of their contacts before it. */
  reopen(at: number, customer: string): void {
    if (customer !== '') this.push(at, hash53(customer), REOPEN, -1, -1)
  }

  /**
   * Each answered inbound contact in [from, to) with its verdict, its queue ('' none) and
   * agent (null none). The collector holds every inbound call and reopen up to to + window.
   */
  judge(o: {from: number; to: number; now: number; windowMs: number}, each: (at: number, queue: string, agent: string | null, verdict: FcrVerdict) => void): void {
    const order = this.groupByCustomer()
    const {hash, at, flags} = this
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!
      const f = flags[i]!
      if (!(f & ANSWERED) || at[i]! < o.from || at[i]! >= o.to) continue
      const q = this.queue[i]!
      const queue = q < 0 ? '' : this.queues[q]!
      const agent = this.agent[i]! < 0 ? null : this.agents[this.agent[i]!]!
      if (hash[i]! < 0) {
        each(at[i]!, queue, agent, 'anonymous')
        continue
      }
      // The group is in time order: the next later entry of the same customer.
      let next: number | null = null
      for (let m = k + 1; m < order.length && hash[order[m]!] === hash[i]; m++) {
        if (at[order[m]!]! > at[i]!) {
          next = at[order[m]!]!
          break
        }
      }
      each(at[i]!, queue, agent, fcrVerdict(at[i]!, next, o))
    }
  }

  /** Entry indexes grouped by customer hash, each group in time order. */
  private groupByCustomer(): Uint32Array {
    const n = this.n
    const bits = Math.max(4, Math.min(22, Math.ceil(Math.log2(n + 1))))
    const mask = (1 << bits) - 1
    const starts = new Uint32Array((1 << bits) + 1)
    const low = (i: number) => (this.hash[i]! < 0 ? 0 : this.hash[i]! % 0x100000000 & mask)
    for (let i = 0; i < n; i++) starts[low(i) + 1]!++
    for (let b = 0; b < 1 << bits; b++) starts[b + 1]! += starts[b]!
    const fill = starts.slice()
    const order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[fill[low(i)]!++] = i
    // Within a bucket (a few entries on average): by hash, then time; insertion sort, or
    // a sort for a large one (a customer who called a thousand times, anonymous callers).
    const less = (x: number, y: number) => this.hash[x]! < this.hash[y]! || (this.hash[x] === this.hash[y] && this.at[x]! < this.at[y]!)
    for (let b = 0; b < 1 << bits; b++) {
      if (starts[b + 1]! - starts[b]! > 32) {
        order.set(Array.from(order.subarray(starts[b]!, starts[b + 1]!)).sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0)), starts[b]!)
        continue
      }
      for (let k = starts[b]! + 1; k < starts[b + 1]!; k++) {
        const v = order[k]!
        let m = k
        while (m > starts[b]! && less(v, order[m - 1]!)) {
          order[m] = order[m - 1]!
          m--
        }
        order[m] = v
      }
    }
    return order
  }

  private id(ids: Map<string, number>, names: string[], name: string): number {
    let id = ids.get(name)
    if (id === undefined) {
      id = names.length
      names.push(name)
      ids.set(name, id)
    }
    return id
  }

  private push(at: number, hash: number, flags: number, queue: number, agent: number): void {
    if (this.n === this.at.length) {
      const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2)
        b.set(a)
        return b
      }
      this.hash = grow(this.hash)
      this.at = grow(this.at)
      this.flags = grow(this.flags)
      this.queue = grow(this.queue)
      this.agent = grow(this.agent)
    }
    const i = this.n++
    this.hash[i] = hash
    this.at[i] = at
    this.flags[i] = flags
    this.queue[i] = queue
    this.agent[i] = agent
  }
}
