import {afterAll, describe, expect, inject, it} from 'vitest'
import {isRunning} from '../../src/engine/sandbox/process.js'
import {sandboxDown, sandboxUp} from '../../src/engine/sandbox/sandbox.js'
import {readSandboxState} from '../../src/engine/sandbox/state.js'
import {createLogger} from '../../src/engine/util/log.js'
import {finish, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'

// Asterisk crashes and restarts under traffic: the engine notices (Asterisk's startup time changed),
// closes the calls it lost with that reason (a caller in line is system-ended, not abandoned), keeps the agents logged in, and serves new
// calls as soon as Asterisk is back. A clean stop (SIGTERM, as `sandbox down`) hangs the calls up
// first: its caller in line is system-ended too, not counted as one who gave up.

describe('Asterisk restart under traffic (real Asterisk)', () => {
  let h: Harness | undefined

  // Its last call is still talking at the end: hang it up, or the next file finds it in Asterisk.
  afterAll(async () => {
    await finish(h)
  })

  it('closes the lost calls, keeps agents logged in, and serves new calls within 10 s', async () => {
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, record: false}},
      agents: [{id: 'a1', ring: 0, talk: {min: 30, max: 30}, queues: ['q']}],
    })
    await h.call({number: '+15550800001', did: 'q', patience: 60}) // talking
    await h.waitFor('the first call connected', () => h!.engine.snapshot().calls.some((c) => c.state === 'connected'))
    await h.call({number: '+15550800002', did: 'q', patience: 60}) // waiting
    await h.waitFor('the second caller waiting', () => h!.engine.snapshot().calls.some((c) => c.state === 'waiting'))

    // A crash, not a clean stop: Asterisk sends nothing about the calls it drops.
    const paths = sandboxPaths()
    const port = Number(new URL(inject('sandbox').ariUrl).port)
    const pid = readSandboxState(paths)!.pid
    process.kill(pid, 'SIGKILL')
    await h.waitFor('Asterisk gone', () => !isRunning(pid), 10_000)
    await sandboxUp(paths, {port, log: createLogger({level: 'warn'})})
    const backAt = Date.now()

    await h.waitFor('the lost calls closed', async () => {
      const calls = await h!.calls()
      return calls.length === 2 && calls.every((c) => c.outcome === 'asterisk-restarted')
    }, 30_000)
    const snapshot = h.engine.snapshot()
    expect(snapshot.calls).toEqual([])
    expect(snapshot.agents[0]).toMatchObject({id: 'a1', state: 'idle'}) // still logged in, free again
    expect((await h.events()).some((e) => e.type === 'engine.asterisk_restarted')).toBe(true)

    await h.call({number: '+15550800003', did: 'q', patience: 30})
    const connected = await h.waitFor('a new call connected', async () => (await h!.calls()).find((c) => c.number === '+15550800003' && c.connectedAt), 15_000)
    const servedIn = connected.connectedAt! - backAt
    console.log(`new call connected ${servedIn} ms after Asterisk answered again`)
    expect(servedIn).toBeLessThan(10_000)
    const first = (await h.calls()).find((c) => c.number === '+15550800001')!
    expect(first.trail).toEqual(expect.arrayContaining(['call.connected', 'call.completed', 'call.ended']))
    // The caller in line gave up nothing: its wait ended with Asterisk, counted apart from abandons.
    const second = (await h.calls()).find((c) => c.number === '+15550800002')!
    expect(second.trail).toContain('queue.system_ended')
    expect(second.trail).not.toContain('queue.abandoned')
  }, 90_000)

  it('a clean stop under calls: the caller in line is system-ended (asterisk-stopped), the talking call completes by the system', async () => {
    await finish(h)
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, record: false}},
      agents: [{id: 'a1', ring: 0, talk: {min: 60, max: 60}, queues: ['q']}],
    })
    await h.call({number: '+15550800011', did: 'q', patience: 90}) // talking
    await h.waitFor('the first call connected', () => h!.engine.snapshot().calls.some((c) => c.state === 'connected'))
    await h.call({number: '+15550800012', did: 'q', patience: 90}) // waiting
    await h.waitFor('the second caller waiting', () => h!.engine.snapshot().calls.some((c) => c.state === 'waiting'))

    // Asterisk hangs every channel up itself (soft hang-up, AST_SOFTHANGUP_SHUTDOWN) before it goes.
    const paths = sandboxPaths()
    const port = Number(new URL(inject('sandbox').ariUrl).port)
    await sandboxDown(paths, {force: true})
    try {
      await h.waitFor('both calls ended', () => h!.engine.snapshot().calls.length === 0, 20_000)
      const events = await h.events()
      const of = (number: string) => {
        const id = events.find((e) => e.type === 'call.started' && e.data.number === number)!.callId
        return events.filter((e) => e.callId === id)
      }
      const waiting = of('+15550800012')
      expect(waiting.map((e) => e.type)).not.toContain('queue.abandoned')
      expect(waiting.find((e) => e.type === 'queue.system_ended')!.data).toMatchObject({reason: 'asterisk-stopped', number: '+15550800012'})
      expect(waiting.find((e) => e.type === 'call.ended')!.data).toEqual({cause: 'system-ended'})
      const talking = of('+15550800011')
      expect(talking.find((e) => e.type === 'call.completed')!.data).toMatchObject({by: 'system'})
    } finally {
      // The lane's next files need their Asterisk.
      await sandboxUp(paths, {port, log: createLogger({level: 'warn'})})
    }
  }, 90_000)
})
