import {readFileSync} from 'node:fs'
import {afterAll, describe, expect, it} from 'vitest'
import {overloadView} from '../../src/engine/calls/overload.js'
import {readSandboxState} from '../../src/engine/sandbox/state.js'
import {finish, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'

// Issue 12, part 7: under overload Asterisk stopped answering ARI for seconds; the
// engine retried rings in a tight loop (11,393 failed POST /channels in 5 minutes),
// channels piled up and never drained. Here a scaled-down but real overload: callers
// keep coming while the sandbox Asterisk is frozen (SIGSTOP) for longer than the REST
// timeout, so requests time out and, on its return, a backlog of callers arrives at
// once. The engine must back off, shed new callers with an event, and everything must
// return to idle by itself.

const CALLERS = 60
const RATE = 3 // callers per second
const STALL_AT_MS = 6_000
const STALL_MS = 11_000 // past the REST client's 10 s timeout

/** CPU seconds Asterisk has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

describe('overload degrades, never spirals (real sandbox)', () => {
  let h: Harness | undefined
  let pid = 0
  afterAll(async () => {
    if (pid) process.kill(pid, 'SIGCONT')
    await finish(h)
  })

  it('backs off while Asterisk is frozen, sheds callers with events, and returns to idle', async () => {
    pid = readSandboxState(sandboxPaths())!.pid
    h = await startTestEngine({
      queues: {ovl: {wrapUp: 1, ringTimeout: 8, autoPauseAfter: 0}},
      agents: ['o1', 'o2', 'o3', 'o4'].map((id) => ({id, ring: 1, talk: {min: 2, max: 3}, queues: ['ovl']})),
    })
    const engine = h.engine
    const pressure = h.ari.pressure!
    expect(pressure).toBeDefined()

    // The engine's requests to Asterisk, sampled every 250 ms.
    const samples: {at: number; requests: number; failures: number; overloaded: boolean}[] = []
    const sampler = setInterval(() => {
      const v = pressure.view()
      samples.push({at: Date.now(), requests: v.requests, failures: v.failures, overloaded: v.overloaded})
    }, 250)

    const started = Date.now()
    const placed: Promise<unknown>[] = []
    const numbers: string[] = []
    const ids: string[] = []
    let stallStart = 0
    let stallEnd = 0
    const stall = setTimeout(() => {
      stallStart = Date.now()
      process.kill(pid, 'SIGSTOP')
      setTimeout(() => {
        process.kill(pid, 'SIGCONT')
        stallEnd = Date.now()
      }, STALL_MS)
    }, STALL_AT_MS)
    for (let i = 0; i < CALLERS; i++) {
      const wait = started + (i * 1000) / RATE - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const number = `+1777${String(i).padStart(4, '0')}`
      const channelId = `ovl-${started}-${i}`
      numbers.push(number)
      ids.push(channelId)
      // A caller placed while Asterisk is frozen may time out here and still be created later.
      placed.push(h.call({number, did: 'ovl', patience: 20, channelId}).catch(() => undefined))
    }
    await Promise.all(placed)
    clearTimeout(stall)
    await h.waitFor('Asterisk back', () => stallEnd > 0, 30_000)

    // The last caller leaves (answered or out of patience) ...
    const mine = new Set(ids)
    await h.waitFor('every caller gone from Asterisk', async () => !(await h!.rest.listChannels()).some((c) => mine.has(c.id.replace(/;2$/, ''))), 90_000)
    const lastLeft = Date.now()
    // ... and within 60 s Asterisk has no channel and the engine no call.
    await h.waitFor('Asterisk empty and the engine idle', async () => (await h!.rest.listChannels()).length === 0 && engine.liveCalls === 0, 60_000)
    const idleAfterMs = Date.now() - lastLeft
    await h.waitFor('overload over', () => !pressure.view().overloaded, 30_000)
    clearInterval(sampler)

    // Asterisk idle: under 20 % of one core over 3 s.
    const cpu0 = cpuSeconds(pid)
    await new Promise((r) => setTimeout(r, 3000))
    const asteriskCpu = (cpuSeconds(pid) - cpu0) / 3

    const events = await h.events()
    const overloaded = events.filter((e) => e.type === 'engine.overloaded')
    const shed = events.filter((e) => e.type === 'call.shed')
    // Requests per second over 1 s windows while the engine saw Asterisk slow (overloaded),
    // and on average over that time.
    const window = samples.filter((s) => s.at >= stallStart)
    let maxRate = 0
    for (let i = 0, j = 0; i < window.length; i++) {
      while (window[i]!.at - window[j]!.at > 1000) j++
      const span = (window[i]!.at - window[j]!.at) / 1000
      if (span >= 0.75 && window[j]!.overloaded) maxRate = Math.max(maxRate, (window[i]!.requests - window[j]!.requests) / span)
    }
    const slow = window.filter((s) => s.overloaded)
    const meanRate = slow.length > 1 ? (slow.at(-1)!.requests - slow[0]!.requests) / ((slow.at(-1)!.at - slow[0]!.at) / 1000) : 0
    const failures = pressure.view().failures
    const report = {maxRate: Math.round(maxRate), meanRate: Math.round(meanRate), slowForMs: slow.length ? slow.at(-1)!.at - slow[0]!.at : 0, failures, shed: shed.length, overloadedEvents: overloaded.map((e) => e.data.on), idleAfterMs, asteriskCpu: Math.round(asteriskCpu * 100)}
    console.log('overload run:', JSON.stringify(report))

    expect(overloaded.length, 'engine.overloaded on and off').toBeGreaterThanOrEqual(2)
    expect(overloaded[0]!.data.on).toBe(true)
    expect(overloaded.at(-1)!.data.on).toBe(false)
    expect(shed.length, 'callers shed while overloaded').toBeGreaterThan(0)
    expect(overloadView(engine.core).shed).toBe(shed.length)
    // Every shed caller's call ended, as shed.
    const ended = new Map(events.filter((e) => e.type === 'call.ended').map((e) => [e.callId, e.data.cause]))
    for (const e of shed) expect(ended.get(e.callId)).toBe('shed')
    // No retry storm: the old engine sent hundreds of failed originates a second.
    expect(slow.length, 'samples while overloaded').toBeGreaterThan(4)
    expect(maxRate).toBeLessThanOrEqual(100)
    expect(meanRate).toBeLessThanOrEqual(30)
    expect(failures).toBeLessThanOrEqual(40)
    expect(idleAfterMs).toBeLessThanOrEqual(60_000)
    expect(engine.liveCalls).toBe(0)
    expect(asteriskCpu).toBeLessThan(0.2)
  })
})
