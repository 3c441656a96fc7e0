import type {AriRest} from '../../engine/ari/port.js'
import {originateSimCaller} from '../../engine/sim/simulator.js'
import {prng} from '../prng.js'

// Steady traffic for bench:failover: simulated callers (Local channels into the sandbox
// dialplan) arriving at random, `rate` a second on average (exponential gaps, seeded), each
// with the same long patience, for as long as the bench runs. Whichever engine leads
// serves them; the callers do not know an engine went.

export interface PlacedCaller {
  number: string
  /** Bench clock (ms) when it was placed. */
  at: number
  /** Asterisk refused the originate (the caller never existed). */
  error: string | null
}

export class SteadyCallers {
  readonly placed: PlacedCaller[] = []
  private running = false
  private loop: Promise<void> | null = null
  private readonly pending = new Set<Promise<void>>()

  constructor(
    private readonly rest: AriRest,
    private readonly o: {app: string; queue: string; rate: number; patienceS: number; seed: number; numberPrefix: string},
  ) {}

  start(): void {
    this.running = true
    this.loop = this.run()
  }

  /** Stops placing callers; resolves once every originate has been answered. */
  async stop(): Promise<void> {
    this.running = false
    await this.loop
    await Promise.all(this.pending)
  }

  private async run(): Promise<void> {
    const random = prng(this.o.seed)
    let next = Date.now()
    while (this.running) {
      next += (-Math.log(1 - random()) / this.o.rate) * 1000
      const wait = next - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      if (!this.running) break
      const c: PlacedCaller = {number: `+${this.o.numberPrefix}${String(this.placed.length).padStart(6, '0')}`, at: Date.now(), error: null}
      this.placed.push(c)
      const p = originateSimCaller(this.rest, {number: c.number, name: 'Failover', did: this.o.queue, patience: this.o.patienceS, app: this.o.app}).then(
        () => undefined,
        (err: unknown) => void (c.error = err instanceof Error ? err.message : String(err)),
      )
      this.pending.add(p)
      void p.finally(() => this.pending.delete(p))
    }
  }
}
