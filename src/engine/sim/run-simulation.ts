import {AriTransportError, type AriRest} from '../ari/port.js'
import {callRecords, type CallRecord} from '../reports/call-records.js'
import {appMismatchFix} from '../sandbox/app-mismatch.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import type {Logger} from '../util/log.js'
import {logOutSimAgents, placeCallers, planSimulation, prepareSimAgents, waitForCallers, type SimulationOptions, type SimulationPlan} from './simulator.js'

export interface SimulationSummary {
  run: string
  queue: string
  agents: string[]
  originated: number
  failedToOriginate: number
  connected: number
  abandoned: number
  other: number
  /** Calls the engine never saw (no engine running, or still in flight at the timeout). */
  unseen: number
  averageWaitMs: number | null
  /** False with --no-wait: the callers were placed and not followed, so no outcome is known. */
  waited: boolean
  /** Stopped (Ctrl-C, SIGTERM) before its callers finished: those still live were ended as system-ended. */
  stopped: boolean
  /** Calls of this run the engine ended as system-ended when it stopped (never counted as abandons). */
  systemEnded: number
  finished: boolean
  /** The agents this run logged in and logged out again at its end (none with --no-wait: they take its callers). */
  loggedOut: string[]
  /** The agents this run logged in and left logged in (--no-wait): `agent logout` them when done. */
  leftLoggedIn: string[]
  calls: (Pick<CallRecord, 'callId' | 'number' | 'queue' | 'agent' | 'outcome' | 'waitMs' | 'talkMs'> & {patience: number})[]
}

/**
 * Creates simulated agents, places simulated callers at the given rate, waits for
 * them to finish and reports what the engine did with each, from the event log.
 */
export async function runSimulation(
  deps: {
    ari: AriRest
    store: Store
    log: Logger
    /** The engines running where the store is (their apps): to say why none of the callers arrived. */
    engines?: () => {pid: number; app: string}[]
    /** Asks the engine to end the live calls of these caller numbers as system-ended; how many it ended. */
    endCalls?: (numbers: ReadonlySet<string>) => Promise<number>
  },
  opts: SimulationOptions & {wait?: boolean; onPlaced?: (plan: SimulationPlan) => void; signal?: AbortSignal},
): Promise<SimulationSummary> {
  const plan = planSimulation(opts)
  await reachable(deps.ari)
  // The engine polls the store for admin changes (every 250 ms): give it time to see them.
  const prepared = await prepareSimAgents(deps.store, plan, opts.queue)
  if (prepared.changed) await new Promise((r) => setTimeout(r, 1000))
  const since = Date.now() - 1000
  const placed = await placeCallers(deps.ari, plan, deps.log, opts.signal)
  opts.onPlaced?.(plan)
  if (placed.originated === 0 && placed.failed > 0) {
    throw new UserError(`No simulated caller could be placed: ${placed.errors[0]}`, {suggestion: 'Is the sandbox running? Check: callctl sandbox status', exitCode: 1})
  }
  let finished = false
  if (opts.wait !== false) {
    const maxCall = opts.patience.max + (opts.ring?.max ?? 1) + opts.talk.max + 30
    finished = await waitForCallers(deps.ari, plan, maxCall * 1000, opts.signal).catch((err: unknown) => {
      if (err instanceof AriTransportError) throw unreachable(err)
      throw err
    })
  }
  const stopped = opts.signal?.aborted === true
  const systemEnded = stopped ? await endRun(deps, plan) : 0
  // Not waited for (--no-wait), its agents are still to take its callers.
  const waited = opts.wait !== false
  if (waited) await logOutSimAgents(deps.store, prepared.loggedIn)
  await new Promise((r) => setTimeout(r, 500)) // let the engine flush its last events
  const byNumber = new Map(plan.callers.map((c) => [c.number, c]))
  const records = (await callRecords(deps.store, {since})).filter((r) => byNumber.has(r.number))
  // Every caller lost before any engine saw it is no run to report: say why, exit non-zero.
  if (opts.wait !== false && !stopped && placed.originated > 0 && records.length === 0) throw await noCallerArrived(deps, placed.originated)
  const connected = records.filter((r) => r.connectedAt !== null).length
  const abandoned = records.filter((r) => r.outcome === 'abandoned').length
  const waits = records.filter((r) => r.connectedAt !== null && r.waitMs !== null).map((r) => r.waitMs!)
  return {
    run: plan.run,
    queue: opts.queue,
    agents: plan.agents.map((a) => a.id),
    originated: placed.originated,
    failedToOriginate: placed.failed,
    connected,
    abandoned,
    other: records.length - connected - abandoned,
    unseen: placed.originated - records.length,
    averageWaitMs: waits.length ? Math.round(waits.reduce((a, b) => a + b, 0) / waits.length) : null,
    waited,
    stopped,
    systemEnded,
    finished,
    loggedOut: waited ? prepared.loggedIn : [],
    leftLoggedIn: waited ? [] : prepared.loggedIn,
    calls: records.map((r) => ({
      callId: r.callId,
      number: r.number,
      queue: r.queue,
      agent: r.agent,
      outcome: r.outcome,
      waitMs: r.waitMs,
      talkMs: r.talkMs,
      patience: byNumber.get(r.number)!.patience,
    })),
  }
}

/**
 * A run stopped midway: its callers still in line would give up later and count as real
 * abandons in the queue's figures. The engine ends them as system-ended (as the demo's stop
 * does); whatever of the run is still in Asterisk after that (a caller not yet in the engine's
 * app, or no engine) is hung up.
 */
async function endRun(deps: {ari: AriRest; log: Logger; endCalls?: (numbers: ReadonlySet<string>) => Promise<number>}, plan: SimulationPlan): Promise<number> {
  const ended = deps.endCalls
    ? await deps.endCalls(new Set(plan.callers.map((c) => c.number))).catch((err: unknown) => {
        deps.log.warn('could not ask the engine to end the simulated calls', {error: String(err)})
        return 0
      })
    : 0
  const ids = new Set(plan.callers.map((c) => c.channelId))
  const left = await deps.ari.listChannels().catch(() => [])
  await Promise.all(left.filter((ch) => ids.has(ch.id)).map((ch) => deps.ari.hangup(ch.id).catch(() => undefined)))
  return ended
}

/** One line for an Asterisk that does not answer, before anything is created. */
async function reachable(ari: AriRest): Promise<void> {
  try {
    await ari.asteriskInfo()
  } catch (err) {
    if (err instanceof AriTransportError) throw unreachable(err)
    throw err
  }
}

function unreachable(err: AriTransportError): UserError {
  return new UserError(`Asterisk does not answer (${err.reason})`, {
    suggestion: 'Is the sandbox running? Check: callctl sandbox status (or start it: callctl sandbox up)',
    exitCode: 1,
    code: 'asterisk_unreachable',
  })
}

/**
 * Why no simulated caller reached an engine, as far as this side can tell: the app the
 * sandbox's dialplan hands calls to (its CALLCTL_APP) against the apps of the engines
 * running in this home.
 */
async function noCallerArrived(deps: {ari: AriRest; engines?: () => {pid: number; app: string}[]}, placed: number): Promise<UserError> {
  const head = placed === 1 ? 'The simulated caller reached no engine' : `None of the ${placed} simulated callers reached an engine`
  const dialplanApp = await deps.ari.getGlobalVar('CALLCTL_APP').catch(() => '')
  const engines = deps.engines?.() ?? []
  if (engines.length === 0) {
    return new UserError(`${head}: no engine runs in this callctl home`, {suggestion: 'Start one: callctl engine start', exitCode: 1, code: 'no_engine'})
  }
  if (dialplanApp && !engines.some((e) => e.app === dialplanApp)) {
    const serving = engines.map((e) => `"${e.app}" (pid ${e.pid})`).join(', ')
    return new UserError(`${head}: the sandbox sends calls to app "${dialplanApp}", and the engine here serves ${serving}`, {
      suggestion: appMismatchFix(dialplanApp, engines[0]!.app),
      exitCode: 1,
      code: 'engine_app_mismatch',
    })
  }
  return new UserError(`${head}${dialplanApp ? ` (app "${dialplanApp}")` : ''}`, {suggestion: 'See what the engine says: callctl engine status, and callctl events --since 5m', exitCode: 1, code: 'no_calls_seen'})
}
