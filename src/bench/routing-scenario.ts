import {DEFAULT_QUEUE_SETTINGS, type QueueSettings} from '../engine/model.js'
import {prng} from './prng.js'
import type {Offer} from '../engine/routing/acd.js'

// The routing benchmark's workload, generated from a seed so every run and both routers
// see the same call center. Membership is random, not matched to skills: agents who
// cannot serve what is waiting stay free, as happens when, say, only one language's
// callers are left, and the router has to keep looking past them.

export interface ScenarioSize {
  skills: number
  queues: number
  agents: number
  callers: number
}

export const SIZE: ScenarioSize = {skills: 20, queues: 20, agents: 1000, callers: 10_000}

/** What both Acd and NaiveRouter offer; the benchmark drives them only through this. */
export interface Router {
  readonly waiting: {readonly size: number}
  setQueue(name: string, settings: QueueSettings, now: number): void
  setAgent(a: {id: string; name: string; endpoint: string; queues: Record<string, number>; skills: Record<string, number>}, now: number): unknown
  setPresence(id: string, presence: 'available', reason: null, now: number): void
  occupy(id: string, callId: string, activity: 'on-call', now: number): boolean
  enqueue(c: {callId: string; queue: string; number: string; priority: number; requiredSkills: string | null}, now: number): unknown
  dispatch(now: number): Offer[]
  answered(callId: string, agentId: string, now: number): unknown
  callEnded(agentId: string, talkMs: number, now: number): number
  endWrapUp(agentId: string, now: number): boolean
}

export {prng} from './prng.js'

export interface CallerSpec {
  callId: string
  queue: string
  number: string
  priority: number
  requiredSkills: string | null
}

export interface Scenario {
  queues: {name: string; settings: QueueSettings}[]
  agents: {id: string; name: string; endpoint: string; queues: Record<string, number>; skills: Record<string, number>}[]
  /**
   * Draws the next caller; the same seed gives the same callers in the same order. With
   * `like`, the caller takes that caller's queue and requirement, so replacing served
   * callers keeps the line's mix: fresh random callers would slowly fill it with those
   * nobody can serve, and the run would measure an ever emptier center.
   */
  nextCaller(like?: {queue: string; requiredSkills: string | null}): CallerSpec
  /** The driver's own choices (which agent hangs up next), kept apart from caller draws. */
  random: () => number
}

export function buildScenario(seed: number, size: ScenarioSize = SIZE): Scenario {
  const rnd = prng(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[], n: number): T[] => {
    const pool = [...xs]
    const out: T[] = []
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rnd() * pool.length), 1)[0]!)
    return out
  }
  const skillNames = Array.from({length: size.skills}, (_, i) => `s${String(i + 1).padStart(2, '0')}`)
  const requirement = (terms: number) =>
    pick(skillNames, terms)
      .map((s) => `${s}>=${int(1, 3)}`)
      .join(' & ')

  const queues = Array.from({length: size.queues}, (_, i) => {
    const name = `q${String(i + 1).padStart(2, '0')}`
    // Every fourth queue takes anyone; the rest want one or two skills.
    const requiredSkills = i % 4 === 3 ? '' : requirement(rnd() < 0.6 ? 1 : 2)
    const settings: QueueSettings = {...DEFAULT_QUEUE_SETTINGS, strategy: 'longest-idle', wrapUp: [0, 5, 10][int(0, 2)]!, requiredSkills}
    return {name, settings}
  })
  const queueNames = queues.map((q) => q.name)

  const agents = Array.from({length: size.agents}, (_, i) => {
    const id = `a${String(i + 1).padStart(4, '0')}`
    const skills: Record<string, number> = {}
    for (const s of pick(skillNames, int(2, 5))) skills[s] = int(1, 5)
    const memberOf: Record<string, number> = {}
    for (const q of pick(queueNames, int(2, 3))) memberOf[q] = 0
    return {id, name: id, endpoint: `Local/${id}@bench`, queues: memberOf, skills}
  })

  let n = 0
  const nextCaller = (like?: {queue: string; requiredSkills: string | null}): CallerSpec => {
    n++
    const priority = rnd() < 0.05 ? 10 : 0
    const number = `+1555${String(n).padStart(7, '0')}`
    if (like) return {callId: `c${n}`, queue: like.queue, number, priority, requiredSkills: like.requiredSkills}
    const queue = queueNames[Math.floor(rnd() * queueNames.length)]!
    // An IVR choice narrows some callers to their own requirement.
    const requiredSkills = rnd() < 0.1 ? requirement(rnd() < 0.7 ? 1 : 2) : null
    return {callId: `c${n}`, queue, number, priority, requiredSkills}
  }
  return {queues, agents, nextCaller, random: prng(seed ^ 0x9e3779b9)}
}
