// Calls on real SIP with RTP through the engine: carrier callers (SIPp) pressing an RFC
// 4733 digit in an IVR menu and reaching agents on registered phones (SIPp and
// baresip) provisioned by the product's addPhone; audio both ways measured on the
// phones' own recordings; monitor, whisper and barge from a registered supervisor
// phone, measured like test/integration/supervision.test.ts measures simulated ones.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, inject, it} from 'vitest'
import {AriHttp, type StasisStartEvent} from '../../src/engine/ari/index.js'
import {loadPromptBook} from '../../src/engine/front-door.js'
import {deployFlow} from '../../src/engine/ivr/flow-service.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {mono, parseWav, slice} from '../support/audio.js'
import {leftovers, sandboxCreds, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {addPhones, baresipPassword, finishSipFile, lastEventId, phoneHome, routeCarrierTo, waitAgentState, waitEvent} from '../support/sip/engine-phones.js'
import {bandShare} from '../support/sip/tone-band.js'
import {killAllSipAgents, startCaller, startSippPhone} from '../support/sip/sipp.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

const IVR_DID = '7000301'
const CALLER_TONE = 440
const AGENT_TONE = 1000
const SUPERVISOR_TONE = 2000
/** Each supervision mode lasts this long; what each phone heard is measured in its middle 2 s. */
const PHASE_MS = 4000

const MENU = `
flow: sip-menu
start: menu
nodes:
  menu:
    type: menu
    prompt: [sound:vm-press, digits:1, sound:for]
    choices: {"1": sales}
    timeout: 5
    retries: 1
    onTimeout: bye
    onInvalid: bye
  sales: {type: queue, queue: sales}
  bye: {type: hangup, prompt: sound:vm-goodbye}
`

// Phones (ids are SIP user names and extensions; 91xx belong to sip-kit.test.ts).
const PHONES = [
  {id: '8201', agent: 's1'}, // SIPp, sales
  {id: '8202', agent: 's2'}, // baresip, sales
  {id: '8204', agent: 'au1'}, // baresip, audio
  {id: '8205', agent: 'sv1'}, // baresip, supervised
  {id: '8203'}, // baresip caller (a phone dialling a queue is an inbound caller)
  {id: '8206'}, // baresip supervisor
]
/** Simulated-agent fields the harness wants; addPhone replaces the endpoint with PJSIP/<phone>. */
const agent = (id: string, queue: string) => ({id, ring: 0, talk: {min: 1, max: 1}, queues: [queue]})

describe('real SIP calls through the engine (SIPp and baresip on the sandbox)', () => {
  const sip = inject('sandbox').sip
  const home = phoneHome()
  const rest = new AriHttp(sandboxCreds())
  let h: Harness
  let pw: Record<string, string> = {}
  let restoreApp: (() => Promise<void>) | undefined
  /** Channel names of every channel that entered the engine's app, by id. */
  const channelNames = new Map<string, string>()
  const baresips: BaresipPhone[] = []

  /** A baresip phone; `codec` limits it to one codec (see baresipPassword: why callers use PCMA). */
  async function baresip(user: string, toneHz: number, codec?: 'PCMA' | 'PCMU'): Promise<BaresipPhone> {
    const password = codec ? baresipPassword(pw[user]!, {audio_codecs: codec}) : pw[user]!
    const p = await startBaresip({sip, user, password, toneHz, keepDir: !!process.env.SIP_DEBUG})
    baresips.push(p)
    return p
  }

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {sales: {wrapUp: 0}, audio: {wrapUp: 0}, sup: {wrapUp: 0}},
      agents: [agent('s1', 'sales'), agent('s2', 'sales'), agent('au1', 'audio'), agent('sv1', 'sup')],
      frontDoor: true,
      phones: {paths: home.paths},
      beforeStart: async (store) => {
        pw = await addPhones(store, home.paths, rest, PHONES)
      },
    })
    h.ari.on('StasisStart', (e: StasisStartEvent) => void channelNames.set(e.channel.id, e.channel.name))
    restoreApp = await routeCarrierTo(h.rest, h.app)
    const file = join(mkdtempSync(join(tmpdir(), 'callctl-flow-')), 'flow.yaml')
    writeFileSync(file, MENU)
    await deployFlow(file, IVR_DID, repositoriesOf(h.store).flows, await loadPromptBook(h.store, sandboxPaths()), h.store, Date.now())
    rmSync(join(file, '..'), {recursive: true, force: true})
  })

  afterEach(async () => {
    // Every UA a test started is gone (graceful stops unregistered them already).
    for (const p of baresips.splice(0)) {
      await p.stop()
      p.cleanup()
    }
    await killAllSipAgents()
    await h.waitFor('no channels left', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
  })

  afterAll(async () => {
    expect(await finishSipFile({h, rest, home, phones: PHONES.map((p) => p.id), restoreApp})).toEqual([])
  })

  it('carrier callers press 1 (RFC 4733) in the IVR, reach sales agents on registered SIP phones, and the calls end cleanly from either side', async () => {
    const after = await lastEventId(h)
    // s1's phone hangs up 2.5 s after answering; s2's stays until the caller hangs up.
    const sippAgent = await startSippPhone({sip, user: '8201', password: pw['8201']!, talkMs: 2500})
    const bareAgent = await baresip('8202', AGENT_TONE)
    await waitAgentState(h, 's1', 'idle')
    await waitAgentState(h, 's2', 'idle')
    const bareFrom = bareAgent.events.length

    const caller = await startCaller({
      sip,
      calls: [
        {did: IVR_DID, from: '0611000001'},
        {did: IVR_DID, from: '0611000002'},
      ],
      dtmfMs: 1500,
      // From the digit: long past s1's 2.5 s talk, so s1's caller is hung up by the agent side.
      holdMs: 9000,
      timeoutMs: 60_000,
    })
    const r = await caller.done
    caller.cleanup()
    expect(r.exitCode, r.errors).toBe(0)
    expect(r.stats?.successful).toBe(2)
    expect(r.stats?.failed).toBe(0)
    expect(r.log.filter((l) => l.startsWith('dtmf 1 '))).toHaveLength(2)
    // One call ended by the agent's phone (Asterisk's BYE to the caller), one by the caller.
    expect(r.log.filter((l) => l.startsWith('far end hung up '))).toHaveLength(1)
    expect(r.log.filter((l) => l.startsWith('hung up '))).toHaveLength(1)

    const events = (await h.events()).filter((e) => e.id > after)
    const connected = events.filter((e) => e.type === 'call.connected')
    expect(connected).toHaveLength(2)
    expect(connected.map((e) => e.agent).sort()).toEqual(['s1', 's2'])
    for (const c of connected) {
      // The IVR heard the caller's RFC 4733 digit as "1".
      const keys = events.filter((e) => e.callId === c.callId && e.type === 'ivr.keys')
      expect(keys.map((e) => `${e.data.node}:${e.data.keys}:${e.data.result}`)).toEqual(['menu:1:choice'])
      // The agent leg is the agent's SIP phone: the ring went to PJSIP/<phone> and the channel that answered is one of it.
      const phone = PHONES.find((p) => p.agent === c.agent)!.id
      const ringing = events.find((e) => e.type === 'agent.ringing' && e.data.channel === c.data.channel)
      expect(ringing?.data.endpoint).toBe(`PJSIP/${phone}`)
      expect(channelNames.get(String(c.data.channel))).toMatch(new RegExp(`^PJSIP/${phone}-`))
    }
    const records = await Promise.all(connected.map((c) => h.waitFor(`call ${c.callId} ended`, async () => (await h.calls()).find((x) => x.callId === c.callId && x.outcome !== 'live'), 15_000)))
    const byAgent = Object.fromEntries(records.map((c) => [c.agent, c]))
    for (const c of records) {
      expect(c.outcome).toBe('completed')
      expect(c.queue).toBe('sales')
      expect(c.keyTrail).toEqual(['menu:1'])
    }
    expect(byAgent.s1!.completedBy).toBe('agent')
    expect(byAgent.s2!.completedBy).toBe('caller')
    // The callers' legs came in over the carrier trunk.
    expect([...channelNames.values()].filter((n) => n.startsWith('PJSIP/carrier-'))).toHaveLength(2)

    // Each phone saw its call start and end.
    expect(sippAgent.answered()).toHaveLength(1)
    await h.waitFor('the SIPp phone to log its call ended', () => sippAgent.ended().length === 1, 5000)
    await bareAgent.waitForEvent('CALL_ESTABLISHED', {from: bareFrom, timeoutMs: 1000})
    await bareAgent.waitForEvent('CALL_CLOSED', {from: bareFrom, timeoutMs: 5000})
    expect((await leftovers(h.rest)).channels).toEqual([])
    await sippAgent.stop()
  })

  it('audio flows both ways on a connected SIP call: the agent hears the caller’s tone, the caller hears the agent’s', async () => {
    // Different codecs: baresip 1.0 sometimes records silence after the stream it hears
    // changes source (hold music, then the agent), seen here 1 run in 3 under load
    // (baresipPassword says why transcoding avoids it).
    const agentPhone = await baresip('8204', AGENT_TONE, 'PCMU')
    const callerPhone = await baresip('8203', CALLER_TONE, 'PCMA')
    await waitAgentState(h, 'au1', 'idle')
    const after = await lastEventId(h)
    const aFrom = agentPhone.events.length
    const cFrom = callerPhone.events.length
    await callerPhone.dial('audio')
    await agentPhone.waitForEvent('CALL_ESTABLISHED', {from: aFrom, timeoutMs: 15_000})
    const connected = await waitEvent(h, 'au1 connected', (e) => e.type === 'call.connected' && e.agent === 'au1', {afterId: after})
    await sleep(4000)
    const agentClosed = closedAt(agentPhone, aFrom)
    const callerClosed = closedAt(callerPhone, cFrom)
    await agentPhone.hangup()
    await Promise.all([agentClosed, callerClosed])

    // The last 3 s of the call (to 0.5 s before the hang-up) are the two talking.
    const tail = (p: BaresipPhone) => {
      const wav = parseWav(readFileSync(p.recordings().heard.at(-1)!))
      const s = mono(wav)
      const ms = wav.durationMs
      return {s: slice(s, wav.sampleRate, ms - 3500, ms - 500), rate: wav.sampleRate, ms}
    }
    const agentHeard = tail(agentPhone)
    const callerHeard = tail(callerPhone)
    const agentHearsCaller = bandShare(agentHeard.s, agentHeard.rate, CALLER_TONE)
    const callerHearsAgent = bandShare(callerHeard.s, callerHeard.rate, AGENT_TONE)
    console.log(`SIP audio: agent heard caller ${CALLER_TONE} Hz share ${agentHearsCaller.toFixed(2)} (own ${bandShare(agentHeard.s, agentHeard.rate, AGENT_TONE).toFixed(2)}); caller heard agent ${AGENT_TONE} Hz share ${callerHearsAgent.toFixed(2)} (own ${bandShare(callerHeard.s, callerHeard.rate, CALLER_TONE).toFixed(2)}); recordings ${Math.round(agentHeard.ms)} / ${Math.round(callerHeard.ms)} ms`)
    expect(agentHearsCaller).toBeGreaterThan(0.5)
    expect(callerHearsAgent).toBeGreaterThan(0.5)
    // Nobody hears itself (no echo through the bridge).
    expect(bandShare(agentHeard.s, agentHeard.rate, AGENT_TONE)).toBeLessThan(0.05)
    expect(bandShare(callerHeard.s, callerHeard.rate, CALLER_TONE)).toBeLessThan(0.05)

    const record = await h.waitFor('the audio call ended', async () => (await h.calls()).find((c) => c.callId === connected.callId && c.outcome !== 'live'), 10_000)
    expect(record).toMatchObject({outcome: 'completed', agent: 'au1', completedBy: 'agent', number: '8203'})
  })

  it('monitor, whisper and barge from a registered supervisor phone, with what each phone heard measured', async () => {
    const agentPhone = await baresip('8205', AGENT_TONE)
    // The caller on PCMA, the agent and the supervisor on PCMU: see baresipPassword.
    const callerPhone = await baresip('8203', CALLER_TONE, 'PCMA')
    const supPhone = await baresip('8206', SUPERVISOR_TONE)
    await waitAgentState(h, 'sv1', 'idle')
    const after = await lastEventId(h)
    const from = {agent: agentPhone.events.length, caller: callerPhone.events.length, supervisor: supPhone.events.length}
    await callerPhone.dial('sup')
    await waitEvent(h, 'sv1 connected', (e) => e.type === 'call.connected' && e.agent === 'sv1', {afterId: after})
    const call = h.engine.control.callOfAgent('sv1')
    const sup = await h.engine.supervision.start(h.engine.control.supervised(call), 'monitor', 'PJSIP/8206', 'qa-lead')
    await supPhone.waitForEvent('CALL_ESTABLISHED', {from: from.supervisor, timeoutMs: 10_000})
    await waitEvent(h, 'supervise.connected', (e) => e.type === 'supervise.connected', {afterId: after})
    const phases: {mode: string; at: number}[] = [{mode: 'monitor', at: Date.now()}]
    await sleep(PHASE_MS)
    await h.engine.supervision.setMode(sup.id, 'whisper', 'qa-lead')
    phases.push({mode: 'whisper', at: Date.now()})
    await sleep(PHASE_MS)
    await h.engine.supervision.setMode(sup.id, 'barge', 'qa-lead')
    phases.push({mode: 'barge', at: Date.now()})
    await sleep(PHASE_MS)
    const supChannels = (await h.rest.listChannels()).filter((c) => c.name.startsWith('PJSIP/8206-')).length
    const supClosed = closedAt(supPhone, from.supervisor)
    await h.engine.supervision.stop(sup.id, 'qa-lead')
    const ends = {supervisor: await supClosed, agent: closedAt(agentPhone, from.agent), caller: closedAt(callerPhone, from.caller)}
    await agentPhone.hangup()
    const end = {supervisor: ends.supervisor, agent: await ends.agent, caller: await ends.caller}

    // Each recording ends when its phone's call closed: that anchors it to the clock
    // (its start would include the wait in queue, where a phone may get no RTP at all).
    const heard = Object.fromEntries(
      (['caller', 'agent', 'supervisor'] as const).map((who) => {
        const phone = {caller: callerPhone, agent: agentPhone, supervisor: supPhone}[who]
        const wav = parseWav(readFileSync(phone.recordings().heard.at(-1)!))
        return [who, {s: mono(wav), rate: wav.sampleRate, startedAt: end[who] - wav.durationMs}]
      }),
    ) as Record<'caller' | 'agent' | 'supervisor', {s: Float32Array; rate: number; startedAt: number}>
    const share = (who: 'caller' | 'agent' | 'supervisor', mode: string, freq: number): number => {
      const p = phases.find((x) => x.mode === mode)!
      const r = heard[who]
      const fromMs = p.at - r.startedAt + 1000
      return bandShare(slice(r.s, r.rate, fromMs, fromMs + PHASE_MS - 2000), r.rate, freq)
    }
    // SIP_DEBUG=1: each phone's directory is kept (baresip.log, snd/) and each second's shares printed.
    if (process.env.SIP_DEBUG) {
      const {rms} = await import('../support/audio.js')
      for (const who of ['caller', 'agent', 'supervisor'] as const) {
        const r = heard[who]
        const rows: string[] = []
        for (let t = 0; t * 1000 < (r.s.length / r.rate) * 1000; t++) {
          const w = slice(r.s, r.rate, t * 1000, t * 1000 + 1000)
          rows.push(`${new Date(r.startedAt + t * 1000).toISOString().slice(17, 21)} ${rms(w).toFixed(3)} ${[CALLER_TONE, AGENT_TONE, SUPERVISOR_TONE].map((f) => bandShare(w, r.rate, f).toFixed(2)).join('/')}`)
        }
        console.log(who, 'phases', phases.map((p) => `${p.mode}@${new Date(p.at).toISOString().slice(17, 21)}`).join(' '), '\n' + rows.join('\n'))
      }
    }
    console.log(
      'SIP supervision (shares of 440 caller / 1000 agent / 2000 supervisor heard):\n' +
        phases
          .map((p) => `${p.mode.padEnd(8)} ${(['caller', 'agent', 'supervisor'] as const).map((who) => `${who} ${[CALLER_TONE, AGENT_TONE, SUPERVISOR_TONE].map((f) => share(who, p.mode, f).toFixed(2)).join('/')}`).join('  ')}`)
          .join('\n'),
    )

    // Monitor: the supervisor hears both; neither party hears the supervisor.
    expect(share('supervisor', 'monitor', CALLER_TONE)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'monitor', AGENT_TONE)).toBeGreaterThan(0.1)
    expect(share('agent', 'monitor', SUPERVISOR_TONE)).toBeLessThan(0.01)
    expect(share('caller', 'monitor', SUPERVISOR_TONE)).toBeLessThan(0.01)
    // Whisper: the agent hears the supervisor (and still the caller); the caller does not.
    expect(share('agent', 'whisper', SUPERVISOR_TONE)).toBeGreaterThan(0.1)
    expect(share('agent', 'whisper', CALLER_TONE)).toBeGreaterThan(0.1)
    expect(share('caller', 'whisper', SUPERVISOR_TONE)).toBeLessThan(0.01)
    expect(share('caller', 'whisper', AGENT_TONE)).toBeGreaterThan(0.1)
    expect(share('supervisor', 'whisper', CALLER_TONE)).toBeGreaterThan(0.1)
    // Barge: all three hear each other.
    for (const [who, freqs] of [
      ['caller', [AGENT_TONE, SUPERVISOR_TONE]],
      ['agent', [CALLER_TONE, SUPERVISOR_TONE]],
      ['supervisor', [CALLER_TONE, AGENT_TONE]],
    ] as const) {
      for (const f of freqs) expect(share(who, 'barge', f), `${who} hears ${f} Hz in barge`).toBeGreaterThan(0.1)
    }

    expect(supChannels).toBe(1)
    const audit = (await h.events()).filter((e: StoredEvent) => e.id > after && e.type.startsWith('supervise.'))
    expect(audit.map((e) => e.type)).toEqual(['supervise.started', 'supervise.connected', 'supervise.mode_changed', 'supervise.mode_changed', 'supervise.stopped'])
    expect(audit[0]).toMatchObject({agent: 'sv1', data: {mode: 'monitor', from: 'PJSIP/8206', by: 'qa-lead'}})
  })
})

/** When the phone's next CALL_CLOSED (at or after event index `from`) arrives: start waiting before the hang-up. */
function closedAt(p: BaresipPhone, from: number): Promise<number> {
  return p.waitForEvent('CALL_CLOSED', {from, timeoutMs: 15_000}).then(() => Date.now())
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
