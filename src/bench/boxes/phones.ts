import {join} from 'node:path'
import {addPhone, applyAllPhones, type PhoneContext} from '../../engine/phones/phones.js'
import {readPhoneSecret} from '../../engine/phones/phone-secret.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {BENCH_SCENARIO_DIR, SIPP_TRACE} from '../load/sip-phones.js'
import {startSipp, type Sipp} from '../sip/sipp.js'
import type {BoxesSetup} from './setup.js'

// The agents' phones of bench:boxes: provisioned by the product's addPhone (into box1) and
// pushed to every other box as the engine does (applyAllPhones), so a phone may register
// wherever the proxy pins it; registered by SIPp processes of up to PHONES_PER_PROCESS
// phones each (bench-phones-refresh.xml, answering with bench-agent.xml), which register
// again every refreshS, on both setups alike. Where each phone registered is read from
// ARI: online on one box.

const PHONES_PER_PROCESS = 50
/**
 * Phones a process signs on per second. Their refreshes keep that spacing, so a slow one
 * spreads a process's rounds over a second or more rather than bursting them at once: 25
 * phones in half a second every 6 s got REGISTERs answered after over a second on a loaded
 * box, and phones let their registration lapse.
 */
const REGISTER_RATE = 10

export class BoxPhones {
  readonly ids: string[] = []
  /** Phone id → the box ARI says it is online on. */
  readonly boxOf = new Map<string, string>()
  private readonly procs: Sipp[] = []

  constructor(
    private readonly setup: BoxesSetup,
    /** Phone ids are <prefix>NNN. */
    private readonly prefix: string,
    /** How long each phone talks before it hangs up itself. */
    readonly talkMs: number,
  ) {}

  /** At least `n` phones provisioned on every box, registered, and online on one box each. */
  async ensure(n: number): Promise<string[]> {
    const paths = callctlPaths({...process.env, CALLCTL_HOME: this.setup.home})
    const [box1, ...others] = this.setup.boxes
    while (this.ids.length < n) {
      const batch = Array.from({length: Math.min(PHONES_PER_PROCESS, n - this.ids.length)}, (_, i) => `${this.prefix}${String(this.ids.length + i + 1).padStart(3, '0')}`)
      const store = new SqliteStore(join(this.setup.home, 'phones.db'))
      try {
        const ctx: PhoneContext = {store, paths, ari: () => box1!.rest}
        for (const id of batch) {
          const r = await addPhone(ctx, {id})
          if (r.asterisk !== 'applied') throw new Error(`phone ${id} not pushed into ${box1!.name}: ${r.asterisk} ${r.asteriskError ?? ''}`)
          for (const b of others) {
            const o = await applyAllPhones(store, paths, b.rest, id)
            if (o.applied !== 1) throw new Error(`phone ${id} not pushed into ${b.name}: ${o.failed[0]?.error ?? 'not applied'}`)
          }
        }
      } finally {
        await store.close()
      }
      // A REGISTER lost on a busy machine: the phones a process did not sign on get a process of their own, twice at most.
      let missing = batch
      for (let attempt = 0; missing.length > 0; attempt++) {
        if (attempt === 3) throw new Error(`${missing.length} bench phones did not register through ${this.setup.registrar.host}:${this.setup.registrar.port}, e.g. ${missing[0]}`)
        const sipp = await this.register(missing, paths)
        try {
          await sipp.waitForLog(/^registered /, missing.length, 10_000 + missing.length * 100)
        } catch {
          // Some did not; those that did stay with this process.
        }
        const done = new Set(sipp.log().flatMap((l) => /^registered (\S+)/.exec(l)?.[1] ?? []))
        missing = missing.filter((id) => !done.has(id))
      }
      this.ids.push(...batch)
    }
    await this.online(this.ids.slice(0, n))
    return this.ids.slice(0, n)
  }

  /** Phones of `ids` by the box they are registered on. */
  byBox(ids: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {}
    for (const id of ids) {
      const b = this.boxOf.get(id) ?? '?'
      out[b] = (out[b] ?? 0) + 1
    }
    return out
  }

  private async register(ids: string[], paths: ReturnType<typeof callctlPaths>): Promise<Sipp> {
    // Again well before the registration runs out, even on a loaded machine.
    const refreshMs = Math.max(2000, Math.round(this.setup.registrationS * 600))
    const sipp = await startSipp({
      scenario: join(BENCH_SCENARIO_DIR, 'bench-phones-refresh.xml'),
      outOfCallScenario: join(BENCH_SCENARIO_DIR, 'bench-agent.xml'),
      remote: this.setup.registrar,
      calls: ids.length,
      rate: REGISTER_RATE,
      limit: ids.length,
      injection: ids.map((id) => [id, `[authentication username=${id} password=${readPhoneSecret(paths, id)!}]`]),
      vars: {expires: this.setup.registrationS, refresh_ms: refreshMs, talk_ms: this.talkMs},
      ...SIPP_TRACE,
    })
    this.procs.push(sipp)
    return sipp
  }

  /** Waits until ARI shows each phone online on a box (registered, answering qualify), and notes which. */
  private async online(ids: string[]): Promise<void> {
    const missing = await this.waitOnline(ids, 20_000)
    if (missing.length > 0) throw new Error(`${missing.length} bench phones not online on exactly one box in ARI, e.g. ${missing[0]}`)
  }

  /** The phones of `ids` not online on exactly one box after `ms`; those that are have their box noted. */
  private async waitOnline(ids: readonly string[], ms: number): Promise<string[]> {
    const deadline = Date.now() + ms
    let waiting = [...ids]
    for (;;) {
      const next: string[] = []
      for (const id of waiting) {
        const on: string[] = []
        for (const b of this.setup.boxes) if ((await b.rest.getEndpoint('PJSIP', id).catch(() => null))?.state === 'online') on.push(b.name)
        if (on.length === 1) this.boxOf.set(id, on[0]!)
        else next.push(id)
      }
      waiting = next
      if (waiting.length === 0 || Date.now() > deadline) return waiting
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /**
   * Before a run: every phone of `ids` online. A phone an overloaded run knocked off (its
   * registration lapsed, or qualify found it unreachable) is given a new SIPp process if it
   * is not back within a few seconds.
   */
  async ready(ids: readonly string[]): Promise<void> {
    const off = await this.waitOnline(ids, 3_000)
    if (off.length === 0) return
    await this.register(off, callctlPaths({...process.env, CALLCTL_HOME: this.setup.home}))
    await this.online(off)
  }

  /** Where each phone is registered now (a phone may move if its box fails): read ARI again. */
  async locate(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      for (const b of this.setup.boxes) if ((await b.rest.getEndpoint('PJSIP', id)).state === 'online') this.boxOf.set(id, b.name)
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        await p.stop()
        p.cleanup()
      }),
    )
    this.procs.length = 0
  }
}
