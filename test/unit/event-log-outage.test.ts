import {describe, expect, it} from 'vitest'
import {EventLog} from '../../src/engine/calls/event-log.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import type {Store} from '../../src/engine/store/store.js'
import type {Logger} from '../../src/engine/util/log.js'
import {FakeClock} from '../support/fake-clock.js'

type Line = {level: string; msg: string; fields?: Record<string, unknown>}

function recordingLog(): Logger & {lines: Line[]} {
  const lines: Line[] = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({level, msg, fields})
  return {lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error')}
}

/** A store that refuses every write while `down` (PostgreSQL stopped) and keeps what it is given otherwise. */
function switchableStore() {
  const written: NewEvent[] = []
  const s = {
    down: false,
    written,
    appendEvents: async (batch: NewEvent[]) => {
      if (s.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
      written.push(...batch)
    },
  }
  return s
}

describe('event log during a store outage: one line when it starts, one a minute while it lasts, one when it ends', () => {
  it('a ten-minute outage retried every 5 s logs 12 lines instead of one per retry, and loses nothing', async () => {
    const clock = new FakeClock()
    const store = switchableStore()
    const log = recordingLog()
    const events = new EventLog(store as unknown as Store, clock, log, 'engine-1')
    try {
      events.append({type: 'agent.login', agent: 'a0'})
      await events.flush()
      expect(log.lines).toEqual([])

      store.down = true
      let retries = 0
      for (let t = 0; t <= 600_000; t += 5_000) {
        events.append({type: 'agent.login', agent: `a${t}`})
        await events.flush()
        retries++
        clock.advance(t === 600_000 ? 0 : 5_000)
      }
      expect(retries).toBe(121)
      const errors = log.lines.filter((l) => l.level === 'error')
      // The first failure, then one at 60 s, 120 s … 600 s.
      expect(errors).toHaveLength(11)
      expect(errors[0]!.msg).toMatch(/^EVENT LOG WRITE FAILED: events are held in memory and retried/)
      expect(errors[0]!.fields).toMatchObject({error: 'connect ECONNREFUSED 127.0.0.1:5432', buffered: 1})
      expect(errors.slice(1).map((l) => l.msg)).toEqual(
        Array.from({length: 10}, (_, i) => `event log still unreachable for ${(i + 1) * 60}s, ${(i + 1) * 12 + 1} events held`),
      )

      store.down = false
      clock.advance(5_000)
      await events.flush()
      const last = log.lines.at(-1)!
      expect(log.lines).toHaveLength(12)
      expect(last).toMatchObject({level: 'warn', msg: 'event log writable again', fields: {written: 121, unreachableFor: '605s'}})
      expect(store.written).toHaveLength(122)
      expect(events.pending).toBe(0)

      // A second outage is reported from its start again, not as the tail of the first.
      store.down = true
      events.append({type: 'agent.logout', agent: 'a0'})
      await events.flush()
      expect(log.lines).toHaveLength(13)
      expect(log.lines.at(-1)!.msg).toMatch(/^EVENT LOG WRITE FAILED/)
      store.down = false
    } finally {
      await events.close(1_000)
    }
  })

  it('an outage shorter than a minute is two lines: the failure and the recovery', async () => {
    const clock = new FakeClock()
    const store = switchableStore()
    const log = recordingLog()
    const events = new EventLog(store as unknown as Store, clock, log, 'engine-1')
    try {
      store.down = true
      for (let i = 0; i < 12; i++) {
        events.append({type: 'agent.login', agent: `a${i}`})
        await events.flush()
        clock.advance(4_900)
      }
      store.down = false
      await events.flush()
      expect(log.lines.map((l) => [l.level, l.msg.split(':')[0]])).toEqual([
        ['error', 'EVENT LOG WRITE FAILED'],
        ['warn', 'event log writable again'],
      ])
      expect(store.written).toHaveLength(12)
    } finally {
      await events.close(1_000)
    }
  })
})
