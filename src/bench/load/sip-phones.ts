import {fileURLToPath} from 'node:url'
import {join} from 'node:path'
import {addPhone, type PhoneContext} from '../../engine/phones/phones.js'
import {readPhoneSecret} from '../../engine/phones/phone-secret.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {startSipp, type Sipp, type SipAddress} from '../sip/sipp.js'
import type {BenchSandbox} from './sandbox.js'

// The agents' phones of bench:load --sip: PJSIP endpoints provisioned by the product's own
// addPhone (auth, AOR and endpoint pushed into astdb over ARI, a secret file per phone in
// the bench's CALLCTL_HOME, where the engine the bench starts finds it), registered by
// SIPp processes that each play up to PHONES_PER_PROCESS phones (bench-phones.xml with
// bench-agent.xml answering: see their notes). Both paths ring the same phones.
//
// A group of phones shares a talk time (SIPp's talk_ms is per process): the comparison's
// agents, the rate ladder's and the concurrency ladder's are separate groups, grown as a
// ladder needs more agents and ended when a phase is over.

/** Scenarios of the bench's own, next to this module's source (src/bench/sip/scenarios): the build does not copy XML. */
export const BENCH_SCENARIO_DIR = fileURLToPath(new URL('../../../src/bench/sip/scenarios/', import.meta.url))
const PHONES_PER_PROCESS = 50
/** CALLCTL_BENCH_SIP_TRACE=1 keeps every SIPp work directory with its messages (debugging a run). */
export const SIPP_TRACE = process.env.CALLCTL_BENCH_SIP_TRACE === '1' ? {traceMessages: true, keepDir: true} : {}
/** REGISTERs per second a process sends while its phones sign on (a real office's phones do not all boot at once either). */
const REGISTER_RATE = 50

export class PhoneGroup {
  readonly ids: string[] = []
  private readonly procs: Sipp[] = []

  constructor(
    private readonly sb: BenchSandbox,
    private readonly sip: SipAddress,
    /** Phone ids are <prefix>NNN. */
    private readonly prefix: string,
    /** How long each phone talks before it hangs up itself; 0 = until the caller hangs up. */
    readonly talkMs: number,
  ) {}

  /** At least `n` phones provisioned, registered and online in ARI. */
  async ensure(n: number): Promise<string[]> {
    const paths = callctlPaths({...process.env, CALLCTL_HOME: this.sb.home})
    while (this.ids.length < n) {
      const batch = Array.from({length: Math.min(PHONES_PER_PROCESS, n - this.ids.length)}, (_, i) => `${this.prefix}${String(this.ids.length + i + 1).padStart(3, '0')}`)
      // The product's own provisioning, into a store of the bench's (the engine runs get theirs).
      const store = new SqliteStore(join(this.sb.home, 'phones.db'))
      try {
        const ctx: PhoneContext = {store, paths, ari: () => this.sb.rest}
        for (const id of batch) {
          const r = await addPhone(ctx, {id})
          if (r.asterisk !== 'applied') throw new Error(`phone ${id} not pushed into Asterisk: ${r.asterisk} ${r.asteriskError ?? ''}`)
        }
      } finally {
        await store.close()
      }
      // UDP on a busy box loses a REGISTER now and then (one of 400 in a measured run):
      // the phones a process did not sign on get a process of their own, twice at most.
      let missing = batch
      for (let attempt = 0; missing.length > 0; attempt++) {
        if (attempt === 3) throw new Error(`${missing.length} bench phones did not register, e.g. ${missing[0]}`)
        const sipp = await this.register(missing, paths)
        try {
          await sipp.waitForLog(/^registered /, missing.length, 10_000 + missing.length * 100)
        } catch {
          // Some did not: the process keeps those that did (their contact is its port).
        }
        const done = new Set(sipp.log().flatMap((l) => /^registered (\S+)/.exec(l)?.[1] ?? []))
        missing = missing.filter((id) => !done.has(id))
      }
      this.ids.push(...batch)
    }
    await this.online(this.ids.slice(0, n))
    return this.ids.slice(0, n)
  }

  /** One SIPp process playing these phones (registering each once, then answering). */
  private async register(ids: string[], paths: ReturnType<typeof callctlPaths>): Promise<Sipp> {
    const sipp = await startSipp({
      scenario: join(BENCH_SCENARIO_DIR, 'bench-phones.xml'),
      outOfCallScenario: join(BENCH_SCENARIO_DIR, 'bench-agent.xml'),
      remote: this.sip,
      calls: ids.length,
      rate: REGISTER_RATE,
      limit: ids.length,
      injection: ids.map((id) => [id, `[authentication username=${id} password=${readPhoneSecret(paths, id)!}]`]),
      // 0 would end the call at once: "until the caller hangs up" is a day.
      vars: {expires: 7200, stay_ms: 86_400_000, talk_ms: this.talkMs > 0 ? this.talkMs : 86_400_000},
      ...SIPP_TRACE,
    })
    this.procs.push(sipp)
    return sipp
  }

  /** Waits until ARI shows every one of these phones online (registered and answering qualify). */
  private async online(ids: string[]): Promise<void> {
    const deadline = Date.now() + 20_000
    let waiting = ids
    while (waiting.length > 0) {
      const states = await Promise.all(waiting.map(async (id) => ((await this.sb.rest.getEndpoint('PJSIP', id)).state === 'online' ? null : id)))
      waiting = states.filter((id): id is string => id !== null)
      if (waiting.length === 0) return
      if (Date.now() > deadline) throw new Error(`${waiting.length} bench phones not online in ARI, e.g. ${waiting[0]}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /** Ends the group's SIPp processes (the contacts lapse with the sandbox). */
  async stop(): Promise<void> {
    await Promise.all(this.procs.map(async (p) => {
      await p.stop()
      p.cleanup()
    }))
    this.procs.length = 0
  }

  /** SIPp's own count of failed "calls" (registrations, answered calls, OPTIONS) in the group, for the report. */
  failedSoFar(): number {
    return this.procs.reduce((n, p) => n + (p.stats()?.failed ?? 0), 0)
  }
}
