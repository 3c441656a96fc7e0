// SIPp (Debian's sip-tester 3.6.1, /usr/bin/sipp) as real SIP user agents on the
// sandbox: carrier callers, registered answering phones, one-shot registrations. Typed
// options in, SIPp's own statistics and log lines out. Lives in src/bench so the build
// compiles it for bench:load --sip; the tests import it through test/support/sip/sipp.ts.
//
// What SIPp 3.6.1 does that this relies on (probed against the sandbox's Asterisk 22):
// - Exit code: 0 every call succeeded, 1 some failed, 97 quit by command, 99 ended
//   without a call, 255 fatal (a scenario error: the message is on stderr), 254 a
//   socket could not be bound (port in use).
// - A scenario error (bad attribute, misplaced optional recv) fails at once with
//   exit 255; `<timewait>` must be the last element and takes no `next`.
// - play_pcap_audio paths are relative to the working directory (not -d): the scenarios
//   use absolute paths into /usr/share/sip-tester (g711a.pcap: 7 s of PCMA;
//   dtmf_2833_N.pcap: RFC 4733 events, payload 101).
// - Requests with an unknown Call-ID reaching a client-mode (UAC) scenario are dropped
//   ("can't be mapped to a known SIPp call") unless -aa (answers OPTIONS, INFO, NOTIFY,
//   UPDATE 200 OK) or an out-of-call scenario (-oocsf) takes them. Asterisk's qualify
//   OPTIONS are such requests: unanswered, the contact is Unavail and ARI reports the
//   endpoint offline although it is registered.
// - SIPp opens a UDP remote-control socket (8888 and up, 10 tries): each process here
//   gets its own -cp port so any number can run at once.
// - SIPp binds its media port (-mp) and that port + 2; never leave it at 6000.
// - SIGTERM ends SIPp at once (exit 0) without running the rest of the scenario: a
//   registered phone's contact stays, hence SippPhone.stop() unregisters afterwards.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {isAbsolute, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ended, running, track} from './children.js'
import {freeUdpPort} from './ports.js'

export {freeUdpPort} from './ports.js'
export {killAllSipAgents} from './children.js'

export const SIPP_BIN = '/usr/bin/sipp'
/**
 * The scenario files of this kit: test/sip-scenarios in the repository. Three levels up
 * from this module whether it runs as src/bench/sip/sipp.ts (vitest) or as the build's
 * dist/bench/sip/sipp.js (bench:load --sip): both reach the repository root.
 */
export const SCENARIO_DIR = fileURLToPath(new URL('../../../test/sip-scenarios/', import.meta.url))

export interface SipAddress {
  host: string
  port: number
}

/** What the sandbox prints as `sip` (sandbox up/status --json): where phones register, where the carrier must send from. */
export interface SandboxSipInfo {
  host: string
  port: number
  carrier: SipAddress
}

export interface SippOptions {
  /** A scenario of this kit by name ('caller', 'register', 'agent-uas') or a path to an XML file. */
  scenario: string
  /** Where to send (the sandbox's SIP address). */
  remote: SipAddress
  /** Local address for the socket, Via, Contact and SDP. Any of 127.0.0.0/8 (an "attacker" can be 127.0.0.9). Default 127.0.0.1. */
  localIp?: string
  /** Local SIP port (-p). Default: a free one. */
  localPort?: number
  /** Local media port (-mp); SIPp also binds this + 2. Default: a free one. */
  mediaPort?: number
  /** Stop after this many calls (-m). */
  calls?: number
  /** New calls per second (-r). */
  rate?: number
  /** At most this many calls at once (-l). */
  limit?: number
  /** Scenario variables, -set NAME VALUE (the scenario declares them as <Global>). */
  vars?: Record<string, string | number>
  /** Digest credentials for [authentication] (-au, -ap). */
  auth?: {username: string; password: string}
  /** -aa: answer OPTIONS, INFO, NOTIFY and UPDATE that fit no step 200 OK. */
  autoAnswer?: boolean
  /** Out-of-call scenario (-oocsf), by name or path: takes requests with a Call-ID SIPp does not know. */
  outOfCallScenario?: string
  /** Injection file rows (-inf): written as a SEQUENTIAL CSV, one row per call, fields [field0], [field1], … */
  injection?: string[][]
  /** SIP transport. Default udp. */
  transport?: 'udp' | 'tcp'
  /** SIGTERM (then SIGKILL) after this long. Default: never. */
  timeoutMs?: number
  /** Also write every SIP message to messages.log in the work directory (debugging). */
  traceMessages?: boolean
  /** Keep the work directory (logs, stats) after the process ends. Default: removed by cleanup(). */
  keepDir?: boolean
  /** Further raw SIPp arguments. */
  extraArgs?: string[]
}

/** SIPp's cumulative statistics (the last row of its -trace_stat CSV). */
export interface SippStats {
  created: number
  successful: number
  failed: number
  retransmissions: number
  /** Every column of the row, by SIPp's header name (e.g. 'FailedMaxUDPRetrans(C)'). */
  raw: Record<string, string>
}

export interface SippResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** SIPp's own verdict: exit code 0. */
  allSucceeded: boolean
  /** Null if SIPp wrote no statistics (it failed to start). */
  stats: SippStats | null
  /** The -log_file lines (what the scenarios' <log> actions wrote). */
  log: string[]
  /** SIPp's error log (-trace_err) and stderr: the reason when a call or SIPp failed. */
  errors: string
  durationMs: number
}

export function scenarioPath(nameOrPath: string): string {
  if (isAbsolute(nameOrPath) || nameOrPath.includes('/')) return nameOrPath
  return join(SCENARIO_DIR, nameOrPath.endsWith('.xml') ? nameOrPath : `${nameOrPath}.xml`)
}

/** One running SIPp process. */
export class Sipp {
  readonly done: Promise<SippResult>
  private readonly started = Date.now()

  constructor(
    readonly child: ChildProcess,
    readonly localIp: string,
    readonly localPort: number,
    readonly mediaPort: number,
    /** Its work directory: stats.csv, errors.log, log.log (and messages.log). */
    readonly dir: string,
    private readonly keepDir: boolean,
  ) {
    let stderr = ''
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (d: string) => {
      // Bounded: SIPp repeats pcap and resolver chatter.
      if (stderr.length < 64_000) stderr += d
    })
    this.done = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const errors = [this.read('errors.log'), stderr].filter(Boolean).join('\n')
        resolve({
          exitCode: code,
          signal,
          allSucceeded: code === 0,
          stats: parseSippStats(this.read('stats.csv')),
          log: this.log(),
          errors,
          durationMs: Date.now() - this.started,
        })
      })
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return running(this.child)
  }

  /** The lines the scenario's <log> actions have written so far. */
  log(): string[] {
    return this.read('log.log').split('\n').filter(Boolean)
  }

  /** The statistics as of SIPp's last dump (every second while it runs, and at exit). */
  stats(): SippStats | null {
    return parseSippStats(this.read('stats.csv'))
  }

  /** Waits until at least `count` log lines match; rejects if SIPp exits first or after `timeoutMs`. */
  async waitForLog(pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hits = this.log().filter((l) => pattern.test(l))
      if (hits.length >= count) return hits
      if (!this.running) {
        const r = await this.done
        throw new Error(`SIPp exited (code ${r.exitCode}, signal ${r.signal}) before logging ${count}× ${pattern}: ${r.errors.slice(0, 2000)}`)
      }
      if (Date.now() > deadline) throw new Error(`SIPp logged ${hits.length} of ${count}× ${pattern} in ${timeoutMs} ms; log: ${this.log().join(' | ')}`)
      await sleep(50)
    }
  }

  /** Ends SIPp (SIGTERM, SIGKILL after 2 s) and returns its result. */
  async stop(): Promise<SippResult> {
    if (this.running) this.child.kill('SIGTERM')
    await ended(this.child, 2000)
    return this.done
  }

  /** SIGKILL: gone at once, nothing more on the wire (a phone whose network died). */
  async kill(): Promise<SippResult> {
    if (this.running) this.child.kill('SIGKILL')
    return this.done
  }

  /** Removes the work directory (unless keepDir). Call after the result is read. */
  cleanup(): void {
    if (!this.keepDir) rmSync(this.dir, {recursive: true, force: true})
  }

  private read(file: string): string {
    const path = join(this.dir, file)
    return existsSync(path) ? readFileSync(path, 'utf8') : ''
  }
}

/** Starts SIPp; resolves once it is spawned (it binds its ports within milliseconds). */
export async function startSipp(o: SippOptions): Promise<Sipp> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-sipp-'))
  const localIp = o.localIp ?? '127.0.0.1'
  const localPort = o.localPort ?? (await freeUdpPort({host: localIp}))
  const mediaPort = o.mediaPort ?? (await freeUdpPort({count: 3, host: localIp}))
  const controlPort = await freeUdpPort()
  const args = [
    '-sf', scenarioPath(o.scenario),
    '-i', localIp,
    '-p', String(localPort),
    '-mp', String(mediaPort),
    '-cp', String(controlPort),
    '-t', o.transport === 'tcp' ? 't1' : 'u1',
    '-nostdin',
    // Files in our own directory, by name: SIPp's defaults are <scenario>_<pid>_*.log in the cwd.
    '-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_logs', '-log_file', join(dir, 'log.log'),
  ]
  if (o.traceMessages) args.push('-trace_msg', '-message_file', join(dir, 'messages.log'))
  if (o.calls !== undefined) args.push('-m', String(o.calls))
  if (o.rate !== undefined) args.push('-r', String(o.rate))
  if (o.limit !== undefined) args.push('-l', String(o.limit))
  for (const [k, v] of Object.entries(o.vars ?? {})) args.push('-set', k, String(v))
  if (o.auth) args.push('-au', o.auth.username, '-ap', o.auth.password)
  if (o.autoAnswer) args.push('-aa')
  if (o.outOfCallScenario) args.push('-oocsf', scenarioPath(o.outOfCallScenario))
  if (o.injection) {
    const file = join(dir, 'inject.csv')
    writeFileSync(file, ['SEQUENTIAL', ...o.injection.map((row) => row.join(';') + ';')].join('\n') + '\n')
    args.push('-inf', file)
  }
  args.push(...(o.extraArgs ?? []), `${o.remote.host}:${o.remote.port}`)
  // cwd = the work directory: anything SIPp still writes by default lands there.
  const child = spawn(SIPP_BIN, args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
  track(child)
  const sipp = new Sipp(child, localIp, localPort, mediaPort, dir, o.keepDir ?? false)
  if (o.timeoutMs !== undefined) {
    const timer = setTimeout(() => void sipp.stop(), o.timeoutMs)
    child.once('exit', () => clearTimeout(timer))
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  return sipp
}

/** Runs SIPp to the end and returns its result (the work directory is removed unless keepDir). */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  const sipp = await startSipp(o)
  const result = await sipp.done
  sipp.cleanup()
  return result
}

/** Parses SIPp's -trace_stat CSV (";"-separated, a header row then one row per dump): the last row. */
export function parseSippStats(csv: string): SippStats | null {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  if (lines.length < 2) return null
  const header = lines[0]!.split(';')
  const row = lines[lines.length - 1]!.split(';')
  // A row still being written has fewer fields: use the one before.
  const last = row.length >= header.length - 1 ? row : lines.length > 2 ? lines[lines.length - 2]!.split(';') : null
  if (!last) return null
  const raw: Record<string, string> = {}
  header.forEach((h, i) => {
    if (h) raw[h] = last[i] ?? ''
  })
  const n = (k: string) => Number(raw[k] ?? 0) || 0
  return {
    created: n('TotalCallCreated'),
    successful: n('SuccessfulCall(C)'),
    failed: n('FailedCall(C)'),
    retransmissions: n('Retransmissions(C)'),
    raw,
  }
}

// ---------------------------------------------------------------------------------
// Callers over the carrier.

export interface CarrierCall {
  /** The number dialled: a DID, or a queue's id. */
  did: string
  /** The caller's number. Default 0611000000 + the call's index. */
  from?: string
  /** The From display name (hostile-text tests). Default: the number. No ; or line breaks (SIPp's injection file), no " (the header's quotes). */
  name?: string
}

export interface CallerOptions {
  sip: SandboxSipInfo
  /** The calls to place, in order (one SIPp call each), or one call. */
  calls: CarrierCall | CarrierCall[]
  /** Send RFC 4733 digit 1 this long after the answer; 0 or absent = no digit. */
  dtmfMs?: number
  /** Hang up this long after the digit (or the answer) unless Asterisk hung up first. Default 30 s. */
  holdMs?: number
  /** New calls per second. Default 10. */
  rate?: number
  /** At most this many calls at once. Default: SIPp's (3 × rate). */
  limit?: number
  timeoutMs?: number
  traceMessages?: boolean
  keepDir?: boolean
}

/**
 * Callers dialling in over the carrier: caller.xml sent from the carrier's address and
 * port, so Asterisk takes them for the carrier endpoint (no authentication). Only one
 * process can hold the carrier port at a time: put many calls in one caller (calls, rate,
 * limit) rather than starting several at once (the second fails with exit code 254).
 * The same INVITE from any other address or port (127.0.0.9, or 127.0.0.1 on another
 * port) is challenged 401: SIPp ACKs it, counts the call failed and exits 1 (probed).
 */
export async function startCaller(o: CallerOptions): Promise<Sipp> {
  const calls = Array.isArray(o.calls) ? o.calls : [o.calls]
  return startSipp({
    scenario: 'caller',
    remote: {host: o.sip.host, port: o.sip.port},
    localIp: o.sip.carrier.host,
    localPort: o.sip.carrier.port,
    calls: calls.length,
    rate: o.rate ?? 10,
    limit: o.limit,
    injection: calls.map((c, i) => {
      const from = c.from ?? String(611_000_000 + i).padStart(10, '0')
      if (c.name !== undefined && /[;"\r\n]/.test(c.name)) throw new Error(`a caller name for SIPp may not contain ; " or line breaks: ${JSON.stringify(c.name)}`)
      return [c.did, from, c.name ?? from]
    }),
    vars: {dtmf_ms: o.dtmfMs ?? 0, hold_ms: o.holdMs ?? 30_000},
    timeoutMs: o.timeoutMs,
    traceMessages: o.traceMessages,
    keepDir: o.keepDir,
  })
}

/** Places the calls and waits until they are over. */
export async function runCaller(o: CallerOptions): Promise<SippResult> {
  const sipp = await startCaller(o)
  const result = await sipp.done
  sipp.cleanup()
  return result
}

// ---------------------------------------------------------------------------------
// Registered phones.

export interface SippPhoneOptions {
  sip: SipAddress
  /** The SIP username (the endpoint id, e.g. 9101). */
  user: string
  password: string
  /** Ringing time before answering. Default 300 ms. */
  ringMs?: number
  /** Hang up this long after answering; 0 (default) = stay until Asterisk hangs up. */
  talkMs?: number
  /** Expires asked for in the REGISTER. Default 3600 (no refresh: SIPp would not re-register). */
  expires?: number
  /**
   * Register again every this many seconds (register-refresh.xml): for a phone behind
   * the sandbox's proxy, which caps registrations short, so the phone stays registered
   * and moves to another box when its box dies. Default: never.
   */
  refreshS?: number
  localIp?: string
  localPort?: number
  mediaPort?: number
  traceMessages?: boolean
  keepDir?: boolean
  /** How long to wait for the 200 OK to the REGISTER. Default 5 s. */
  registerTimeoutMs?: number
}

/**
 * A desk phone played by one SIPp process: register.xml registers (digest auth) and
 * then pauses for a day, while agent-uas.xml, its out-of-call scenario (-oocsf),
 * answers every INVITE (180, ringMs, 200 OK with PCMA + telephone-event, plays
 * g711a.pcap) and every qualify OPTIONS. Calls in a row or at once.
 *
 * Why one process: SIPp runs one scenario per process, and a UAS scenario cannot send
 * a REGISTER. Registering from one process and then answering from another on the
 * same port also works (the contact is just address:port), but leaves a gap when
 * nothing listens; -oocsf has none.
 */
export class SippPhone {
  constructor(
    readonly sipp: Sipp,
    private readonly o: SippPhoneOptions,
  ) {}

  get user(): string {
    return this.o.user
  }

  get localPort(): number {
    return this.sipp.localPort
  }

  /** Call-IDs of the calls this phone answered so far. */
  answered(): string[] {
    return this.sipp.log().flatMap((l) => /^answered (\S+)/.exec(l)?.[1] ?? [])
  }

  /** Call-IDs of answered calls that have ended. */
  ended(): string[] {
    const answered = new Set(this.answered())
    return this.sipp.log().flatMap((l) => {
      const id = /^ended (\S+)/.exec(l)?.[1]
      return id && answered.has(id) ? [id] : []
    })
  }

  /** Waits until this phone has answered `count` calls; their Call-IDs. */
  async waitForAnswered(count = 1, timeoutMs = 10_000): Promise<string[]> {
    await this.sipp.waitForLog(/^answered /, count, timeoutMs)
    return this.answered()
  }

  /** Graceful: ends the process and unregisters from the same port (REGISTER Expires: 0). */
  async stop(): Promise<void> {
    if (!this.sipp.running) return
    await this.sipp.stop()
    this.sipp.cleanup()
    await unregisterSipp({...this.o, localIp: this.sipp.localIp, localPort: this.sipp.localPort})
  }

  /** The phone's network is gone: SIGKILL, nothing more on the wire; Asterisk finds out by qualify. */
  async kill(): Promise<void> {
    await this.sipp.kill()
    this.sipp.cleanup()
  }
}

export async function startSippPhone(o: SippPhoneOptions): Promise<SippPhone> {
  const refresh = o.refreshS !== undefined && o.refreshS > 0
  const sipp = await startSipp({
    scenario: refresh ? 'register-refresh' : 'register',
    outOfCallScenario: 'agent-uas',
    remote: o.sip,
    localIp: o.localIp,
    localPort: o.localPort,
    mediaPort: o.mediaPort,
    calls: 1,
    auth: {username: o.user, password: o.password},
    vars: {
      user: o.user,
      expires: o.expires ?? 3600,
      ...(refresh ? {refresh_ms: Math.round(o.refreshS! * 1000)} : {stay_ms: 86_400_000}),
      ring_ms: o.ringMs ?? 300,
      talk_ms: o.talkMs ?? 0,
    },
    traceMessages: o.traceMessages,
    keepDir: o.keepDir,
  })
  try {
    await sipp.waitForLog(/^registered /, 1, o.registerTimeoutMs ?? 5000)
  } catch (err) {
    await sipp.kill()
    sipp.cleanup()
    throw err
  }
  return new SippPhone(sipp, o)
}

export interface RegisterOptions {
  sip: SipAddress
  user: string
  password: string
  /** Expires in the REGISTER; 0 removes the contact. */
  expires: number
  /** Stay registered this long (answering qualify OPTIONS), then unregister. Default 0: exit once registered. */
  stayMs?: number
  localIp?: string
  localPort?: number
  timeoutMs?: number
}

/** One REGISTER transaction (401, then with credentials): register.xml on its own. */
export async function registerSipp(o: RegisterOptions): Promise<SippResult> {
  return runSipp({
    scenario: 'register',
    remote: o.sip,
    localIp: o.localIp,
    localPort: o.localPort,
    calls: 1,
    autoAnswer: true,
    auth: {username: o.user, password: o.password},
    vars: {user: o.user, expires: o.expires, stay_ms: o.stayMs ?? 0},
    timeoutMs: o.timeoutMs ?? 10_000 + (o.stayMs ?? 0),
  })
}

/** Removes a contact: REGISTER Expires: 0 from the address and port it registered from. */
export async function unregisterSipp(o: Omit<RegisterOptions, 'expires' | 'stayMs'>): Promise<SippResult> {
  const r = await registerSipp({...o, expires: 0})
  if (!r.allSucceeded) throw new Error(`unregistering ${o.user} failed (exit ${r.exitCode}): ${r.errors.slice(0, 2000)}`)
  return r
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
