// The agents' phones of bench:presence: one SIPp registered answering phone each
// (src/bench/sip/sipp.ts startSippPhone), and the flaps the bench's ground truth is made
// of. A flapping phone registers with SIPp's message trace on, so the 200 OK to its
// REGISTER is known to the microsecond (the moment Asterisk has the contact); its
// explicit unregister is the same REGISTER with Expires: 0 from the port it registered
// from (what SippPhone.stop() does, here traced for the 200 OK's time).
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {startSipp, startSippPhone, type SipAddress, type SippPhone} from '../sip/sipp.js'
import {registerOkAt} from './count.js'
import type {BenchAgent} from './setup.js'

export interface PhoneTiming {
  /** Talk time of every call the phone answers, the engine's and the bench's direct ones (SIPp's talk_ms is per process). */
  talkMs: number
  ringMs: number
}

export class AgentPhone {
  private phone: SippPhone | null = null

  constructor(
    readonly agent: BenchAgent,
    private readonly sip: SipAddress,
    private readonly timing: PhoneTiming,
    /** Keep a message trace (flapping phones: their REGISTER 200 OK times are the ground truth). */
    private readonly traced: boolean,
  ) {}

  get up(): boolean {
    return this.phone !== null
  }

  /** Registers (a new SIPp process on a new port); the REGISTER 200 OK's time, or the time the wrapper saw it registered without a trace. */
  async register(): Promise<number> {
    const p = await startSippPhone({
      sip: this.sip,
      user: this.agent.phone,
      password: this.agent.password,
      talkMs: this.timing.talkMs,
      ringMs: this.timing.ringMs,
      // A day: SIPp would not refresh, and the contact must outlive any run.
      expires: 86_400,
      traceMessages: this.traced,
      keepDir: this.traced,
      registerTimeoutMs: 10_000,
    })
    this.phone = p
    const seen = Date.now()
    if (!this.traced) return seen
    const at = await traceTime(p.sipp.dir)
    if (at === null) throw new Error(`phone ${this.agent.phone}: no REGISTER 200 OK in its SIPp trace`)
    return at
  }

  /**
   * Explicit unregister: the phone's process ends (SIGTERM: SIPp leaves at once without
   * a word), then a REGISTER Expires: 0 from its port. goneAt = the SIGTERM, downAt = the
   * 200 OK to the Expires: 0.
   */
  async unregister(): Promise<{goneAt: number; downAt: number}> {
    const p = this.take()
    const goneAt = Date.now()
    await p.sipp.stop()
    rmSync(p.sipp.dir, {recursive: true, force: true})
    const un = await startSipp({
      scenario: 'register',
      remote: this.sip,
      localIp: p.sipp.localIp,
      localPort: p.sipp.localPort,
      calls: 1,
      autoAnswer: true,
      auth: {username: this.agent.phone, password: this.agent.password},
      vars: {user: this.agent.phone, expires: 0, stay_ms: 0},
      timeoutMs: 10_000,
      traceMessages: true,
      keepDir: true,
    })
    const r = await un.done
    const trace = readTrace(un.dir)
    rmSync(un.dir, {recursive: true, force: true})
    if (!r.allSucceeded) throw new Error(`phone ${this.agent.phone}: unregister failed (exit ${r.exitCode}): ${r.errors.slice(0, 500)}`)
    const downAt = registerOkAt(trace, 2)
    if (downAt === null) throw new Error(`phone ${this.agent.phone}: no 200 OK to its Expires: 0 REGISTER in the trace`)
    return {goneAt, downAt}
  }

  /** The phone's network is gone: SIGKILL, nothing more on the wire; its contact stays until qualify finds it silent. */
  async kill(): Promise<number> {
    const p = this.take()
    const at = Date.now()
    await p.sipp.kill()
    rmSync(p.sipp.dir, {recursive: true, force: true})
    return at
  }

  /** End of the run: unregistered, so the sandbox keeps no contact. */
  async stop(): Promise<void> {
    if (!this.phone) return
    const p = this.take()
    await p.stop().catch(() => undefined)
    rmSync(p.sipp.dir, {recursive: true, force: true})
  }

  /** Calls this phone answered so far (its SIPp process of the moment). */
  answered(): number {
    return this.phone?.answered().length ?? 0
  }

  private take(): SippPhone {
    const p = this.phone
    if (!p) throw new Error(`phone ${this.agent.phone} is not registered`)
    this.phone = null
    return p
  }
}

/** SIPp may write its trace a moment after it logs the registration: read again for up to 2 s. */
async function traceTime(dir: string): Promise<number | null> {
  const deadline = Date.now() + 2000
  for (;;) {
    const at = registerOkAt(readTrace(dir), 2)
    if (at !== null || Date.now() > deadline) return at
    await new Promise((r) => setTimeout(r, 50))
  }
}

function readTrace(dir: string): string {
  const file = join(dir, 'messages.log')
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}
