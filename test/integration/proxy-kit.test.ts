// Several boxes behind the SIP proxy (sandbox up --boxes 2 --proxy), on a sandbox of this
// file's own (not the suite's single box): phones register through Kamailio and are
// pinned to a box, carrier calls through it are spread over the boxes, a box rings a
// phone registered on the other over the interbox endpoint with audio both ways, and a
// box killed (SIGKILL) loses its phones to the other box and its share of new calls,
// until it is started again. A bare ARI app on each box stands in for the engine.
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp, connectAri, type AriPort, type ChannelDestroyedEvent, type StasisStartEvent} from '../../src/engine/ari/index.js'
import {applyPhone} from '../../src/engine/phones/provision.js'
import {KAMAILIO_BIN, SANDBOX_REGISTRATION_S} from '../../src/engine/sandbox/proxy.js'
import {killBox, sandboxDown, sandboxStatus, sandboxUp, startBox} from '../../src/engine/sandbox/sandbox.js'
import {boxesOf, readSandboxState, type SandboxState} from '../../src/engine/sandbox/state.js'
import {BOX_HTTP_STRIDE} from '../../src/engine/sandbox/layout.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {goertzelPower, mono, parseWav, rms, slice, toneShare, type Wav} from '../support/audio.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {freeUdpPort, killAllSipAgents, runCaller, startSipp, startSippPhone, type SandboxSipInfo, type SippPhone} from '../support/sip/sipp.js'
import {freePortPair} from '../support/port-pair.js'
import {until} from '../support/wait.js'

// The proxy hashes each AOR's user to a box (dispatcher, hash over the user part): with
// two boxes, 7101 and 7103 land on box2, 7102 on box1.
const ON_BOX2 = {id: '7101', tone: 660}
const ON_BOX1 = {id: '7102', tone: 880}
/** A SIPp phone: it keeps no route set (its ACK and BYE go to the proxy with no Route). */
const SIPP_ON_BOX2 = {id: '7103'}
const SIDE_TONE = 1000

if (!existsSync(KAMAILIO_BIN)) throw new Error(`Kamailio is not installed (${KAMAILIO_BIN}): run scripts/setup.sh, which installs Debian's kamailio package`)

describe('several boxes behind the SIP proxy', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-proxy-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  const log = createLogger({level: 'error'})
  let state: SandboxState
  let rest: Record<'box1' | 'box2', AriHttp>
  let ari: Record<'box1' | 'box2', AriPort>
  const starts: Array<{box: 'box1' | 'box2'; e: StasisStartEvent}> = []
  const destroyed: ChannelDestroyedEvent[] = []
  const phones: Record<string, BaresipPhone> = {}
  let sippPhone: SippPhone | undefined
  let carrier: SandboxSipInfo

  beforeAll(async () => {
    const t0 = Date.now()
    const up = await sandboxUp(paths, {port: await freePortPair(), boxes: 2, proxy: true, log})
    state = up.state
    const password = readFileSync(state.passwordFile, 'utf8').trim()
    const [b1, b2] = boxesOf(state)
    const creds = (url: string) => ({url, user: state.ariUser, password})
    rest = {box1: new AriHttp(creds(b1!.ariUrl)), box2: new AriHttp(creds(b2!.ariUrl))}
    // The sandbox's own app (callctl-stasis hands carrier calls to it) on each box, answering.
    ari = {box1: await connectAri({creds: creds(b1!.ariUrl), app: state.app, log}), box2: await connectAri({creds: creds(b2!.ariUrl), app: state.app, log})}
    for (const box of ['box1', 'box2'] as const) {
      ari[box].on('StasisStart', (e) => {
        starts.push({box, e})
        if (e.args[0] === 'inbound') void ari[box].answer(e.channel.id).catch(() => undefined)
      })
      ari[box].on('ChannelDestroyed', (e) => destroyed.push(e))
    }
    // The engine pushes every phone to every box; so does the test, with the product's fields.
    for (const p of [ON_BOX2, ON_BOX1, SIPP_ON_BOX2]) for (const r of Object.values(rest)) await applyPhone(r, {id: p.id, password: secret(p.id), callerName: p.id, transport: null})
    carrier = {host: state.proxy!.host, port: state.proxy!.carrierPort, carrier: state.proxy!.carrier}
    console.log(`2 boxes and the proxy up in ${((Date.now() - t0) / 1000).toFixed(1)} s (boxes ${up.startSeconds.toFixed(1)} s)`)
  }, 30_000)

  afterAll(async () => {
    await sippPhone?.kill()
    await killAllSipAgents()
    for (const p of Object.values(phones)) p.cleanup()
    for (const a of Object.values(ari ?? {})) await a.close().catch(() => undefined)
    await sandboxDown(paths, {force: true})
    for (const b of state ? boxesOf(state) : []) rmSync(join(state.root, b.instanceDir), {recursive: true, force: true})
    rmSync(home, {recursive: true, force: true})
  })

  it('sandbox status lists both boxes and the proxy, which sees both up', async () => {
    const s = await sandboxStatus(paths)
    expect(s.boxes.map((b) => [b.name, b.running, b.proxyState])).toEqual([['box1', true, 'active'], ['box2', true, 'active']])
    expect(s.boxes[1]!.ariUrl).toBe(`http://127.0.0.1:${state.httpPort + BOX_HTTP_STRIDE}`)
    expect(s.proxy).toMatchObject({running: true, port: state.proxy!.port, carrierPort: state.proxy!.carrierPort, registrationS: SANDBOX_REGISTRATION_S})
    // Box 1 is still what the single-box fields say.
    expect(s.sip?.port).toBe(s.boxes[0]!.sip.port)
  })

  it('phones register through the proxy, each pinned to one box', async () => {
    const proxy = {host: state.proxy!.host, port: state.proxy!.port}
    for (const p of [ON_BOX2, ON_BOX1]) phones[p.id] = await startBaresip({sip: proxy, user: p.id, password: secret(p.id), toneHz: p.tone})
    sippPhone = await startSippPhone({sip: proxy, user: SIPP_ON_BOX2.id, password: secret(SIPP_ON_BOX2.id), refreshS: SANDBOX_REGISTRATION_S - 1})
    await until('7101 online on box2', async () => (await state2(ON_BOX2.id)) === 'online box2', 5000)
    await until('7102 online on box1', async () => (await state2(ON_BOX1.id)) === 'online box1', 5000)
    await until('7103 online on box2', async () => (await state2(SIPP_ON_BOX2.id)) === 'online box2', 5000)
  })

  it("a phone's call goes through the proxy to the box it is registered on", async () => {
    const phone = phones[ON_BOX1.id]!
    const from = phone.events.length
    const before = starts.length
    await phone.dial('7000600')
    await phone.waitForEvent('CALL_ESTABLISHED', {from, timeoutMs: 5000})
    const call = await until('the call in Stasis', () => starts.slice(before).find((s) => s.e.channel.name.startsWith(`PJSIP/${ON_BOX1.id}-`)), 5000)
    expect(call.box).toBe('box1')
    expect(call.e.args).toEqual(['inbound', '7000600'])
    await phone.hangup()
    await phone.waitForEvent('CALL_CLOSED', {from, timeoutMs: 5000})
  })

  // Before the tests whose SIPp agents play a 7 s recording: SIPp plays on after a call
  // it was in has ended, to a port its box may give the next call, and a box takes the
  // first stream that reaches a new call's port for that call's (strict RTP).
  it('box1 rings the phone on box2 over interbox: it answers, audio flows both ways', async () => {
    const box2 = boxesOf(state)[1]!
    const phone = phones[ON_BOX2.id]!
    const from = phone.events.length
    const tag = `ibx${Date.now() % 100000}`
    const ring = await rest.box1.originate({endpoint: `PJSIP/interbox/sip:${ON_BOX2.id}@${box2.sip.host}:${box2.sip.port}`, app: state.app, appArgs: 'interbox', timeout: 10})
    await phone.waitForEvent('CALL_ESTABLISHED', {from, timeoutMs: 5000})
    await until('the interbox leg answered on box1', () => starts.some((s) => s.box === 'box1' && s.e.channel.id === ring.id), 5000)
    // Box1's side of the call: a local party playing 1000 Hz and recording what it hears.
    const side = await rest.box1.originate({endpoint: `Local/${SIDE_TONE}-${tag}@callctl-sim-supervisor`, app: state.app, appArgs: 'side'})
    await until('the local side answered', () => starts.some((s) => s.e.channel.id === side.id), 5000)
    const bridge = await rest.box1.createBridge('mixing')
    await rest.box1.addToBridge(bridge.id, [ring.id, side.id])
    await new Promise((r) => setTimeout(r, 2500))
    // RTP counts of each leg, for the failure message: where the audio stopped, if it did.
    const legs = [`box1 ${ring.name}: ${await rtpCounts(rest.box1, ring.id)}`]
    for (const ch of await rest.box2.listChannels()) legs.push(`box2 ${ch.name}: ${await rtpCounts(rest.box2, ch.id)}`)
    await rest.box1.hangup(ring.id)
    await phone.waitForEvent('CALL_CLOSED', {from, timeoutMs: 5000})
    await rest.box1.hangup(side.id).catch(() => undefined)
    await rest.box1.destroyBridge(bridge.id).catch(() => undefined)

    const heardByPhone = parseWav(readFileSync(phone.recordings().heard.at(-1)!))
    const heardOnBox1 = join(state.root, state.instanceDir, 'spool', 'monitor', `${tag}-heard.wav`)
    await until(`${heardOnBox1} written`, () => existsSync(heardOnBox1), 5000)
    const box1Wav = parseWav(readFileSync(heardOnBox1))
    const toPhone = heardTone(heardByPhone, SIDE_TONE)
    const toBox1 = heardTone(box1Wav, ON_BOX2.tone)
    console.log(`interbox call: the phone on box2 heard ${SIDE_TONE} Hz (${toPhone.summary}), box1 heard the phone's ${ON_BOX2.tone} Hz (${toBox1.summary})`)
    expect(toPhone.fraction, legs.join('; ')).toBeGreaterThanOrEqual(0.8)
    expect(toBox1.fraction, legs.join('; ')).toBeGreaterThanOrEqual(0.8)
  })

  it('a phone not registered on the box rung over interbox ends the call with a cause that says so', async () => {
    const box2 = boxesOf(state)[1]!
    const absent = await rest.box1.originate({endpoint: `PJSIP/interbox/sip:${ON_BOX1.id}@${box2.sip.host}:${box2.sip.port}`, app: state.app, timeout: 10})
    const unknown = await rest.box1.originate({endpoint: `PJSIP/interbox/sip:nobody-here@${box2.sip.host}:${box2.sip.port}`, app: state.app, timeout: 10})
    const gone = (id: string) => until(`${id} destroyed`, () => destroyed.find((d) => d.channel.id === id), 5000)
    // 410 (not registered here: ring it where it is) and 404 (no such phone), as causes.
    expect((await gone(absent.id)).cause).toBe(22)
    expect((await gone(unknown.id)).cause).toBe(1)
  })

  it('a box rings a SIPp phone through the proxy; its ACK and BYE, sent with no route, find their way', async () => {
    const ring = await rest.box2.originate({endpoint: `PJSIP/${SIPP_ON_BOX2.id}`, app: state.app, appArgs: 'sipp', timeout: 10})
    const [callId] = await sippPhone!.waitForAnswered(1, 5000)
    await until('the SIPp leg answered on box2', () => starts.some((s) => s.e.channel.id === ring.id), 5000)
    await rest.box2.hangup(ring.id)
    await until('the SIPp phone to see the BYE', () => sippPhone!.ended().includes(callId!), 5000)
  })

  it('carrier calls through the proxy reach the Stasis app on the boxes, spread over both', async () => {
    const from = starts.length
    const r = await runCaller({sip: carrier, calls: [1, 2, 3, 4].map((i) => ({did: `700030${i}`})), holdMs: 800, rate: 10, timeoutMs: 15_000})
    expect(r.exitCode, r.errors).toBe(0)
    expect(r.stats?.successful).toBe(4)
    const calls = starts.slice(from).filter((s) => s.e.channel.name.startsWith('PJSIP/carrier-'))
    // Each box takes its calls in parallel: in any order.
    expect(calls.map((c) => c.e.args[1]).sort()).toEqual([1, 2, 3, 4].map((i) => `700030${i}`))
    expect(calls.every((c) => c.e.args[0] === 'inbound')).toBe(true)
    // Round robin: two each.
    expect(calls.filter((c) => c.box === 'box1')).toHaveLength(2)
    expect(calls.filter((c) => c.box === 'box2')).toHaveLength(2)
    // Channel ids carry the box's name (its Asterisk systemname).
    for (const c of calls) expect(c.e.channel.id.startsWith(`${c.box}-`)).toBe(true)
  })

  it('only the carrier may send to the carrier port: the same call from another port is refused 403', async () => {
    const from = starts.length
    const r = await runCaller({sip: {...carrier, carrier: {host: carrier.carrier.host, port: await freeUdpPort()}}, calls: {did: '7000309'}, holdMs: 500, timeoutMs: 10_000})
    expect(r.stats?.failed).toBe(1)
    expect(r.errors).toMatch(/403/)
    expect(starts.slice(from).filter((s) => s.e.channel.name.startsWith('PJSIP/carrier-'))).toHaveLength(0)
  })

  it("each box's calls out go through the proxy to the carrier", async () => {
    const p = state.proxy!
    const uas = await startSipp({scenario: 'agent-uas', remote: {host: p.host, port: p.carrierPort}, localIp: p.carrier.host, localPort: p.carrier.port, vars: {ring_ms: 100, talk_ms: 0}})
    try {
      for (const [i, box] of (['box1', 'box2'] as const).entries()) {
        const out = await rest[box].originate({endpoint: 'PJSIP/5550001@carrier', context: 'callctl-sim-callee', extension: '5551', priority: 1, timeout: 10})
        await uas.waitForLog(/^answered /, i + 1, 5000)
        await rest[box].hangup(out.id)
        await uas.waitForLog(/^ended /, i + 1, 5000)
      }
    } finally {
      await uas.stop()
      uas.cleanup()
    }
  })

  it('box2 killed: its phone re-registers on box1 within its registration interval and rings there; new calls all go to box1', async () => {
    const killedAt = Date.now()
    expect((await killBox(paths, 'box2')).killed).toBe(true)
    let movedMs = 0
    for (;;) {
      if ((await rest.box1.getEndpoint('PJSIP', ON_BOX2.id)).state === 'online') break
      expect(Date.now() - killedAt, 'the phone back on box1').toBeLessThan((SANDBOX_REGISTRATION_S + 5) * 1000)
      await new Promise((r) => setTimeout(r, 100))
    }
    movedMs = Date.now() - killedAt
    console.log(`box2 killed: ${ON_BOX2.id} registered on box1 ${movedMs} ms later (registration interval ${SANDBOX_REGISTRATION_S} s)`)
    expect(movedMs).toBeLessThan((SANDBOX_REGISTRATION_S + 3) * 1000)

    const phone = phones[ON_BOX2.id]!
    const from = phone.events.length
    const ring = await rest.box1.originate({endpoint: `PJSIP/${ON_BOX2.id}`, app: state.app, appArgs: 'moved', timeout: 10})
    await phone.waitForEvent('CALL_ESTABLISHED', {from, timeoutMs: 5000})
    await rest.box1.hangup(ring.id)
    await phone.waitForEvent('CALL_CLOSED', {from, timeoutMs: 5000})

    const before = starts.length
    const r = await runCaller({sip: carrier, calls: [1, 2, 3].map((i) => ({did: `700040${i}`})), holdMs: 500, rate: 10, timeoutMs: 15_000})
    expect(r.exitCode, r.errors).toBe(0)
    const calls = starts.slice(before).filter((s) => s.e.channel.name.startsWith('PJSIP/carrier-'))
    expect(calls.map((c) => c.box)).toEqual(['box1', 'box1', 'box1'])
  })

  it('box2 started again: the proxy takes it back and calls spread over both boxes again', async () => {
    const back = await startBox(paths, 'box2')
    expect(back).toMatchObject({alreadyRunning: false, proxyState: 'active'})
    state = readSandboxState(paths)!
    await until('the app on box2 again', async () => (await rest.box2.applicationInfo(state.app).catch(() => null)) !== null, 10_000)
    const before = starts.length
    const r = await runCaller({sip: carrier, calls: [1, 2, 3, 4].map((i) => ({did: `700050${i}`})), holdMs: 500, rate: 10, timeoutMs: 15_000})
    expect(r.exitCode, r.errors).toBe(0)
    const calls = starts.slice(before).filter((s) => s.e.channel.name.startsWith('PJSIP/carrier-'))
    expect(calls).toHaveLength(4)
    expect(calls.filter((c) => c.box === 'box2').length).toBeGreaterThan(0)
    expect(calls.filter((c) => c.box === 'box1').length).toBeGreaterThan(0)
    // Its phone goes home too: the hash picks box2 again at its next registration.
    await until('7101 online on box2 again', async () => (await rest.box2.getEndpoint('PJSIP', ON_BOX2.id)).state === 'online', (SANDBOX_REGISTRATION_S + 3) * 1000)
  })

  /** Where ARI says a phone is online: "online box1", "online box2", "offline" or both. */
  async function state2(id: string): Promise<string> {
    const on: string[] = []
    for (const box of ['box1', 'box2'] as const) if ((await rest[box].getEndpoint('PJSIP', id)).state === 'online') on.push(box)
    return on.length ? `online ${on.join(' ')}` : 'offline'
  }
})

/**
 * Whether what was heard is the tone: in how many 200 ms windows with sound the tone is
 * the strongest frequency (a scan from 200 to 3400 Hz). Not its share of the power over
 * the whole file: the boxes' bridges record without a jitter buffer, so on a busy
 * two-core machine a late packet leaves a gap or a jump in phase, which spreads the
 * tone's power over other frequencies though every window is plainly the tone.
 */
function heardTone(w: Wav, freq: number): {fraction: number; summary: string} {
  const samples = mono(w)
  let sounding = 0
  let tone = 0
  for (let t = 0; t + 200 <= (samples.length / w.sampleRate) * 1000; t += 200) {
    const part = slice(samples, w.sampleRate, t, t + 200)
    if (rms(part) < 0.01) continue
    sounding++
    let best = 0
    let strongest = 0
    for (let f = 200; f <= 3400; f += 20) {
      const p = goertzelPower(part, w.sampleRate, f)
      if (p > best) [best, strongest] = [p, f]
    }
    if (Math.abs(strongest - freq) <= 20) tone++
  }
  const fraction = sounding ? tone / sounding : 0
  return {fraction, summary: `the strongest in ${tone} of ${sounding} windows of 200 ms with sound; ${(toneShare(samples, w.sampleRate, freq) * 100).toFixed(0)} % of the power over the whole file`}
}

/** Packets a channel sent and received (ARI rtp_statistics), or why not. */
async function rtpCounts(rest: AriHttp, id: string): Promise<string> {
  try {
    const s = await rest.request<{txcount: number; rxcount: number}>('GET', `/channels/${encodeURIComponent(id)}/rtp_statistics`)
    return `tx ${s.txcount}, rx ${s.rxcount}`
  } catch (err) {
    return String(err)
  }
}

function secret(id: string): string {
  return `proxy-kit-${id}-secret`
}
