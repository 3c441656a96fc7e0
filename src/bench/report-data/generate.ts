import type Database from 'better-sqlite3'
import type {EventType} from '../../engine/store/events.js'
import {prng} from '../routing-scenario.js'

// Synthetic call traffic written straight into the event log, shaped like the engine's
// own: the same event types and data, calls interleaved in time the way they overlap on
// a busy day, agents logging in and out, recordings in the recordings table. The mix is
// fixed by the seed, so every run reports on the same rows.

export interface GenerateOptions {
  calls: number
  /** Calls spread evenly (with jitter) over this many days from `start`. */
  days: number
  queues: number
  agents: number
  seed: number
  /** ms, UTC midnight of the first day. */
  start: number
}

export interface Generated {
  calls: number
  events: number
  recordings: number
  queues: string[]
}

interface Ev {
  ts: number
  seq: number
  type: EventType
  callId: string | null
  queue: string | null
  agent: string | null
  data: Record<string, unknown>
}

const NAMES = ['张伟', '王芳', 'Li Na', 'Chen Jie', 'Maria Garcia', '刘洋', 'John Smith', '=HYPERLINK("http://x")', '']
const ORIGIN = 'engine:bench:1'

/** A min-heap on (ts, seq): events come out in time order, ties in the order they were made. */
class EventHeap {
  private readonly a: Ev[] = []
  get size(): number {
    return this.a.length
  }
  peek(): Ev | undefined {
    return this.a[0]
  }
  push(e: Ev): void {
    const a = this.a
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (less(a[p]!, a[i]!)) break
      ;[a[p], a[i]] = [a[i]!, a[p]!]
      i = p
    }
  }
  pop(): Ev {
    const a = this.a
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[m], a[i]] = [a[i]!, a[m]!]
        i = m
      }
    }
    return top
  }
}

function less(x: Ev, y: Ev): boolean {
  return x.ts < y.ts || (x.ts === y.ts && x.seq < y.seq)
}

export function generateCallLog(db: Database.Database, o: GenerateOptions): Generated {
  const rnd = prng(o.seed)
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const queues = Array.from({length: o.queues}, (_, i) => `q${i + 1}`)
  const agents = Array.from({length: o.agents}, (_, i) => `a${String(i + 1).padStart(3, '0')}`)
  const insertEvent = db.prepare('INSERT INTO events (ts, type, call_id, queue, agent, data, origin) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const insertRecording = db.prepare(
    "INSERT INTO recordings (name, call_id, queue, agent, number, started_at, ended_at, duration_ms, format, state, host_path, size_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'wav', 'done', ?, ?)",
  )
  const heap = new EventHeap()
  let seq = 0
  let written = 0
  let recordings = 0
  const add = (ts: number, type: EventType, callId: string | null, queue: string | null, agent: string | null, data: Record<string, unknown> = {}) =>
    heap.push({ts, seq: seq++, type, callId, queue, agent, data})
  const drainUntil = (ts: number) => {
    while (heap.size > 0 && heap.peek()!.ts <= ts) {
      const e = heap.pop()
      insertEvent.run(e.ts, e.type, e.callId, e.queue, e.agent, JSON.stringify(e.data), ORIGIN)
      written++
    }
  }

  const dayMs = 86_400_000
  for (let d = 0; d < o.days; d++) {
    for (const a of agents) {
      const memberOf = [queues[int(0, queues.length - 1)]!]
      add(o.start + d * dayMs + 7 * 3_600_000 + int(0, 3_600_000), 'agent.login', null, null, a, {queues: memberOf})
      const pauseAt = o.start + d * dayMs + 12 * 3_600_000 + int(0, 3_600_000)
      add(pauseAt, 'agent.paused', null, null, a, {reason: rnd() < 0.7 ? 'lunch' : 'break'})
      add(pauseAt + int(600_000, 3_600_000), 'agent.unpaused', null, null, a)
      add(o.start + d * dayMs + 22 * 3_600_000 + int(0, 3_600_000), 'agent.logout', null, null, a)
    }
  }

  const gap = (o.days * dayMs) / Math.max(1, o.calls)
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const t0 = Math.floor(o.start + i * gap + rnd() * gap)
      drainUntil(t0)
      const callId = `call-${t0.toString(36)}-${(i + 1).toString(16).padStart(10, '0')}`
      const number = `+86138${String(int(0, 99_999_999)).padStart(8, '0')}`
      const queue = queues[int(0, queues.length - 1)]!
      const priority = rnd() < 0.05 ? 10 : 0
      let t = t0
      add(t, 'call.started', callId, null, null, {direction: 'inbound', number, name: NAMES[int(0, NAMES.length - 1)], did: '4008001000', channel: `${t0}.${i}`, priority})
      if (rnd() < 0.3) {
        add((t += 200), 'ivr.started', callId, null, null, {flow: 'main', version: 1, did: '4008001000'})
        add((t += 10), 'ivr.node', callId, null, null, {flow: 'main', node: 'menu', kind: 'menu'})
        const key = String(int(1, 3))
        add((t += int(2000, 6000)), 'ivr.keys', callId, null, null, {flow: 'main', node: 'menu', keys: key, result: 'choice'})
        add((t += 10), 'ivr.ended', callId, null, null, {flow: 'main', action: 'queue', queue, keyTrail: key})
      }
      add((t += 50), 'queue.entered', callId, queue, null, {position: int(1, 8), priority})
      const entered = t
      const fate = rnd()
      if (fate < 0.1) {
        const waitMs = int(1000, 120_000)
        add((t += waitMs), 'queue.abandoned', callId, queue, null, {waitMs, position: int(1, 5), number, joinedAt: entered, priority})
        add((t += 5), 'call.ended', callId, queue, null, {cause: 'abandoned'})
        continue
      }
      let agent = agents[int(0, agents.length - 1)]!
      if (rnd() < 0.15) {
        add((t += int(0, 3000)), 'agent.ringing', callId, queue, agent, {endpoint: `PJSIP/${agent}`, channel: `${callId}.r1`})
        add((t += 15_000), 'agent.ring_noanswer', callId, queue, agent, {reason: 'timeout', ringMs: 15_000, outcome: 'no-answer'})
        agent = agents[int(0, agents.length - 1)]!
      }
      add((t += int(0, 20_000)), 'agent.ringing', callId, queue, agent, {endpoint: `PJSIP/${agent}`, channel: `${callId}.r2`})
      const ringMs = int(1000, 8000)
      add((t += ringMs), 'call.connected', callId, queue, agent, {waitMs: t - entered, ringMs, channel: `${callId}.r2`, number})
      const connectedAt = t
      add((t += 300), 'recording.started', callId, queue, agent, {recording: callId})
      let holdMs = 0
      if (rnd() < 0.05) {
        add((t += int(10_000, 60_000)), 'call.held', callId, queue, agent, {by: agent})
        holdMs = int(5000, 30_000)
        add((t += holdMs), 'call.unheld', callId, queue, agent, {by: agent, holdMs})
      }
      t += int(30_000, 400_000)
      const talkMs = t - connectedAt
      add(t, 'call.completed', callId, queue, agent, {by: rnd() < 0.6 ? 'caller' : 'agent', talkMs, holdMs, number})
      const wrap = int(5, 30)
      add(t, 'agent.wrapup_started', callId, queue, agent, {seconds: wrap})
      add(t + 200, 'recording.finished', callId, queue, agent, {recording: callId, durationMs: talkMs, sizeBytes: talkMs * 16})
      insertRecording.run(callId, callId, queue, agent, number, connectedAt + 300, t + 200, talkMs, `/var/spool/asterisk/recording/${callId}.wav`, talkMs * 16)
      recordings++
      if (rnd() < 0.2) add((t += 3000), 'survey.answered', callId, queue, agent, {score: int(1, 5), flow: 'main'})
      add((t += 100), 'call.ended', callId, queue, agent, {cause: 'completed'})
      add(t + wrap * 1000, 'agent.wrapup_ended', null, null, agent, {how: 'timer'})
    }
  })
  const batch = 20_000
  for (let i = 0; i < o.calls; i += batch) tx(i, Math.min(o.calls, i + batch))
  db.transaction(() => drainUntil(Number.MAX_SAFE_INTEGER))()
  return {calls: o.calls, events: written, recordings, queues}
}
