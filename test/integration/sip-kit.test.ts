// The SIP test kit (test/support/sip) against the real sandbox: real user agents
// (SIPp, baresip) register as provisioned phones, ARI sees them online and offline,
// a phone calls another through the dialplan, and a carrier caller with no engine
// running hears the all-circuits-busy fallback.
import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {AriHttp, connectAri, type ChannelDtmfReceivedEvent, type StasisStartEvent} from '../../src/engine/ari/index.js'
import {createLogger} from '../../src/engine/util/log.js'
import {mono, parseWav, rms, toneShare} from '../support/audio.js'
import {sandboxCreds} from '../support/harness.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {endpointState, provisionPhone, removePhone} from '../support/sip/provision.js'
import {killAllSipAgents, runCaller, startSippPhone, type SippPhone} from '../support/sip/sipp.js'
import {until} from '../support/wait.js'

const SIPP_PHONE = {id: '9101', password: 'kit-9101-secret'}
const BARESIP_PHONE = {id: '9102', password: 'kit-9102-secret'}
const BARESIP_TONE = 660
/** Qualified every second, so a phone that vanishes is offline within a few seconds. */
const VANISHING_PHONE = {id: '9103', password: 'kit-9103-secret', qualifyFrequency: 1}

describe('SIP test kit on the sandbox', () => {
  const sip = inject('sandbox').sip
  let rest: AriHttp
  let sippPhone: SippPhone | undefined
  let baresip: BaresipPhone | undefined

  beforeAll(async () => {
    rest = new AriHttp(sandboxCreds())
    await provisionPhone(rest, SIPP_PHONE)
    await provisionPhone(rest, BARESIP_PHONE)
    await provisionPhone(rest, VANISHING_PHONE)
  })

  afterAll(async () => {
    await killAllSipAgents()
    sippPhone?.sipp.cleanup()
    baresip?.cleanup()
    for (const ch of await rest.listChannels()) await rest.hangup(ch.id).catch(() => undefined)
    await removePhone(rest, SIPP_PHONE.id)
    await removePhone(rest, BARESIP_PHONE.id)
    await removePhone(rest, VANISHING_PHONE.id)
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
    // Asterisk hung up after ringing 6 s for an engine to register (a standby taking
    // over, CALLCTL_STASIS_WAIT) and the prompt (about 2 s), long before the caller's own 20 s.
    expect(r.durationMs).toBeGreaterThan(5_000)
    expect(r.durationMs).toBeLessThan(14_000)
    expect((await rest.listChannels()).length).toBe(0)
  })

  it('a carrier caller reaches the Stasis app with its DID and number, and its RFC 4733 digit arrives as 1', async () => {
    // Stand in for an engine on the sandbox's own app (what callctl-stasis hands calls to).
    const app = await rest.getGlobalVar('CALLCTL_APP')
    const ari = await connectAri({creds: sandboxCreds(), app, log: createLogger({level: 'warn'})})
    const starts: StasisStartEvent[] = []
    const digits: string[] = []
    ari.on('StasisStart', (e) => {
      starts.push(e)
      void ari.answer(e.channel.id)
    })
    ari.on('ChannelDtmfReceived', (e: ChannelDtmfReceivedEvent) => digits.push(e.digit))
    try {
      const r = await runCaller({sip, calls: {did: '7000200', from: '0612345678'}, dtmfMs: 500, holdMs: 1000, timeoutMs: 15_000})
      expect(r.exitCode, r.errors).toBe(0)
      // The caller hung up itself after holdMs: nothing in Asterisk ended it.
      expect(r.log.some((l) => l.startsWith('hung up '))).toBe(true)
      expect(starts).toHaveLength(1)
      expect(starts[0]!.args).toEqual(['inbound', '7000200'])
      expect(starts[0]!.channel.caller.number).toBe('0612345678')
      expect(starts[0]!.channel.name).toMatch(/^PJSIP\/carrier-/)
      expect(digits).toEqual(['1'])
    } finally {
      await ari.close()
    }
  })

  it('a phone killed with SIGKILL (network gone) says nothing: Asterisk finds it offline by qualify', async () => {
    const phone = await startBaresip({sip, user: VANISHING_PHONE.id, password: VANISHING_PHONE.password})
    await until('9103 online', async () => (await endpointState(rest, VANISHING_PHONE.id)) === 'online', 5000)
    await phone.kill()
    // No unregister was sent: the contact stays until qualify (every 1 s, 3 s timeout) fails.
    await until('9103 offline', async () => (await endpointState(rest, VANISHING_PHONE.id)) === 'offline', 10_000)
    phone.cleanup()
  })
})
