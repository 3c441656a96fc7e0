// Agent presence from real SIP phones (src/engine/calls/phone-presence.ts), measured on
// the sandbox: a phone that unregisters is never rung and is rung the moment it is back;
// a direct call between phones makes the agent busy on another call; and the time from
// a phone going away (explicitly, or silently) to its agent being unreachable.
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, inject, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {QUALIFY_SECONDS, QUALIFY_TIMEOUT_SECONDS} from '../../src/engine/phones/phone-fields.js'
import {leftovers, sandboxCreds, startTestEngine, type Harness} from '../support/harness.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {addPhones, agentState, finishSipFile, lastEventId, phoneHome, routeCarrierTo, waitAgentState, waitEvent} from '../support/sip/engine-phones.js'
import {killAllSipAgents, startCaller, startSippPhone, unregisterSipp, type SippPhone} from '../support/sip/sipp.js'

const PHONES = [
  {id: '8301', agent: 'un1'}, // SIPp: unregisters while a caller waits (q3)
  {id: '8302', agent: 'oc1'}, // SIPp: takes a direct call (q4)
  {id: '8303'}, // baresip desk phone that calls 8302 directly
  {id: '8304', agent: 'pr1'}, // baresip: explicit unregister
  {id: '8305', agent: 'pr2'}, // baresip: SIGKILLed
]
const agent = (id: string, queue: string) => ({id, ring: 0, talk: {min: 1, max: 1}, queues: [queue]})
/** How long a waiting caller is watched for a ring that must not come. */
const NO_RING_MS = 3000

describe('agent presence from real SIP phones', () => {
  const sip = inject('sandbox').sip
  const home = phoneHome()
  const rest = new AriHttp(sandboxCreds())
  let h: Harness
  let pw: Record<string, string> = {}
  let restoreApp: (() => Promise<void>) | undefined
  const sippPhones: SippPhone[] = []
  const baresips: BaresipPhone[] = []

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {q3: {wrapUp: 0}, q4: {wrapUp: 0}, q6: {wrapUp: 0}},
      agents: [agent('un1', 'q3'), agent('oc1', 'q4'), agent('pr1', 'q6'), agent('pr2', 'q6')],
      phones: {paths: home.paths},
      beforeStart: async (store) => {
        pw = await addPhones(store, home.paths, rest, PHONES)
      },
    })
    restoreApp = await routeCarrierTo(h.rest, h.app)
  })

  afterEach(async () => {
    // Graceful stops unregister, so the sandbox's astdb keeps no contact of ours.
    for (const p of sippPhones.splice(0)) {
      await p.stop()
      // A traced phone keeps its directory (for registerOkAt) past stop.
      rmSync(p.sipp.dir, {recursive: true, force: true})
    }
    for (const p of baresips.splice(0)) {
      await p.stop()
      p.cleanup()
    }
    await killAllSipAgents()
    // A test that failed half-way may leave a caller waiting: the next one starts clean.
    for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
    await h.waitFor('no channels left', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
  })

  afterAll(async () => {
    expect(await finishSipFile({h, rest, home, phones: PHONES.map((p) => p.id), restoreApp})).toEqual([])
  })

  async function sippPhone(user: string, o: {talkMs?: number; traceMessages?: boolean} = {}): Promise<SippPhone> {
    const p = await startSippPhone({sip, user, password: pw[user]!, ...o, keepDir: o.traceMessages})
    sippPhones.push(p)
    return p
  }

  async function baresip(user: string): Promise<BaresipPhone> {
    const p = await startBaresip({sip, user, password: pw[user]!})
    baresips.push(p)
    return p
  }

  it('an unregistered phone is never rung while a caller waits; registered again, it is rung at once', async () => {
    const first = await sippPhone('8301')
    await waitAgentState(h, 'un1', 'idle')
    const before = await lastEventId(h)
    await first.stop()
    sippPhones.splice(sippPhones.indexOf(first), 1)
    const gone = await waitEvent(h, 'un1 unreachable', (e) => e.type === 'agent.unreachable' && e.agent === 'un1', {afterId: before, timeoutMs: 5000})
    expect(agentState(h, 'un1')).toBe('unreachable')

    const caller = await startCaller({sip, calls: {did: 'q3', from: '0633000001'}, holdMs: 30_000, timeoutMs: 60_000})
    const entered = await waitEvent(h, 'the caller waiting in q3', (e) => e.type === 'queue.entered' && e.queue === 'q3', {afterId: before})
    await sleep(NO_RING_MS)
    expect((await h.events()).filter((e) => e.id > before && e.type === 'agent.ringing')).toEqual([])
    expect(h.engine.snapshot().calls.find((c) => c.id === entered.callId)?.state).toBe('waiting')

    // Back: SIPp's message trace gives the 200 OK to its REGISTER to the microsecond.
    const back = await sippPhone('8301', {talkMs: 1500, traceMessages: true})
    const reachable = await waitEvent(h, 'un1 reachable', (e) => e.type === 'agent.reachable' && e.agent === 'un1', {afterId: before})
    const ringing = await waitEvent(h, 'un1 rung', (e) => e.type === 'agent.ringing' && e.agent === 'un1', {afterId: before})
    const registeredAt = registerOkAt(back)
    const fromReachable = ringing.ts - reachable.ts
    const fromRegister = ringing.ts - registeredAt
    console.log(`SIP presence: phone registered again → waiting caller rung: ${fromRegister} ms from the REGISTER 200 OK, ${fromReachable} ms from agent.reachable (unreachable for ${reachable.data.unreachableMs} ms)`)
    expect(ringing.callId).toBe(entered.callId)
    expect(fromReachable).toBeGreaterThanOrEqual(0)
    expect(fromReachable).toBeLessThan(1000)
    // Asterisk sends the 200 OK and the device state together; SIPp stamps the 200 OK when it
    // reads it, and under load the engine may ring a few ms before that stamp (-3 ms in a
    // full run): two processes' clocks at millisecond grain, not a ring before the REGISTER.
    expect(fromRegister).toBeGreaterThanOrEqual(-50)
    expect(fromRegister).toBeLessThan(1000)
    expect(Number(reachable.data.unreachableMs)).toBeGreaterThanOrEqual(NO_RING_MS)
    expect(reachable.ts).toBeGreaterThan(gone.ts)

    // The phone answers, talks 1.5 s and hangs up; the caller hears Asterisk's BYE.
    const r = await caller.done
    caller.cleanup()
    expect(r.exitCode, r.errors).toBe(0)
    expect(r.log.filter((l) => l.startsWith('far end hung up '))).toHaveLength(1)
    const record = await h.waitFor('the q3 call ended', async () => (await h.calls()).find((c) => c.callId === entered.callId && c.outcome !== 'live'), 10_000)
    expect(record).toMatchObject({outcome: 'completed', agent: 'un1', completedBy: 'agent', agentsTried: []})
    expect(back.answered()).toHaveLength(1)
  })

  it('a direct call from another phone makes the agent other-call: the waiting caller is offered only once it hangs up', async () => {
    // The agent's phone answers every call (the direct one and the engine's) and stays until BYE.
    const agentPhone = await sippPhone('8302')
    const desk = await baresip('8303')
    await waitAgentState(h, 'oc1', 'idle')
    const before = await lastEventId(h)
    const from = desk.events.length
    await desk.dial('8302')
    await desk.waitForEvent('CALL_ESTABLISHED', {from, timeoutMs: 10_000})
    const busy = await waitEvent(h, 'oc1 other_call', (e) => e.type === 'agent.other_call' && e.agent === 'oc1', {afterId: before, timeoutMs: 5000})
    expect(busy.data.phone).toBe('PJSIP/8302')
    expect(agentState(h, 'oc1')).toBe('other-call')

    const caller = await startCaller({sip, calls: {did: 'q4', from: '0644000001'}, holdMs: 9000, timeoutMs: 60_000})
    const entered = await waitEvent(h, 'the caller waiting in q4', (e) => e.type === 'queue.entered' && e.queue === 'q4', {afterId: before})
    await sleep(NO_RING_MS)
    expect((await h.events()).filter((e) => e.id > before && e.type === 'agent.ringing')).toEqual([])
    expect(agentState(h, 'oc1')).toBe('other-call')

    const hangupAt = Date.now()
    await desk.hangup()
    await desk.waitForEvent('CALL_CLOSED', {from, timeoutMs: 5000})
    const free = await waitEvent(h, 'oc1 other_call_ended', (e) => e.type === 'agent.other_call_ended' && e.agent === 'oc1', {afterId: before})
    const ringing = await waitEvent(h, 'oc1 rung', (e) => e.type === 'agent.ringing' && e.agent === 'oc1', {afterId: before})
    console.log(`SIP presence: direct call hung up → other_call_ended ${free.ts - hangupAt} ms → waiting caller rung ${ringing.ts - free.ts} ms later (other call lasted ${free.data.durationMs} ms)`)
    expect(ringing.callId).toBe(entered.callId)
    expect(ringing.ts - free.ts).toBeLessThan(1000)
    expect(free.ts - hangupAt).toBeLessThan(2000)

    // Connected to oc1; the caller hangs up after its 9 s.
    const r = await caller.done
    caller.cleanup()
    expect(r.exitCode, r.errors).toBe(0)
    expect(r.log.filter((l) => l.startsWith('hung up '))).toHaveLength(1)
    const record = await h.waitFor('the q4 call ended', async () => (await h.calls()).find((c) => c.callId === entered.callId && c.outcome !== 'live'), 10_000)
    expect(record).toMatchObject({outcome: 'completed', agent: 'oc1', completedBy: 'caller'})
    // Its own call did not count as another call: no other_call while the engine's call was up.
    const after = (await h.events()).filter((e) => e.id > free.id && e.agent === 'oc1' && e.type === 'agent.other_call')
    expect(after).toEqual([])
    await h.waitFor('the agent phone to have answered both calls', () => agentPhone.answered().length === 2, 5000)
    // Product bug (phone-presence.ts setDevice): durationMs is read after acd.setOtherCall
    // has reset otherCallSince to now, so it is always 0. The direct call lasted over NO_RING_MS.
    expect(Number(free.data.durationMs)).toBeGreaterThanOrEqual(NO_RING_MS)
  })

  it(`presence figures: an unregistered phone's agent is unreachable within 1 s, a silent one within a qualify interval (${QUALIFY_SECONDS} s + ${QUALIFY_TIMEOUT_SECONDS} s timeout)`, async () => {
    const leaving = await baresip('8304')
    const dying = await baresip('8305')
    await waitAgentState(h, 'pr1', 'idle')
    await waitAgentState(h, 'pr2', 'idle')
    const before = await lastEventId(h)

    // The silent one first (its wait is the long one); the explicit one meanwhile.
    const killedAt = Date.now()
    const killedMono = performance.now()
    await dying.kill()
    const unregisterAt = Date.now()
    await leaving.stop()
    let silentSeenMs = Infinity
    const [explicit, silent] = await Promise.all([
      waitEvent(h, 'pr1 unreachable', (e) => e.type === 'agent.unreachable' && e.agent === 'pr1', {afterId: before, timeoutMs: 5000}),
      waitEvent(h, 'pr2 unreachable', (e) => e.type === 'agent.unreachable' && e.agent === 'pr2', {afterId: before, timeoutMs: (QUALIFY_SECONDS + QUALIFY_TIMEOUT_SECONDS) * 1000 + 5000}).then((e) => {
        silentSeenMs = performance.now() - killedMono
        return e
      }),
    ])
    const explicitMs = explicit.ts - unregisterAt
    // Both are upper bounds of the real delay: the events' times are the wall clock's, which
    // was seen to jump ahead mid-run; the monotonic one is when the test saw it (polled).
    const silentMs = Math.min(silent.ts - killedAt, Math.round(silentSeenMs))
    console.log(`SIP presence: explicit unregister → agent unreachable ${explicitMs} ms (reason: ${explicit.data.reason})`)
    console.log(`SIP presence: silent phone (SIGKILL) → agent unreachable ${silentMs} ms (reason: ${silent.data.reason}; qualify every ${QUALIFY_SECONDS} s, timeout ${QUALIFY_TIMEOUT_SECONDS} s)`)
    expect(explicitMs).toBeLessThanOrEqual(1000)
    // The phone was killed just after registering, i.e. just after its first qualify:
    // the next one comes a full interval later and times out, the worst case by design.
    // 0.5 s on top for a loaded machine.
    expect(silentMs).toBeLessThanOrEqual((QUALIFY_SECONDS + QUALIFY_TIMEOUT_SECONDS) * 1000 + 500)
    expect(agentState(h, 'pr1')).toBe('unreachable')
    expect(agentState(h, 'pr2')).toBe('unreachable')
    expect(h.engine.snapshot().agents.find((a) => a.id === 'pr2')?.why).toMatch(/no answer to qualify/)

    // The killed phone's contact would stay in astdb until it expires: remove it from
    // the address it registered from, as the phone would have.
    baresips.splice(baresips.indexOf(dying), 1)
    dying.cleanup()
    await unregisterSipp({sip, user: '8305', password: pw['8305']!, localPort: dying.sipPort})
    // Product bug (phone-presence.ts onEndpoint): Asterisk reports the endpoint offline
    // before the contact Unreachable, so the event says 'not registered' for a phone that
    // is registered and silent; the agent's state (above) gets the right reason after.
    expect(silent.data.reason).toBe('no answer to qualify')
  })
})

/**
 * When the phone's REGISTER got its 200 OK, from SIPp's message trace (-trace_msg):
 * each message follows a line of dashes and the local date and time, to the
 * microsecond, of its sending or receipt ("----- 2026-12-07 05:35:25.112523").
 */
function registerOkAt(p: SippPhone): number {
  const file = join(p.sipp.dir, 'messages.log')
  if (!existsSync(file)) throw new Error(`no SIPp message trace at ${file}`)
  const blocks = readFileSync(file, 'utf8').split(/\n(?=-{10,})/)
  for (const b of blocks) {
    if (!/received/.test(b) || !/^SIP\/2\.0 200 /m.test(b) || !/^CSeq:\s*\d+ REGISTER/im.test(b)) continue
    const m = /-{10,}\s+(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d{3})/.exec(b)
    // Without a zone, Date reads it as local time, as SIPp wrote it.
    if (m) return new Date(`${m[1]}T${m[2]}`).getTime()
    throw new Error(`no time on SIPp's trace line: ${b.split('\n')[0]}`)
  }
  throw new Error(`no 200 OK to a REGISTER in ${file}`)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
