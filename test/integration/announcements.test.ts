import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'

// Position and expected-wait announcements on the real sandbox, and how far the
// announced wait is from the wait each caller then really had.
describe('announcements while waiting (real Asterisk)', () => {
  let h: Harness
  // One agent, 8 s calls and 1 s wrap-up: callers wait about 0, 9, 18, 27 and 36 s,
  // long enough for an announcement (5 s in, about 9 s long) to finish first.
  const numbers = Array.from({length: 5}, (_, i) => `+1555030${String(i).padStart(4, '0')}`)

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 1, announceEvery: 5, defaultHandleTime: 8}},
      agents: [{id: 'a1', ring: 0, talk: {min: 8, max: 8}, queues: ['q']}],
    })
    for (const n of numbers) {
      await h.call({number: n, did: 'q', patience: 120})
      await new Promise((r) => setTimeout(r, 200))
    }
    await h.waitFor('every caller served', async () => (await h.calls()).filter((c) => c.outcome === 'completed').length === numbers.length, 90_000)
  }, 120_000)

  afterAll(async () => {
    try {
      // What is left is named, and the engine stops anyway: a leftover here must not become the next file's.
      await h?.waitFor('Asterisk clean', async () => (await leftovers(h.rest)).channels.length === 0, 10_000).catch(async (err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify(await leftovers(h!.rest))}`)
      })
    } finally {
      await h?.stop()
    }
  })

  it('plays the position to waiting callers (PlaybackFinished logged as queue.announced)', async () => {
    const announced = (await h.events()).filter((e) => e.type === 'queue.announced')
    expect(announced.length).toBeGreaterThanOrEqual(3)
    for (const a of announced) {
      expect(Number(a.data.position)).toBeGreaterThanOrEqual(1)
      expect(Number(a.data.position)).toBeLessThanOrEqual(4)
      expect(a.data.playback).toMatch(/\.p\d+$/)
    }
  })

  it('announces an expected wait close to the real one', async () => {
    const events = await h.events()
    const connectedAt = new Map(events.filter((e) => e.type === 'call.connected').map((e) => [e.callId, e.ts]))
    const rows: {call: string; position: number; estimated: number; actual: number; naive: number}[] = []
    const seen = new Set<string>()
    for (const a of events.filter((e) => e.type === 'queue.announced' && e.data.expectedWaitMs !== null)) {
      if (seen.has(a.callId!)) continue // each caller's first estimate
      seen.add(a.callId!)
      const at = Number(a.data.estimatedAt)
      const position = Number(a.data.position)
      rows.push({
        call: a.callId!,
        position,
        estimated: Number(a.data.expectedWaitMs),
        actual: connectedAt.get(a.callId!)! - at,
        // What an app_queue-style "position × average hold time" would have said.
        naive: position * 9000,
      })
    }
    expect(rows.length).toBeGreaterThanOrEqual(3)
    const mae = rows.reduce((s, r) => s + Math.abs(r.estimated - r.actual), 0) / rows.length
    const naiveMae = rows.reduce((s, r) => s + Math.abs(r.naive - r.actual), 0) / rows.length
    console.log(
      `announced vs actual wait (ms):\n${rows.map((r) => `  position ${r.position}: announced ${Math.round(r.estimated)}, actual ${r.actual}, naive ${r.naive}`).join('\n')}\n` +
        `  mean absolute error ${Math.round(mae)} ms (naive estimate: ${Math.round(naiveMae)} ms)`,
    )
    expect(mae).toBeLessThan(2500)
  })
})
