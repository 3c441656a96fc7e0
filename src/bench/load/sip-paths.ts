import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {addPhone} from '../../engine/phones/phones.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {startSipp, type SipAddress} from '../sip/sipp.js'
import {celSize, readCelSince, type CelEvent} from './cel.js'
import {waitQuiet} from './drive.js'
import {prepareEngineStore, startEngineChild} from './engine-child.js'
import {runMetrics, sipAgentLeg} from './metrics.js'
import {AQ_QUEUE, appQueueMembers, ENGINE_QUEUE, ENGINE_SETTINGS, type Agent, type PathResult} from './paths.js'
import {cpuSeconds} from './proc.js'
import type {BenchSandbox} from './sandbox.js'
import {BENCH_SCENARIO_DIR, SIPP_TRACE} from './sip-phones.js'
import {sipCallerNumber, sipCallers, sippRate, sipWaves} from './sip-plan.js'

// The two paths of bench:load --sip for the same SIPp callers and the same registered SIPp
// phones, one after the other on the bench's sandbox, timed from its CEL like the Local
// mode (see metrics.ts; here every agent leg is one PJSIP channel, PJSIP/<phone>-<seq>).
//
//   engine     callers over the sandbox's carrier (pjsip.conf: identified by 127.0.0.1 and
//              the carrier port) dial the queue's id: callctl-inbound → Stasis, the engine
//              as `callctl engine start` with agents whose endpoint is PJSIP/<phone>.
//   app_queue  callers over a trunk of the bench's own, pushed like the carrier's objects
//              (an endpoint identified by address and its own port, into astdb over ARI),
//              whose context is callctl-appqueue: they dial aq-load, Queue(aq-load)
//              (queues.conf) with members PJSIP/<phone> added per run, device state from
//              the phones (ringinuse = no).
// The difference in what Asterisk runs before the queue: the carrier's calls pass Set and
// Goto (callctl-inbound) and Stasis; app_queue's go straight to Queue(). Queue() does not
// answer the caller until an agent does; the engine answers at once (music on hold over
// RTP meanwhile). Both are each router's own behaviour on a plain dialplan.

/** The app_queue path's trunk: a PJSIP endpoint and identify of the bench's own. */
export const AQ_TRUNK = 'benchaq'
export const CARRIER = 'carrier'

export interface SipRunInput {
  /** Digits unique within the bench: caller numbers start with them. */
  numberPrefix: string
  /** The phones (ids) the run's agents ring. */
  phones: string[]
  callers: number
  /** Calls per second within a wave. */
  rate: number
  /** Callers per SIPp process, a wave every spacingMs; >= callers for one. */
  wave: number
  spacingMs: number
  /** What counts as a full call (the phones' talk time, s): shorter is "cut off while talking". */
  talkS: number
  /** When a caller hangs up itself, s after its answer: beyond any call the run expects (a guard). */
  holdS: number
  /** Unmeasured calls first (the first calls of a process are slower). */
  warmup: number
}

export interface SipPathResult extends PathResult {
  /** SIPp's own count of failed calls (callers), warm-up excluded. */
  sippFailed: number
  sippErrorSample: string | null
  /** The engine's REST requests to Asterisk per call (warm-up and measured), by kind; null for app_queue. */
  restPerCall: {total: number; byKind: Record<string, number>} | null
}

/**
 * The trunk the app_queue path's callers come in by, identified by their address and port
 * like the carrier. trust_id_inbound: an endpoint pushed over ARI has a caller ID of its own
 * stored (probed: every caller's number read "unknown" in CEL), and PJSIP then ignores the
 * From header; with trust_id_inbound it takes the caller's number from the
 * P-Asserted-Identity bench-caller.xml sends (the carrier, from pjsip.conf, reads From).
 */
export async function pushAppQueueTrunk(sb: BenchSandbox, from: SipAddress): Promise<void> {
  const f = (o: Record<string, string>) => Object.entries(o).map(([attribute, value]) => ({attribute, value}))
  await sb.rest.putConfigObject('res_pjsip', 'endpoint', AQ_TRUNK, f({context: 'callctl-appqueue', transport: 'transport-udp', disallow: 'all', allow: 'ulaw,alaw', direct_media: 'no', rtp_symmetric: 'yes', dtmf_mode: 'rfc4733', trust_id_inbound: 'yes'}))
  await sb.rest.putConfigObject('res_pjsip', 'identify', AQ_TRUNK, f({endpoint: AQ_TRUNK, match: `${from.host}:${from.port}`}))
}

interface DriveOut {
  events: CelEvent[]
  numbers: string[]
  asteriskCpuS: number
  engineCpuS: number | null
  wallS: number
  forced: Set<string>
  sippFailed: number
  sippErrors: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Places the callers with SIPp (a process per wave), waits until Asterisk is empty, and reads what CEL logged meanwhile. */
async function driveSip(sb: BenchSandbox, trunk: SipAddress, did: string, numbers: string[], p: SipRunInput, enginePid?: number): Promise<DriveOut> {
  const sip = sb.state.sip!
  const offset = celSize(sb.celFile)
  const ast0 = cpuSeconds(sb.state.pid)
  const eng0 = enginePid ? cpuSeconds(enginePid) : null
  const started = Date.now()
  const {calls, periodMs} = sippRate(p.rate)
  let sippFailed = 0
  const sippErrors: string[] = []
  for (const w of sipWaves(numbers, p.wave, p.spacingMs)) {
    const wait = started + w.atMs - Date.now()
    if (wait > 0) await sleep(wait)
    const sipp = await startSipp({
      scenario: join(BENCH_SCENARIO_DIR, 'bench-caller.xml'),
      remote: {host: sip.host, port: sip.port},
      localIp: trunk.host,
      localPort: trunk.port,
      calls: w.callers.length,
      rate: calls,
      limit: w.callers.length,
      injection: w.callers.map((n) => [did, n]),
      vars: {hold_ms: p.holdS * 1000},
      extraArgs: ['-rp', String(periodMs)],
      // The arrivals, every caller's guard, and a minute: then SIPp is stuck, not slow.
      timeoutMs: (w.callers.length / p.rate + p.holdS + 60) * 1000,
      ...SIPP_TRACE,
    })
    const r = await sipp.done
    sipp.cleanup()
    const failed = r.stats ? r.stats.failed : w.callers.length
    sippFailed += failed
    if ((failed > 0 || r.exitCode !== 0) && r.errors) sippErrors.push(`exit ${r.exitCode}: ${r.errors.split('\n').find((l) => l.trim() !== '') ?? ''}`)
  }
  const forced = await waitQuiet(sb.rest, 10_000)
  const asteriskCpuS = cpuSeconds(sb.state.pid) - ast0
  const engineCpuS = enginePid && eng0 !== null ? cpuSeconds(enginePid) - eng0 : null
  const wallS = (Date.now() - started) / 1000
  await sleep(300)
  return {events: readCelSince(sb.celFile, offset), numbers, asteriskCpuS, engineCpuS, wallS, forced, sippFailed, sippErrors}
}

function numbersOf(p: SipRunInput): {warm: string[]; measured: string[]} {
  return {
    warm: Array.from({length: p.warmup}, (_, i) => sipCallerNumber(p.numberPrefix, 90_000 + i)),
    measured: Array.from({length: p.callers}, (_, i) => sipCallerNumber(p.numberPrefix, i)),
  }
}

function resultOf(p: SipRunInput, enterApp: 'Queue' | 'Stasis', trunk: string, d: DriveOut, engine: {errors: string[]; warnings: string[]} | null, restPerCall: SipPathResult['restPerCall']): SipPathResult {
  const metrics = runMetrics(d.events, {
    enterApp,
    callers: sipCallers(d.events, trunk, d.numbers, p.holdS),
    originateErrors: new Map(),
    forced: d.forced,
    agents: new Map(p.phones.map((id) => [id, id])),
    talkS: p.talkS,
    agentLeg: sipAgentLeg,
  })
  return {
    metrics,
    asteriskCpuS: d.asteriskCpuS,
    engineCpuS: d.engineCpuS,
    wallS: d.wallS,
    engineErrors: engine?.errors ?? [],
    engineWarnings: engine?.warnings ?? [],
    sippFailed: d.sippFailed,
    sippErrorSample: d.sippErrors[0] ?? null,
    restPerCall,
  }
}

/** A warm-up: a few calls at a gentle rate, not measured. */
function warmInput(p: SipRunInput): SipRunInput {
  return {...p, callers: p.warmup, rate: Math.min(p.rate, 5), wave: p.warmup, holdS: p.holdS}
}

export async function runAppQueueSip(sb: BenchSandbox, trunk: SipAddress, p: SipRunInput): Promise<SipPathResult> {
  const agents: Agent[] = p.phones.map((id) => ({id, ext: id, endpoint: `PJSIP/${id}`}))
  const {warm, measured} = numbersOf(p)
  await appQueueMembers(sb, 'add', agents)
  try {
    if (warm.length > 0) await driveSip(sb, trunk, AQ_QUEUE, warm, warmInput(p))
    const d = await driveSip(sb, trunk, AQ_QUEUE, measured, p)
    return resultOf(p, 'Queue', AQ_TRUNK, d, null, null)
  } finally {
    await appQueueMembers(sb, 'remove', agents)
  }
}

export async function runEngineSip(sb: BenchSandbox, p: SipRunInput): Promise<SipPathResult> {
  const sip = sb.state.sip!
  const {warm, measured} = numbersOf(p)
  const dir = mkdtempSync(join(tmpdir(), 'callctl-bench-engine-sip-'))
  const db = join(dir, 'callctl.db')
  try {
    await prepareEngineStore(db, ENGINE_QUEUE, ENGINE_SETTINGS, p.phones.map((id) => ({id, endpoint: `PJSIP/${id}`})))
    // Each agent's phone in the engine's store, by the product's addPhone (the same
    // secret as the bench's phone store: it lives in the shared CALLCTL_HOME), so the
    // engine pushes them again when it connects (applyAllPhones) as it would in service.
    const store = new SqliteStore(db)
    try {
      const ctx = {store, paths: callctlPaths({...process.env, CALLCTL_HOME: sb.home}), ari: () => sb.rest}
      for (const id of p.phones) await addPhone(ctx, {id, agent: id})
    } finally {
      await store.close()
    }
    // The carrier's calls go to the sandbox's own Stasis app (callctl-stasis reads the global).
    const engine = await startEngineChild({home: sb.home, db, app: sb.state.app, env: {CALLCTL_ARI_REST_COUNT: join(dir, 'rest-%p.json')}})
    let restPerCall: SipPathResult['restPerCall'] = null
    try {
      // The engine reads its phones' state as it connects; let the pushes and subscriptions settle.
      await sleep(1500)
      const carrier = {host: sip.carrier.host, port: sip.carrier.port}
      if (warm.length > 0) await driveSip(sb, carrier, ENGINE_QUEUE, warm, warmInput(p), engine.pid)
      const d = await driveSip(sb, carrier, ENGINE_QUEUE, measured, p, engine.pid)
      await engine.stop()
      restPerCall = restCountsPerCall(dir, warm.length + measured.length)
      return resultOf(p, 'Stasis', CARRIER, d, engine, restPerCall)
    } finally {
      await engine.stop()
      await waitQuiet(sb.rest, 5_000)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Requests that serve no call: the engine's start (phones pushed, subscriptions, state read) and its stop. */
const NOT_PER_CALL = /^(PUT|DELETE) \/asterisk\/config|^(GET|POST|DELETE) \/applications|^GET \/(endpoints|deviceStates|asterisk)/

/** The engine's REST counts (rest-count.ts writes them at its exit) per call placed, request kinds of its start left out. */
export function restCountsPerCall(dir: string, calls: number): SipPathResult['restPerCall'] {
  const file = existsSync(dir) ? readdirSync(dir).find((f) => /^rest-\d+\.json$/.test(f)) : undefined
  if (!file || calls <= 0) return null
  const counts = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {byKind?: Record<string, number>}
  const byKind: Record<string, number> = {}
  let total = 0
  for (const [kind, n] of Object.entries(counts.byKind ?? {})) {
    if (NOT_PER_CALL.test(kind)) continue
    byKind[kind] = n / calls
    total += n
  }
  return {total: total / calls, byKind}
}
