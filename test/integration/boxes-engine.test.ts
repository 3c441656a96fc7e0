// One engine over two Asterisk boxes behind the SIP proxy (sandbox up --boxes 2 --proxy),
// on a sandbox of this file's own: `callctl engine start` drives both boxes with one queue
// line. A caller on box2 is served by an agent whose phone is registered on box1 (the ring
// crosses the trunk between boxes), with audio measured both ways; the caller who waited
// longest is served first whichever box it is on; box2 killed under traffic ends only its
// calls (a box1 caller whose agent's phone was on box2 goes back in line and is served
// again), its agent's phone comes back through the proxy on box1 and new calls are served.
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {callRecords} from '../../src/engine/reports/call-records.js'
import {KAMAILIO_BIN, SANDBOX_REGISTRATION_S} from '../../src/engine/sandbox/proxy.js'
import {killBox, sandboxDown, sandboxUp} from '../../src/engine/sandbox/sandbox.js'
import {boxesOf, type SandboxState} from '../../src/engine/sandbox/state.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {freePort} from '../../src/engine/util/net.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {mono, parseWav, slice} from '../support/audio.js'
import {runAll, runCli, startCli} from '../support/cli.js'
import {startBaresip, type BaresipPhone} from '../support/sip/baresip.js'
import {killAllSipAgents, startCaller} from '../support/sip/sipp.js'
import {bandShare} from '../support/sip/tone-band.js'
import {freePortPair} from '../support/port-pair.js'
import {until} from '../support/wait.js'

// The proxy pins a phone to a box by a hash of its user: 7101 and 7103 land on box2, 7102 on box1.
const AGENT_ON_BOX1 = {phone: '7102', agent: 'k1', tone: 1000}
const AGENT_ON_BOX2 = {phone: '7101', agent: 'k2', tone: 1200}
const CALLER_ON_BOX2 = {phone: '7103', tone: 440}
// 7104 hashes to box1 (dispatcher's hash over the user, as kamailio computes it): the supervisor's phone.
const SUPERVISOR_ON_BOX1 = {phone: '7104', tone: 1600}

if (!existsSync(KAMAILIO_BIN)) throw new Error(`Kamailio is not installed (${KAMAILIO_BIN}): run scripts/setup.sh, which installs Debian's kamailio package`)

describe('one engine over two boxes behind the proxy (real SIP)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-boxes-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  const log = createLogger({level: 'error'})
  let state: SandboxState
  let env: Record<string, string>
  let engine: ReturnType<typeof startCli> | undefined
  let store: SqliteStore
  const phones: Record<string, BaresipPhone> = {}
  const passwords: Record<string, string> = {}

  beforeAll(async () => {
    state = (await sandboxUp(paths, {port: await freePortPair(), boxes: 2, proxy: true, log})).state
    env = {CALLCTL_HOME: home, CALLCTL_API_PORT: String(await freePort()), CALLCTL_LOG_LEVEL: 'info', CALLCTL_DEFAULT_QUEUE: 'q'}
    await runAll(
      [
        ['queue', 'add', 'q', '--wrap-up', '0', '--no-record'],
        ...[AGENT_ON_BOX1, AGENT_ON_BOX2].flatMap((a) => [
          ['agent', 'add', a.agent, '--endpoint', `PJSIP/${a.phone}`, '--queue', 'q'],
          ['agent', 'login', a.agent],
        ]),
      ],
      env,
    )
    for (const p of [AGENT_ON_BOX1, AGENT_ON_BOX2, CALLER_ON_BOX2, SUPERVISOR_ON_BOX1]) {
      const args = ['phone', 'add', p.phone, ...('agent' in p ? ['--agent', String(p.agent)] : []), '--json']
      const r = await runCli(args, env)
      expect(r.code, r.stderr).toBe(0)
      passwords[p.phone] = (JSON.parse(r.stdout) as {password: string}).password
    }
    engine = startCli(['engine', 'start'], env)
    await until('the engine serving', () => engine!.output().includes('engine API listening'), 30_000)
    await until('both boxes driven', async () => {
      const r = await runCli(['engine', 'status', '--json'], env)
      return r.code === 0 && (JSON.parse(r.stdout) as {boxes?: {up: boolean}[]}).boxes?.filter((b) => b.up).length === 2
    }, 15_000)
    store = new SqliteStore(join(home, 'callctl.db'))
    // Phones register through the proxy, each pinned to its box.
    const proxy = {host: state.proxy!.host, port: state.proxy!.port}
    for (const p of [AGENT_ON_BOX1, AGENT_ON_BOX2, CALLER_ON_BOX2, SUPERVISOR_ON_BOX1]) phones[p.phone] = await startBaresip({sip: proxy, user: p.phone, password: passwords[p.phone]!, toneHz: p.tone})
    for (const a of [AGENT_ON_BOX1, AGENT_ON_BOX2]) await until(`${a.agent} idle`, async () => (await agentStates())[a.agent] === 'idle', 15_000)
  }, 120_000)

  afterAll(async () => {
    // CALLCTL_TEST_LOG_DIR=DIR keeps the engine's log there.
    if (process.env.CALLCTL_TEST_LOG_DIR && engine) writeFileSync(join(process.env.CALLCTL_TEST_LOG_DIR, 'boxes-engine.log'), engine.output())
    engine?.child.kill('SIGTERM')
    if (engine) await new Promise<void>((r) => (engine!.child.exitCode !== null ? r() : engine!.child.once('exit', () => r())))
    for (const p of Object.values(phones)) {
      await p.stop().catch(() => undefined)
      p.cleanup()
    }
    await killAllSipAgents()
    await store?.close()
    await sandboxDown(paths, {force: true})
    for (const b of state ? boxesOf(state) : []) rmSync(join(state.root, b.instanceDir), {recursive: true, force: true})
    rmSync(home, {recursive: true, force: true})
  })

  async function agentStates(): Promise<Record<string, string>> {
    const r = await runCli(['agent', 'list', '--json'], env)
    return Object.fromEntries((JSON.parse(r.stdout) as {agents: {id: string; state: string}[]}).agents.map((a) => [a.id, a.state]))
  }

  /** Pauses an agent and waits until the engine has it paused: the CLI writes the store, which a running engine reads within 250 ms, and a caller arriving meanwhile could still be offered to it. */
  async function pause(agent: string): Promise<void> {
    expect((await runCli(['agent', 'pause', agent, '--reason', 'test'], env)).code).toBe(0)
    await until(`${agent} paused in the engine`, async () => (await agentStates())[agent] === 'paused', 5_000)
  }

  async function events(): Promise<StoredEvent[]> {
    const out: StoredEvent[] = []
    for await (const e of store.events({})) out.push(e)
    return out
  }

  it('engine status shows both boxes up', async () => {
    const s = JSON.parse((await runCli(['engine', 'status', '--json'], env)).stdout) as {boxes: {name: string; up: boolean}[]}
    expect(s.boxes.map((b) => [b.name, b.up])).toEqual([
      ['box1', true],
      ['box2', true],
    ])
  })

  it('a caller on box2 is served by the agent on box1 over the trunk between boxes; audio flows both ways', async () => {
    await pause(AGENT_ON_BOX2.agent)
    const caller = phones[CALLER_ON_BOX2.phone]!
    const agent = phones[AGENT_ON_BOX1.phone]!
    const cFrom = caller.events.length
    const aFrom = agent.events.length
    const since = (await events()).at(-1)?.id ?? 0
    await caller.dial('q')
    await agent.waitForEvent('CALL_ESTABLISHED', {from: aFrom, timeoutMs: 15_000})
    const connected = await until('connected to k1', async () => (await events()).find((e) => e.id > since && e.type === 'call.connected'), 10_000)
    expect(connected.agent).toBe(AGENT_ON_BOX1.agent)
    const started = (await events()).find((e) => e.type === 'call.started' && e.callId === connected.callId)!
    // The caller's channel is box2's (channel ids carry the box's systemname); the agent's ring left from there too.
    expect(String(started.data.channel)).toMatch(/^box2-/)
    await new Promise((r) => setTimeout(r, 4000))
    const aClosed = agent.waitForEvent('CALL_CLOSED', {from: aFrom, timeoutMs: 10_000})
    const cClosed = caller.waitForEvent('CALL_CLOSED', {from: cFrom, timeoutMs: 10_000})
    await agent.hangup()
    await Promise.all([aClosed, cClosed])
    const tail = (p: BaresipPhone) => {
      const wav = parseWav(readFileSync(p.recordings().heard.at(-1)!))
      return {s: slice(mono(wav), wav.sampleRate, wav.durationMs - 3500, wav.durationMs - 500), rate: wav.sampleRate}
    }
    const agentHeard = tail(agent)
    const callerHeard = tail(caller)
    const agentHearsCaller = bandShare(agentHeard.s, agentHeard.rate, CALLER_ON_BOX2.tone)
    const callerHearsAgent = bandShare(callerHeard.s, callerHeard.rate, AGENT_ON_BOX1.tone)
    console.log(`cross-box call: agent on box1 heard the caller's ${CALLER_ON_BOX2.tone} Hz at ${agentHearsCaller.toFixed(2)}, caller on box2 heard the agent's ${AGENT_ON_BOX1.tone} Hz at ${callerHearsAgent.toFixed(2)}`)
    expect(agentHearsCaller).toBeGreaterThan(0.5)
    expect(callerHearsAgent).toBeGreaterThan(0.5)
    const record = await until('the call ended', async () => (await callRecords(store)).find((c) => c.callId === connected.callId && c.outcome !== 'live'), 10_000)
    expect(record).toMatchObject({outcome: 'completed', agent: AGENT_ON_BOX1.agent})
    expect((await runCli(['agent', 'unpause', AGENT_ON_BOX2.agent], env)).code).toBe(0)
  })

  it('a cross-box call (caller on box2, agent on box1) is held, monitored from a phone on box1, transferred to the agent on box2, and recorded on box2 with both sides', async () => {
    expect((await runCli(['queue', 'add', 'q', '--update', '--record'], env)).code).toBe(0)
    await pause(AGENT_ON_BOX2.agent)
    const caller = phones[CALLER_ON_BOX2.phone]!
    const supervisor = phones[SUPERVISOR_ON_BOX1.phone]!
    const since = (await events()).at(-1)?.id ?? 0
    const after = async (type: string, pred: (e: StoredEvent) => boolean = () => true) => until(type, async () => (await events()).find((e) => e.id > since && e.type === type && pred(e)), 15_000)
    await caller.dial('q')
    const connected = await after('call.connected')
    const callId = connected.callId!
    expect(connected.agent).toBe(AGENT_ON_BOX1.agent)
    expect(String((await after('call.started', (e) => e.callId === callId)).data.channel)).toMatch(/^box2-/)

    expect((await runCli(['call', 'hold', callId], env)).code).toBe(0)
    await after('call.held', (e) => e.callId === callId)
    expect((await runCli(['call', 'unhold', callId], env)).code).toBe(0)
    await after('call.unheld', (e) => e.callId === callId)

    const sFrom = supervisor.events.length
    const watched = await runCli(['monitor', callId, '--from', `PJSIP/${SUPERVISOR_ON_BOX1.phone}`, '--json'], env)
    expect(watched.code, watched.stderr).toBe(0)
    await supervisor.waitForEvent('CALL_ESTABLISHED', {from: sFrom, timeoutMs: 15_000})
    await after('supervise.connected', (e) => e.callId === callId)
    await new Promise((r) => setTimeout(r, 3000))
    const sClosed = supervisor.waitForEvent('CALL_CLOSED', {from: sFrom, timeoutMs: 10_000})
    expect((await runCli(['supervise', 'stop', '--all'], env)).code).toBe(0)
    await after('supervise.stopped', (e) => e.callId === callId)
    await sClosed
    // The supervisor on box1 heard the caller on box2 (the snoop is made where the caller's bridge is).
    const heard = parseWav(readFileSync(supervisor.recordings().heard.at(-1)!))
    const sup = slice(mono(heard), heard.sampleRate, heard.durationMs - 2500, heard.durationMs - 300)
    console.log(`cross-box monitor: the supervisor on box1 heard the caller's ${CALLER_ON_BOX2.tone} Hz at ${bandShare(sup, heard.sampleRate, CALLER_ON_BOX2.tone).toFixed(2)} and the agent's ${AGENT_ON_BOX1.tone} Hz at ${bandShare(sup, heard.sampleRate, AGENT_ON_BOX1.tone).toFixed(2)} (${heard.durationMs} ms)`)
    expect(bandShare(sup, heard.sampleRate, CALLER_ON_BOX2.tone)).toBeGreaterThan(0.2)

    expect((await runCli(['agent', 'unpause', AGENT_ON_BOX2.agent], env)).code).toBe(0)
    await until(`${AGENT_ON_BOX2.agent} idle`, async () => (await agentStates())[AGENT_ON_BOX2.agent] === 'idle', 10_000)
    const moved = await runCli(['call', 'transfer', callId, '--to-agent', AGENT_ON_BOX2.agent], env)
    expect(moved.code, moved.stderr).toBe(0)
    await after('call.connected', (e) => e.callId === callId && e.agent === AGENT_ON_BOX2.agent)
    await new Promise((r) => setTimeout(r, 2000))
    const cFrom = caller.events.length
    await caller.hangup()
    await caller.waitForEvent('CALL_CLOSED', {from: cFrom, timeoutMs: 10_000})
    await after('call.ended', (e) => e.callId === callId)

    // Recorded where the caller's bridge is (box2), fetched through the router, both sides in it.
    const rows = await until('the recordings saved', async () => {
      const r = await runCli(['recordings', 'list', '--call', callId, '--json'], env)
      const list = (JSON.parse(r.stdout) as {recordings: {name: string; state: string}[]}).recordings
      return list.length > 0 && list.every((x) => x.state !== 'recording') && list
    }, 20_000)
    const out = mkdtempSync(join(home, 'exported-'))
    const exported = await runCli(['recordings', 'export', '--call', callId, '--out', out, '--json'], env)
    expect(exported.code, exported.stderr).toBe(0)
    const file = (JSON.parse(exported.stdout) as {exported: {file: string}[]}).exported[0]!.file
    const wav = parseWav(readFileSync(file))
    const both = mono(wav)
    console.log(`cross-box recording ${rows[0]!.name}: ${wav.durationMs} ms; caller ${bandShare(both, wav.sampleRate, CALLER_ON_BOX2.tone).toFixed(2)}, agent ${bandShare(both, wav.sampleRate, AGENT_ON_BOX1.tone).toFixed(2)}`)
    expect(bandShare(both, wav.sampleRate, CALLER_ON_BOX2.tone)).toBeGreaterThan(0.1)
    expect(bandShare(both, wav.sampleRate, AGENT_ON_BOX1.tone)).toBeGreaterThan(0.1)
    expect((await runCli(['queue', 'add', 'q', '--update', '--no-record'], env)).code).toBe(0)
  })

  it('the caller who waited longest is served first, whichever box it is on', async () => {
    for (const a of [AGENT_ON_BOX1, AGENT_ON_BOX2]) await pause(a.agent)
    const since = (await events()).at(-1)?.id ?? 0
    // Carrier callers through the proxy, spread over both boxes by its dispatcher.
    const numbers = ['0612000001', '0612000002', '0612000003', '0612000004']
    // A caller with nobody ringing for it is answered with hold music at once (late answer
    // only while its agent rings), so SIPp's hold counts from there: long enough for every
    // caller to wait its turn; the test ends each call itself.
    const caller = await startCaller({sip: {host: state.proxy!.host, port: state.proxy!.carrierPort, carrier: state.proxy!.carrier}, calls: numbers.map((from) => ({did: 'q', from})), rate: 2, holdMs: 60_000, timeoutMs: 120_000})
    const started = await until('four callers in line', async () => {
      const s = (await events()).filter((e) => e.id > since && e.type === 'queue.entered')
      return s.length === 4 && s
    }, 15_000)
    const boxOf = new Map((await events()).filter((e) => e.type === 'call.started' && e.id > since).map((e) => [e.callId, String(e.data.channel).split('-')[0]]))
    expect(new Set(started.map((e) => boxOf.get(e.callId!)))).toEqual(new Set(['box1', 'box2']))
    // On a failure, what the engine did meanwhile says why (a ring that failed, a caller who left).
    const trail = async () => JSON.stringify((await events()).filter((e) => e.id > since).map((e) => [e.id, e.type, e.callId, e.agent, e.data.reason ?? e.data.cause ?? '']))
    const served = async (n: number) => until(`caller ${n + 1} served`, async () => (await events()).filter((e) => e.id > since && e.type === 'call.connected')[n], 15_000)
    // One agent back, then the other: the two who waited longest, in their order.
    expect((await runCli(['agent', 'unpause', AGENT_ON_BOX1.agent], env)).code).toBe(0)
    expect((await served(0)).callId, await trail()).toBe(started[0]!.callId)
    expect((await runCli(['agent', 'unpause', AGENT_ON_BOX2.agent], env)).code).toBe(0)
    expect((await served(1)).callId, await trail()).toBe(started[1]!.callId)
    // Each call ended frees its agent for the next in line, whichever box each is on.
    expect((await runCli(['call', 'hangup', started[0]!.callId!], env)).code).toBe(0)
    expect((await served(2)).callId, await trail()).toBe(started[2]!.callId)
    expect((await runCli(['call', 'hangup', started[1]!.callId!], env)).code).toBe(0)
    expect((await served(3)).callId, await trail()).toBe(started[3]!.callId)
    for (const c of started.slice(2)) expect((await runCli(['call', 'hangup', c.callId!], env)).code).toBe(0)
    for (const c of started) await until('every call ended', async () => (await events()).some((e) => e.type === 'call.ended' && e.callId === c.callId), 10_000)
    await caller.stop()
    caller.cleanup()
  })

  it('box2 killed under traffic: only its calls end (box-lost), a box1 caller whose agent was on box2 goes back in line and is served again, k2 comes back on box1, and new calls are served within 10 s', async () => {
    for (const a of [AGENT_ON_BOX1, AGENT_ON_BOX2]) await pause(a.agent)
    const since = (await events()).at(-1)?.id ?? 0
    const numbers = ['0613000001', '0613000002']
    const carrier = {host: state.proxy!.host, port: state.proxy!.carrierPort, carrier: state.proxy!.carrier}
    const caller = await startCaller({sip: carrier, calls: numbers.map((from) => ({did: 'q', from})), rate: 5, holdMs: 40_000, timeoutMs: 90_000})
    // The proxy's dispatcher spreads two callers over the two boxes; which comes first is its
    // choice. Agents are let in so that k2 (phone on box2) takes the box1 caller, over the
    // trunk, and k1 (phone on box1) the box2 caller: both crossings at once.
    const waiting = await until('two callers in line', async () => {
      const s = (await events()).filter((e) => e.id > since && e.type === 'queue.entered')
      return s.length === 2 && s
    }, 15_000)
    const starts = new Map((await events()).filter((e) => e.type === 'call.started' && e.id > since).map((e) => [e.callId!, String(e.data.channel)]))
    const boxOfCall = (id: string) => starts.get(id)!.split('-')[0]
    expect(new Set(waiting.map((e) => boxOfCall(e.callId!)))).toEqual(new Set(['box1', 'box2']))
    const order = boxOfCall(waiting[0]!.callId!) === 'box1' ? [AGENT_ON_BOX2, AGENT_ON_BOX1] : [AGENT_ON_BOX1, AGENT_ON_BOX2]
    for (const [i, a] of order.entries()) {
      expect((await runCli(['agent', 'unpause', a.agent], env)).code).toBe(0)
      await until(`${a.agent} talking`, async () => (await events()).filter((e) => e.id > since && e.type === 'call.connected').length === i + 1, 15_000)
    }
    const talking = (await events()).filter((e) => e.id > since && e.type === 'call.connected')
    const onBox2 = talking.find((c) => boxOfCall(c.callId!) === 'box2')!
    const throughBox2 = talking.find((c) => boxOfCall(c.callId!) === 'box1')!
    expect(onBox2.agent).toBe(AGENT_ON_BOX1.agent)
    expect(throughBox2.agent).toBe(AGENT_ON_BOX2.agent)

    const killedAt = Date.now()
    expect((await killBox(paths, 'box2')).killed).toBe(true)
    const lost = await until('box2 lost', async () => (await events()).find((e) => e.id > since && e.type === 'engine.box_lost'), 15_000)
    expect(lost.data).toMatchObject({box: 'box2', calls: 1, requeued: 1})
    const ended = await until("box2's call ended", async () => (await events()).find((e) => e.type === 'call.ended' && e.callId === onBox2.callId), 5_000)
    expect(ended.data.cause).toBe('box-lost')
    // Its talk ends when box2 was last seen, not BOX_LOST_MS later when it is declared lost (misuse 21 #9).
    const completed = (await events()).find((e) => e.type === 'call.completed' && e.callId === onBox2.callId)!
    expect(Number(completed.data.talkMs)).toBeLessThanOrEqual(killedAt + 1_000 - onBox2.ts)
    // The box1 caller lost its agent, not its call: back in line, its place kept, and served again.
    const requeued = (await events()).find((e) => e.type === 'call.transferred' && e.callId === throughBox2.callId)
    expect(requeued?.data).toMatchObject({by: 'system', reason: 'agent-box-lost', to: {queue: 'q'}})
    const servedAgain = await until('the box1 caller served again', async () => (await events()).find((e) => e.type === 'call.connected' && e.callId === throughBox2.callId && e.id > requeued!.id), (SANDBOX_REGISTRATION_S + 15) * 1000)
    expect((await events()).some((e) => e.type === 'call.ended' && e.callId === throughBox2.callId && e.id < servedAgain.id)).toBe(false)
    console.log(`box2 killed: its call closed ${lost.ts - killedAt} ms later, its talk ${String(completed.data.talkMs)} ms (connected to kill ${killedAt - onBox2.ts} ms); the box1 caller whose agent was on box2 served again by ${servedAgain.agent} ${servedAgain.ts - killedAt} ms later`)
    // k2's phone registered on box2: back through the proxy on box1 within a registration interval.
    const box1 = new AriHttp({url: boxesOf(state)[0]!.ariUrl, user: state.ariUser, password: readFileSync(state.passwordFile, 'utf8').trim()})
    await until(`${AGENT_ON_BOX2.agent}'s phone online on box1`, async () => (await box1.getEndpoint('PJSIP', AGENT_ON_BOX2.phone)).state === 'online', (SANDBOX_REGISTRATION_S + 5) * 1000)
    await until(`${AGENT_ON_BOX2.agent} reachable again`, async () => !['unreachable', 'offline'].includes((await agentStates())[AGENT_ON_BOX2.agent]!), 5_000)
    console.log(`k2 reachable again ${Date.now() - killedAt} ms after the kill`)
    // One SIPp process holds the carrier's port at a time: the first caller goes (its box1 call with it).
    await caller.stop()
    caller.cleanup()
    // SIPp stopped says no BYE: the caller served again is ended from here.
    expect((await runCli(['call', 'hangup', throughBox2.callId!], env)).code).toBe(0)
    for (const a of [AGENT_ON_BOX1, AGENT_ON_BOX2]) await until(`${a.agent} free`, async () => ['idle', 'wrap-up'].includes((await agentStates())[a.agent]!), 15_000)

    const callerAfter = await startCaller({sip: carrier, calls: [{did: 'q', from: '0613000009'}], holdMs: 3_000, timeoutMs: 30_000})
    const askedAt = Date.now()
    const earlier = new Set(talking.map((c) => c.callId))
    const served = await until('a new call served', async () => (await events()).find((e) => e.type === 'call.connected' && e.ts >= askedAt - 1000 && !earlier.has(e.callId)), 10_000)
    expect(served.ts - askedAt).toBeLessThan(10_000)
    await callerAfter.done
    callerAfter.cleanup()
  })
})
