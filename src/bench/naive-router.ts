import type {QueueSettings} from '../engine/model.js'
import type {Offer} from '../engine/routing/acd.js'

// The baseline the routing benchmark compares Acd against: no indexes, no groups, no
// shared code with the routing module (its own requirement evaluator), so agreement
// between the two is evidence that Acd's indexes route correctly.
//
// It only knows what the benchmark's scenario uses: longest-idle, penalty 0, no
// last-agent hold, no skill steps, no retries, and requirements that are conjunctions of
// `skill` / `skill>=N` terms. Its dispatch reacts to the changes since the last dispatch:
// a freed agent scans every waiting caller for the first in line it can serve; a new
// caller scans every agent for free ones that can serve it. That equals Acd's global
// choice when each dispatch follows one change to a settled line, which is how the
// benchmark drives both.

interface Term {
  skill: string
  min: number
}

interface Caller {
  callId: string
  queue: string
  priority: number
  joinedAt: number
  seq: number
  requirement: Term[]
  offered: boolean
}

interface Agent {
  id: string
  index: number
  queues: Set<string>
  skills: Record<string, number>
  available: boolean
  activity: 'idle' | 'ringing' | 'on-call' | 'wrap-up'
  idleSince: number
  callId: string | null
  callQueue: string | null
}

export class NaiveRouter {
  readonly waiting = new Map<string, Caller>()
  private readonly queues = new Map<string, {wrapUp: number; requirement: Term[]}>()
  private readonly agents = new Map<string, Agent>()
  private freed: Agent[] = []
  private arrived: Caller[] = []
  private seq = 0

  setQueue(name: string, settings: QueueSettings, _now: number): void {
    if (settings.strategy !== 'longest-idle' || settings.skillSteps.length > 0) throw new Error(`naive router: queue ${name} uses features it does not model`)
    this.queues.set(name, {wrapUp: settings.wrapUp, requirement: parseTerms(settings.requiredSkills)})
  }

  setAgent(a: {id: string; queues: Record<string, number>; skills: Record<string, number>}, now: number): void {
    if (Object.values(a.queues).some((p) => p !== 0)) throw new Error(`naive router: agent ${a.id} has a penalty`)
    const index = this.agents.size
    this.agents.set(a.id, {id: a.id, index, queues: new Set(Object.keys(a.queues)), skills: {...a.skills}, available: false, activity: 'idle', idleSince: now, callId: null, callQueue: null})
  }

  setPresence(id: string, presence: 'available' | 'offline', _reason: null, now: number): void {
    const a = this.agent(id)
    const wasOffline = !a.available
    a.available = presence === 'available'
    if (wasOffline && a.available && a.activity === 'idle') a.idleSince = now
    if (this.isFree(a)) this.freed.push(a)
  }

  occupy(id: string, callId: string, activity: 'on-call', _now: number): boolean {
    const a = this.agent(id)
    if (a.activity !== 'idle') return false
    a.activity = activity
    a.callId = callId
    return true
  }

  enqueue(c: {callId: string; queue: string; priority?: number; requiredSkills?: string | null}, now: number): void {
    const q = this.queues.get(c.queue)
    if (!q) throw new Error(`enqueue into unknown queue ${c.queue}`)
    const w: Caller = {callId: c.callId, queue: c.queue, priority: c.priority ?? 0, joinedAt: now, seq: this.seq++, requirement: c.requiredSkills ? parseTerms(c.requiredSkills) : q.requirement, offered: false}
    this.waiting.set(w.callId, w)
    this.arrived.push(w)
  }

  dispatch(now: number): Offer[] {
    const offers: Offer[] = []
    for (const a of this.freed) {
      if (!this.isFree(a)) continue
      let best: Caller | undefined
      for (const w of this.waiting.values()) {
        if (w.offered || !a.queues.has(w.queue) || !matches(w.requirement, a.skills)) continue
        if (!best || before(w, best)) best = w
      }
      if (best) this.offer(best, a, now, offers)
    }
    for (const w of this.arrived) {
      if (w.offered || this.waiting.get(w.callId) !== w) continue
      let best: Agent | undefined
      let bestScore = -1
      for (const a of this.agents.values()) {
        if (!this.isFree(a) || !a.queues.has(w.queue) || !matches(w.requirement, a.skills)) continue
        const s = score(w.requirement, a.skills)
        if (!best || s > bestScore || (s === bestScore && (a.idleSince < best.idleSince || (a.idleSince === best.idleSince && a.index < best.index)))) {
          best = a
          bestScore = s
        }
      }
      if (best) this.offer(w, best, now, offers)
    }
    this.freed = []
    this.arrived = []
    return offers
  }

  answered(callId: string, agentId: string, _now: number): void {
    const a = this.agent(agentId)
    if (a.callId !== callId || a.activity !== 'ringing') throw new Error(`answer for a ring that is not live: ${callId} ${agentId}`)
    this.waiting.delete(callId)
    a.activity = 'on-call'
  }

  callEnded(agentId: string, _talkMs: number, now: number): number {
    const a = this.agent(agentId)
    if (a.activity !== 'on-call') return 0
    const wrapUp = (a.callQueue ? this.queues.get(a.callQueue)?.wrapUp : undefined) ?? 0
    a.callId = null
    a.callQueue = null
    a.idleSince = now
    a.activity = wrapUp > 0 ? 'wrap-up' : 'idle'
    if (this.isFree(a)) this.freed.push(a)
    return wrapUp
  }

  endWrapUp(agentId: string, _now: number): boolean {
    const a = this.agent(agentId)
    if (a.activity !== 'wrap-up') return false
    a.activity = 'idle'
    if (this.isFree(a)) this.freed.push(a)
    return true
  }

  private offer(w: Caller, a: Agent, _now: number, out: Offer[]): void {
    w.offered = true
    a.activity = 'ringing'
    a.callId = w.callId
    a.callQueue = w.queue
    out.push({callId: w.callId, queue: w.queue, agentId: a.id, kind: 'caller'})
  }

  private isFree(a: Agent): boolean {
    return a.available && a.activity === 'idle'
  }

  private agent(id: string): Agent {
    const a = this.agents.get(id)
    if (!a) throw new Error(`unknown agent ${id}`)
    return a
  }
}

function before(a: Caller, b: Caller): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt
  return a.seq < b.seq
}

function matches(req: Term[], skills: Record<string, number>): boolean {
  for (const t of req) if ((skills[t.skill] ?? 0) < t.min) return false
  return true
}

function score(req: Term[], skills: Record<string, number>): number {
  let s = 0
  for (const t of req) s += skills[t.skill] ?? 0
  return s
}

/** Only `a & b>=2` forms; anything else is outside the scenario and refused loudly. */
function parseTerms(text: string): Term[] {
  const src = text.trim()
  if (src === '') return []
  const seen = new Set<string>()
  return src.split('&').map((part) => {
    const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(?:>=\s*(\d+))?\s*$/.exec(part)
    if (!m) throw new Error(`naive router: unsupported requirement "${text}"`)
    const skill = m[1]!
    if (seen.has(skill)) throw new Error(`naive router: skill named twice in "${text}"`)
    seen.add(skill)
    return {skill, min: Math.max(1, Number(m[2] ?? 1))}
  })
}
