// The SIP test kit (test/support/sip) against the real sandbox: real user agents
// (SIPp, baresip) register as provisioned phones, ARI sees them online and offline,
// a phone calls another through the dialplan, and a carrier caller with no engine
// running hears the all-circuits-busy fallback.
import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {mono, parseWav, rms, toneShare} from '../support/audio.js'
import {sandboxCreds} from '../support/harness.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {endpointState, provisionPhone, removePhone} from '../support/sip/provision.js'
import {killAllSipAgents, runCaller, startSippPhone, type SippPhone} from '../support/sip/sipp.js'
import {until} from '../support/wait.js'

const SIPP_PHONE = {id: '9101', password: 'kit-9101-secret'}
const BARESIP_PHONE = {id: '9102', password: 'kit-9102-secret'}
const BARESIP_TONE = 660

describe('SIP test kit on the sandbox', () => {
  const sip = inject('sandbox').sip
  let rest: AriHttp
  let sippPhone: SippPhone | undefined
  let baresip: BaresipPhone | undefined

  beforeAll(async () => {
    rest = new AriHttp(sandboxCreds())
    await provisionPhone(rest, SIPP_PHONE)
    await provisionPhone(rest, BARESIP_PHONE)
  })

  afterAll(async () => {
    await killAllSipAgents()
    sippPhone?.sipp.cleanup()
    baresip?.cleanup()
    for (const ch of await rest.listChannels()) await rest.hangup(ch.id).catch(() => undefined)
    await removePhone(rest, SIPP_PHONE.id)
    await removePhone(rest, BARESIP_PHONE.id)
  })

  it('a SIPp phone and a baresip phone register: ARI shows both endpoints online', async () => {
    expect(await endpointState(rest, SIPP_PHONE.id)).toBe('offline')
    sippPhone = await startSippPhone({sip, user: SIPP_PHONE.id, password: SIPP_PHONE.password})
    baresip = await startBaresip({sip, user: BARESIP_PHONE.id, password: BARESIP_PHONE.password, toneHz: BARESIP_TONE})
    // Online once the contact is registered and has answered its first qualify.
    await until('9101 online', async () => (await endpointState(rest, SIPP_PHONE.id)) === 'online', 5000)
    await until('9102 online', async () => (await endpointState(rest, BARESIP_PHONE.id)) === 'online', 5000)
  })

  it('the baresip phone dials 9101 directly (callctl-phones): the SIPp phone answers, audio flows both ways', async () => {
    const phone = baresip!
    const from = phone.events.length
    await phone.dial(SIPP_PHONE.id)
    await phone.waitForEvent('CALL_ESTABLISHED', {from, timeoutMs: 5000})
    const [callId] = await sippPhone!.waitForAnswered(1, 5000)
    // Two seconds of talk: SIPp plays its speech pcap, baresip its tone.
    await new Promise((r) => setTimeout(r, 2000))
    await phone.hangup()
    await phone.waitForEvent('CALL_CLOSED', {from, timeoutMs: 5000})
    await until('the SIPp phone to see the BYE', () => sippPhone!.ended().includes(callId!), 5000)

    const {heard, sent} = phone.recordings()
    expect(heard).toHaveLength(1)
    const heardWav = parseWav(readFileSync(heard[0]!))
    const sentWav = parseWav(readFileSync(sent[0]!))
    // What baresip heard is SIPp's recorded speech (through Asterisk), not silence.
    expect(rms(mono(heardWav))).toBeGreaterThan(0.01)
    // What it sent is its own tone: that is how a test tells phones apart.
    expect(toneShare(mono(sentWav), sentWav.sampleRate, BARESIP_TONE)).toBeGreaterThan(0.8)
    expect((await rest.listChannels()).length).toBe(0)
  })

  it('unregistering makes the endpoints offline', async () => {
    await sippPhone!.stop()
    await baresip!.stop()
    await until('9101 offline', async () => (await endpointState(rest, SIPP_PHONE.id)) === 'offline', 3000)
    await until('9102 offline', async () => (await endpointState(rest, BARESIP_PHONE.id)) === 'offline', 3000)
  })

  it('a carrier caller to a DID with no engine running is answered with all-circuits-busy and hung up by Asterisk', async () => {
    // The sandbox's own Stasis app has no engine in the test run: Stasis() fails and
    // callctl-stasis answers, plays all-circuits-busy-now and hangs up.
    const r = await runCaller({sip, calls: {did: '7000100'}, dtmfMs: 500, holdMs: 20_000, timeoutMs: 25_000})
    expect(r.exitCode, r.errors).toBe(0)
    expect(r.stats?.successful).toBe(1)
    expect(r.stats?.failed).toBe(0)
    expect(r.log.some((l) => l.startsWith('answered '))).toBe(true)
    expect(r.log.some((l) => l.startsWith('far end hung up '))).toBe(true)
    // Asterisk hung up after the prompt (about 2 s), long before the caller's own 20 s.
    expect(r.durationMs).toBeLessThan(10_000)
    expect((await rest.listChannels()).length).toBe(0)
  })
})
