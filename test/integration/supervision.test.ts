import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {mono, parseWav, slice, toneShare} from '../support/audio.js'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'

// Monitor, whisper and barge on the real sandbox, with the audio measured, not assumed.
// The caller plays 440 Hz, the agent 1000 Hz and the supervisor 2000 Hz; each records
// what it hears (MixMonitor's receive side on the simulated phone). One call goes
// through monitor → whisper → barge on the same supervisor line, 5 s each.

const CALLER = 440
const AGENT = 1000
const SUPERVISOR = 2000
const PHASE_MS = 5000

describe('supervision with measured audio (real Asterisk)', () => {
  let h: Harness
  let events: StoredEvent[]
  const heard: Record<'caller' | 'agent' | 'supervisor', {samples: Float32Array; rate: number; startedAt: number}> = {} as never
  const phases: {mode: string; at: number}[] = []
  let supervisorChannels = 0

  beforeAll(async () => {
    h = await startTestEngine({queues: {q: {wrapUp: 0, record: false}}, agents: [{id: 'ag', ring: 0, talk: {min: 40, max: 40}, queues: ['q']}]})
    const tag = h.app
    await h.rest.setGlobalVar('SIMREC_ag', `${tag}-agent`)
    await h.call({number: '+15550600001', did: 'q', patience: 60, record: `${tag}-caller`})
    const callId = await h.waitFor('the call connected', () => h.engine.snapshot().calls.find((c) => c.state === 'connected')?.id)
    const call = h.engine.control.callOfAgent('ag')
    const from = `Local/${SUPERVISOR}-${tag}sup@callctl-sim-supervisor`
    const sup = await h.engine.supervision.start(h.engine.control.supervised(call), 'monitor', from, 'qa-lead')
    await h.waitFor('the supervisor connected', async () => (await h.events()).some((e) => e.type === 'supervise.connected'))
    phases.push({mode: 'monitor', at: Date.now()})
    await sleep(PHASE_MS)
    await h.engine.supervision.setMode(sup.id, 'whisper', 'qa-lead')
    phases.push({mode: 'whisper', at: Date.now()})
    await sleep(PHASE_MS)
    await h.engine.supervision.setMode(sup.id, 'barge', 'qa-lead')
    phases.push({mode: 'barge', at: Date.now()})
    await sleep(PHASE_MS)
    supervisorChannels = (await h.rest.listChannels()).filter((c) => c.name.includes('callctl-sim-supervisor') && c.name.endsWith(';2')).length
    await h.engine.supervision.stop(sup.id, 'qa-lead')
    await h.engine.control.hangupCall(callId, 'qa-lead')
    await h.ended('+15550600001')
    await h.waitFor('Asterisk clean', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
    events = await h.events()
    const {root, instanceDir} = inject('sandbox')
    const dir = join(root, instanceDir, 'spool', 'monitor')
    const startOf = {
      caller: events.find((e) => e.type === 'call.started')!.ts,
      agent: events.find((e) => e.type === 'call.connected')!.ts,
      supervisor: events.find((e) => e.type === 'supervise.connected')!.ts,
    }
    for (const who of ['caller', 'agent', 'supervisor'] as const) {
      const file = join(dir, `${tag}${who === 'supervisor' ? 'sup' : `-${who}`}-heard.wav`)
      await h.waitFor(`${file} written`, () => existsSync(file))
      const wav = parseWav(readFileSync(file))
      heard[who] = {samples: mono(wav), rate: wav.sampleRate, startedAt: startOf[who]}
    }
  }, 120_000)

  afterAll(async () => {
    await h?.stop()
  })

  it('reports what each party heard (shares of 440 / 1000 / 2000 Hz)', () => {
    const rows = phases.map((p) =>
      (['caller', 'agent', 'supervisor'] as const).map((who) => `${who} ${[CALLER, AGENT, SUPERVISOR].map((f) => share(who, p.mode, f).toFixed(2)).join('/')}`).join('  '),
    )
    console.log(phases.map((p, i) => `${p.mode.padEnd(8)} ${rows[i]}`).join('\n'))
    expect(rows).toHaveLength(3)
  })

  /** Share of what `who` heard during the middle of a phase that is at `freq`. */
  function share(who: 'caller' | 'agent' | 'supervisor', mode: string, freq: number): number {
    const p = phases.find((x) => x.mode === mode)!
    const h = heard[who]
    const from = p.at - h.startedAt + 1000
    return toneShare(slice(h.samples, h.rate, from, from + PHASE_MS - 2000), h.rate, freq)
  }

  it('monitor: the supervisor hears both parties; neither party hears the supervisor', () => {
    expect(share('supervisor', 'monitor', CALLER)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'monitor', AGENT)).toBeGreaterThan(0.1)
    expect(share('agent', 'monitor', SUPERVISOR)).toBeLessThan(0.01)
    expect(share('caller', 'monitor', SUPERVISOR)).toBeLessThan(0.01)
  })

  it('whisper: the agent hears the supervisor, the caller does not', () => {
    expect(share('agent', 'whisper', SUPERVISOR)).toBeGreaterThan(0.1)
    expect(share('agent', 'whisper', CALLER)).toBeGreaterThan(0.1)
    expect(share('caller', 'whisper', SUPERVISOR)).toBeLessThan(0.01)
    expect(share('caller', 'whisper', AGENT)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'whisper', CALLER)).toBeGreaterThan(0.1)
  })

  it('barge: all three hear each other', () => {
    expect(share('caller', 'barge', SUPERVISOR)).toBeGreaterThan(0.1)
    expect(share('caller', 'barge', AGENT)).toBeGreaterThan(0.1)
    expect(share('agent', 'barge', SUPERVISOR)).toBeGreaterThan(0.1)
    expect(share('agent', 'barge', CALLER)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'barge', CALLER)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'barge', AGENT)).toBeGreaterThan(0.1)
  })

  it('switches modes on the same supervisor line and audits every step', () => {
    expect(supervisorChannels).toBe(1)
    const audit = events.filter((e) => e.type.startsWith('supervise.'))
    expect(audit.map((e) => e.type)).toEqual(['supervise.started', 'supervise.connected', 'supervise.mode_changed', 'supervise.mode_changed', 'supervise.stopped'])
    expect(audit[0]).toMatchObject({agent: 'ag', data: {mode: 'monitor', by: 'qa-lead'}})
    expect(audit.filter((e) => e.type === 'supervise.mode_changed').map((e) => `${e.data.from}>${e.data.to}`)).toEqual(['monitor>whisper', 'whisper>barge'])
    const stopped = audit.at(-1)!
    expect(stopped.data).toMatchObject({reason: 'stopped', by: 'qa-lead'})
    expect(Number(stopped.data.durationMs)).toBeGreaterThan(3 * PHASE_MS - 500)
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
