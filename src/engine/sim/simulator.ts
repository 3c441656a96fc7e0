import {randomBytes} from 'node:crypto'
import {safeId} from '../util/ids.js'
import {addAgent, addQueue, listAgents, loginAgent, logoutAgent} from '../admin/admin.js'
import {AriTransportError, type AriRest} from '../ari/port.js'
import type {Store} from '../store/store.js'
import type {Range} from '../util/duration.js'
import type {Logger} from '../util/log.js'
import {SIM_AGENT_CONTEXT} from './sim-agent.js'

// Simulated people are Local channels into the sandbox dialplan (asterisk/conf/
// extensions.conf): to the engine they look exactly like real callers and phones.

export const SIM_CALLER_CONTEXT = 'callctl-sim-caller'
export {SIM_AGENT_CONTEXT}
export const INBOUND_CONTEXT = 'callctl-inbound'

export interface SimAgentSpec {
  id: string
  /** Seconds the phone rings before answering; 999 never answers. */
  ring: number
  talk: Range
}

/** The dial string of a simulated agent's phone. */
export function simAgentEndpoint(spec: SimAgentSpec): string {
  return `Local/${Math.round(spec.ring)}-${Math.round(spec.talk.min)}-${Math.round(spec.talk.max)}-${spec.id}@${SIM_AGENT_CONTEXT}`
}

export interface SimCallerSpec {
  number: string
  name: string
  /** Dialled number or queue name. */
  did: string
  patience: number
  dtmf?: string
  tone?: string
  /** Engine app to reach (a test's own engine); empty uses the dialplan's default. */
  app?: string
  /** Channel id to give the caller's leg (its ;1 half). */
  channelId?: string
  /** Queue priority the trunk marks the call with (CALLCTL_PRIORITY), e.g. 10 for a VIP. */
  priority?: number
  /** Key pressed when asked for a post-call survey. */
  survey?: string
  /** Record what this caller hears (monitor/NAME-heard.wav in the sandbox spool). */
  record?: string
}

export async function originateSimCaller(ari: AriRest, c: SimCallerSpec): Promise<string> {
  const variables: Record<string, string> = {SIM_PATIENCE: String(Math.max(0, Math.round(c.patience * 10) / 10))}
  if (c.dtmf) variables.SIM_DTMF = c.dtmf
  if (c.tone) variables.SIM_TONE = c.tone
  if (c.app) variables.CALLCTL_APP = c.app
  if (c.priority) variables.CALLCTL_PRIORITY = String(c.priority)
  if (c.survey) variables.SIM_SURVEY = c.survey
  if (c.record) variables.SIM_RECORD = c.record
  const ch = await ari.originate({
    endpoint: `Local/s@${SIM_CALLER_CONTEXT}`,
    context: INBOUND_CONTEXT,
    // A queue name in any script dials as its ASCII id; digits and ASCII names are unchanged.
    extension: safeId(c.did),
    priority: 1,
    callerId: `"${c.name.replace(/"/g, '')}" <${c.number}>`,
    channelId: c.channelId,
    variables,
  })
  return ch.id
}

export interface SimulationOptions {
  callers: number
  /** Callers per second. */
  rate: number
  agents: number
  talk: Range
  patience: Range
  /** Agent ring (answer delay) range in seconds. */
  ring?: Range
  dtmf?: string
  queue: string
  did?: string
  app?: string
  agentPrefix?: string
  /** Share of callers marked VIP (priority 10) by the trunk. */
  vipShare?: number
  /** Random source for reproducible runs. */
  random?: () => number
}

export interface SimulationPlan {
  run: string
  agents: (SimAgentSpec & {endpoint: string})[]
  callers: (SimCallerSpec & {at: number})[]
}

export function planSimulation(o: SimulationOptions): SimulationPlan {
  const rnd = o.random ?? Math.random
  const pick = (r: Range) => r.min + (r.max - r.min) * rnd()
  const run = randomBytes(3).toString('hex')
  const prefix = o.agentPrefix ?? 'sim'
  const agents = Array.from({length: o.agents}, (_, i) => {
    const spec: SimAgentSpec = {id: `${prefix}${String(i + 1).padStart(2, '0')}`, ring: Math.round(pick(o.ring ?? {min: 1, max: 1})), talk: o.talk}
    return {...spec, endpoint: simAgentEndpoint(spec)}
  })
  const callers = Array.from({length: o.callers}, (_, i) => ({
    at: (i / o.rate) * 1000,
    number: `+1555${parseInt(run, 16).toString().padStart(8, '0').slice(-4)}${String(i + 1).padStart(3, '0')}`,
    name: `Sim ${run} ${i + 1}`,
    did: o.did ?? o.queue,
    patience: Math.round(pick(o.patience) * 10) / 10,
    dtmf: o.dtmf,
    app: o.app,
    channelId: `sim-${run}-${i + 1}`,
    priority: rnd() < (o.vipShare ?? 0) ? 10 : 0,
  }))
  return {run, agents, callers}
}

/**
 * Creates the queue (if missing) and the simulated agents, logged in to it. Returns
 * whether anything changed, in which case a running engine needs a moment to see it, and
 * which agents it logged in (logOutSimAgents logs those out again when the run is over).
 */
export async function prepareSimAgents(store: Store, plan: SimulationPlan, queue: string): Promise<{changed: boolean; loggedIn: string[]}> {
  const before = await store.lastEventId()
  if (!(await store.getQueue(queue))) await addQueue(store, queue, {})
  const online = new Set((await listAgents(store)).filter((a) => a.presence !== 'offline').map((a) => a.id))
  for (const a of plan.agents) {
    const existing = await store.getAgent(a.id)
    if (!existing || existing.endpoint !== a.endpoint || !(queue in existing.queues)) {
      await addAgent(store, {id: a.id, name: `Simulated ${a.id}`, endpoint: a.endpoint, queues: [queue, ...Object.keys(existing?.queues ?? {}).filter((q) => q !== queue)]}, {update: true})
    }
    await loginAgent(store, a.id)
  }
  return {changed: (await store.lastEventId()) !== before, loggedIn: plan.agents.map((a) => a.id).filter((id) => !online.has(id))}
}

/**
 * Logs out the simulated agents a run logged in, once its callers are done: left logged
 * in, a simulated phone (which answers by itself) took the next real caller of the queue.
 * Agents that were logged in before the run (another run's, or logged in by hand) stay.
 */
export async function logOutSimAgents(store: Store, agents: readonly string[]): Promise<void> {
  for (const id of agents) if (await store.getAgent(id)) await logoutAgent(store, id)
}

export interface SimulationResult {
  run: string
  originated: number
  failed: number
  errors: string[]
}

/** Places the plan's callers at their times. Resolves when the last one has been originated. */
export async function placeCallers(ari: AriRest, plan: SimulationPlan, log: Logger, signal?: AbortSignal): Promise<SimulationResult> {
  const started = Date.now()
  let originated = 0
  const errors: string[] = []
  const pending: Promise<void>[] = []
  for (const c of plan.callers) {
    if (signal?.aborted) break
    const wait = started + c.at - Date.now()
    if (wait > 0) await pause(wait, signal)
    if (signal?.aborted) break
    pending.push(
      originateSimCaller(ari, c).then(
        () => void originated++,
        (err: unknown) => {
          errors.push(err instanceof Error ? err.message : String(err))
          log.warn('could not place simulated caller', {number: c.number, error: String(err)})
        },
      ),
    )
  }
  await Promise.all(pending)
  return {run: plan.run, originated, failed: errors.length, errors: [...new Set(errors)]}
}

/** Asterisk did not answer the simulator for this long: it is reported unreachable. */
const UNREACHABLE_AFTER_MS = 30_000

/**
 * Waits until none of the plan's caller channels is left in Asterisk. Looks once a
 * second, and less often while Asterisk is slow to answer: listing hundreds of channels
 * is work for an Asterisk that may be the one overloaded. A request that gets no answer
 * is tried again; Asterisk silent for 30 s throws AriTransportError.
 */
export async function waitForCallers(ari: AriRest, plan: SimulationPlan, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const ids = new Set(plan.callers.map((c) => c.channelId))
  const deadline = Date.now() + timeoutMs
  let silentSince: number | null = null
  while (Date.now() < deadline && !signal?.aborted) {
    const asked = Date.now()
    try {
      const live = (await ari.listChannels()).filter((ch) => ids.has(ch.id))
      silentSince = null
      if (live.length === 0) return true
    } catch (err) {
      if (!(err instanceof AriTransportError)) throw err
      silentSince ??= asked
      if (Date.now() - silentSince >= UNREACHABLE_AFTER_MS) throw err
    }
    const took = Date.now() - asked
    await pause(Math.min(10_000, Math.max(1000, took * 4)), signal)
  }
  return false
}

/** Sleeps, or less when the run is stopped (Ctrl-C). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}
