import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {addAgent, loginAgent, logoutAgent, pauseAgent, unpauseAgent} from '../../src/engine/admin/admin.js'
import {LiveQueueLog} from '../../src/engine/reports/queue-log-live.js'
import {createLogger} from '../../src/engine/util/log.js'
import {runCli} from '../support/cli.js'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'

// The same traffic through Asterisk's own app_queue (asterisk/conf/queues.conf, dialplan
// callctl-appqueue) and through the engine with its live queue_log writer, then the two
// queue_logs side by side: the same events in the same order, with the same meaning in each
// field. Values measured in time differ a little: app_queue waits `retry` (1 s) before
// trying the next member and counts whole seconds of its own clock, hence the tolerances.
//
//   answer:   the first member never answers (2 s ring timeout), the second answers after 1 s
//             and hangs up after 3 s   → ENTERQUEUE, RINGNOANSWER, CONNECT, COMPLETEAGENT
//   abandon:  only a member who never answers; the caller hangs up after 2 s
//                                      → ENTERQUEUE, RINGCANCELED, ABANDON
//   timeout:  the same, but the queue's 4 s limit ends the wait
//                                      → ENTERQUEUE, RINGNOANSWER, EXITWITHTIMEOUT
//   member:   added, paused in all queues ("lunch"), unpaused, removed
//                                      → ADDMEMBER, PAUSEALL, PAUSE, UNPAUSEALL, UNPAUSE, REMOVEMEMBER

const RUN = String(Date.now()).slice(-5)
const num = (n: number) => `+1558${RUN}${n}`
let h: Harness
let live: LiveQueueLog
let liveFile = ''
let start = 0
const ours: Record<string, string> = {}
let theirs: string[] = []
let mine: string[] = []

const sandbox = () => inject('sandbox')
const asteriskQueueLog = () => join(sandbox().root, sandbox().instanceDir, 'log', 'queue_log')

async function appQueueCaller(queue: string, n: number, patience: number, timeout?: number): Promise<string> {
  const id = `aq-${num(n).slice(1)}`
  await h.rest.originate({
    endpoint: 'Local/s@callctl-sim-aqcaller',
    context: 'callctl-appqueue',
    extension: queue,
    priority: 1,
    callerId: `"AQ ${n}" <${num(n)}>`,
    channelId: id,
    variables: {SIM_PATIENCE: String(patience), ...(timeout ? {AQ_TIMEOUT: String(timeout)} : {})},
  })
  return id
}

async function appQueueMember(op: string): Promise<void> {
  await h.rest.originate({
    endpoint: `Local/${op}@callctl-appqueue-member`,
    context: 'callctl-sim-callee',
    extension: '999',
    priority: 1,
    variables: {AQ_QUEUE: 'aq-answer', AQ_MEMBER: `Local/2-1-1-aqdyn${RUN}@callctl-sim-agent`, AQ_NAME: `aqdyn${RUN}`, AQ_REASON: 'lunch'},
  })
}

const linesOf = (file: string, key: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.split('|')[1] === key || l.split('|')[3] === key) : [])

beforeAll(async () => {
  start = Date.now() - 1000
  h = await startTestEngine({
    queues: {
      eq: {strategy: 'linear', ringTimeout: 2, wrapUp: 0, autoPauseAfter: 0},
      eqn: {strategy: 'linear', ringTimeout: 15, wrapUp: 0, autoPauseAfter: 0, maxWait: 4, overflow: {action: 'hangup'}},
    },
    agents: [
      {id: 'deaf', ring: 999, talk: {min: 1, max: 1}, queues: ['eq']},
      {id: 'ok', ring: 1, talk: {min: 3, max: 3}, queues: ['eq']},
      {id: 'deaf2', ring: 999, talk: {min: 1, max: 1}, queues: ['eqn']},
    ],
  })
  liveFile = join(mkdtempSync(join(tmpdir(), 'callctl-ql-')), 'queue_log')
  live = await LiveQueueLog.start({file: liveFile, store: h.store, log: createLogger({level: 'warn'}), source: {events: h.engine.events, callbackKey: () => ''}})

  const callOf = async (n: number) => (await h.callOf(num(n)))!.callId
  const aq: Record<string, string> = {}
  aq.answer = await appQueueCaller('aq-answer', 1, 30)
  await h.call({number: num(1), did: 'eq', patience: 30})
  aq.abandon = await appQueueCaller('aq-noanswer', 2, 2)
  await h.call({number: num(2), did: 'eqn', patience: 2})
  for (const n of [1, 2]) await h.ended(num(n))
  await h.waitFor('app_queue done', () => linesOf(asteriskQueueLog(), aq.answer!).some((l) => l.includes('|COMPLETE')) && linesOf(asteriskQueueLog(), aq.abandon!).some((l) => l.includes('|ABANDON|')), 30_000)
  aq.timeout = await appQueueCaller('aq-noanswer', 3, 30, 4)
  await h.call({number: num(3), did: 'eqn', patience: 30})
  await h.ended(num(3))
  await h.waitFor('app_queue timeout', () => linesOf(asteriskQueueLog(), aq.timeout!).some((l) => l.includes('|EXITWITHTIMEOUT|')), 30_000)

  for (const op of ['add', 'pauseall', 'unpauseall', 'remove']) {
    await appQueueMember(op)
    await new Promise((r) => setTimeout(r, 500))
  }
  const dyn = `dyn${RUN}`
  await addAgent(h.store, {id: dyn, endpoint: 'PJSIP/dyn', queues: ['eq']})
  await loginAgent(h.store, dyn)
  await pauseAgent(h.store, dyn, 'lunch')
  await unpauseAgent(h.store, dyn)
  await logoutAgent(h.store, dyn)
  await h.waitFor('app_queue member lines', () => linesOf(asteriskQueueLog(), `aqdyn${RUN}`).some((l) => l.includes('|REMOVEMEMBER|')), 10_000)

  await h.engine.events.flush()
  await live.stop()
  for (const [scenario, n] of [['answer', 1], ['abandon', 2], ['timeout', 3]] as const) ours[scenario] = await callOf(n)
  const all = readFileSync(asteriskQueueLog(), 'utf8').split('\n')
  theirs = all
  mine = readFileSync(liveFile, 'utf8').split('\n')
  Object.assign(ours, {member: dyn})
  Object.assign(aqIds, aq, {member: `aqdyn${RUN}`})
})

const aqIds: Record<string, string> = {}

afterAll(async () => {
  if (!h) return
  for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
  await h.waitFor('no channels left', async () => (await leftovers(h.rest)).channels.length === 0, 15_000)
  await h.stop()
})

interface Line {
  epoch: number
  callid: string
  queue: string
  agent: string
  event: string
  data: string[]
}

function parseLines(lines: string[], key: string): Line[] {
  return lines
    .map((l) => l.split('|'))
    .filter((f) => f.length >= 5 && (f[1] === key || f[3] === key))
    .map(([epoch, callid, queue, agent, event, ...data]) => ({epoch: Number(epoch), callid: callid!, queue: queue!, agent: agent!, event: event!, data}))
}

const events = (ls: Line[]) => ls.map((l) => l.event)
const near = (a: string | undefined, b: string | undefined, tolerance: number, what: string) =>
  expect(Math.abs(Number(a) - Number(b)), `${what}: ours ${a}, app_queue ${b}`).toBeLessThanOrEqual(tolerance)

describe('queue_log: ours next to app_queue’s, same traffic (real sandbox)', () => {
  it('answered after a ring nobody picked up: ENTERQUEUE, RINGNOANSWER, CONNECT, COMPLETEAGENT', () => {
    const a = parseLines(mine, ours.answer!)
    const b = parseLines(theirs, aqIds.answer!)
    expect(events(a)).toEqual(['ENTERQUEUE', 'RINGNOANSWER', 'CONNECT', 'COMPLETEAGENT'])
    expect(events(b)).toEqual(events(a))
    // ENTERQUEUE url|callerid|position
    expect(a[0]!.data).toEqual(['', num(1), '1'])
    expect(b[0]!.data).toEqual(['', num(1), '1'])
    // RINGNOANSWER ringtime (ms), by the member who did not answer
    expect([a[1]!.agent, b[1]!.agent]).toEqual(['deaf', 'aqdeaf'])
    near(a[1]!.data[0], b[1]!.data[0], 300, 'ring ms')
    // CONNECT holdtime|bridged channel uniqueid|ringtime, by the member who answered
    expect([a[2]!.agent, b[2]!.agent]).toEqual(['ok', 'aqok'])
    near(a[2]!.data[0], b[2]!.data[0], 2, 'hold s')
    expect(a[2]!.data[1]).toMatch(new RegExp(`^${ours.answer}\\.r\\d+$`))
    expect(b[2]!.data[1]).toMatch(/^\d+\.\d+$/)
    near(a[2]!.data[2], b[2]!.data[2], 1, 'ring s')
    // COMPLETEAGENT holdtime|calltime|origposition
    near(a[3]!.data[0], b[3]!.data[0], 2, 'hold s')
    near(a[3]!.data[1], b[3]!.data[1], 1, 'talk s')
    expect([a[3]!.data[2], b[3]!.data[2]]).toEqual(['1', '1'])
    // The same call id on every line of a call; the queue's name on each.
    expect(new Set(a.map((l) => `${l.callid} ${l.queue}`))).toEqual(new Set([`${ours.answer} eq`]))
    expect(new Set(b.map((l) => `${l.callid} ${l.queue}`))).toEqual(new Set([`${aqIds.answer} aq-answer`]))
  })

  it('the caller hangs up while a phone rings: ENTERQUEUE, RINGCANCELED, ABANDON position|origposition|waittime', () => {
    const a = parseLines(mine, ours.abandon!)
    const b = parseLines(theirs, aqIds.abandon!)
    expect(events(a)).toEqual(['ENTERQUEUE', 'RINGCANCELED', 'ABANDON'])
    expect(events(b)).toEqual(events(a))
    near(a[1]!.data[0], b[1]!.data[0], 600, 'ring ms')
    expect(a[2]!.data.slice(0, 2)).toEqual(b[2]!.data.slice(0, 2))
    near(a[2]!.data[2], b[2]!.data[2], 1, 'wait s')
    expect([a[2]!.agent, b[2]!.agent]).toEqual(['NONE', 'NONE'])
  })

  it('the queue’s time limit ends the wait: ENTERQUEUE, RINGNOANSWER, EXITWITHTIMEOUT position|origposition|waittime', () => {
    const a = parseLines(mine, ours.timeout!)
    const b = parseLines(theirs, aqIds.timeout!)
    expect(events(a)).toEqual(['ENTERQUEUE', 'RINGNOANSWER', 'EXITWITHTIMEOUT'])
    expect(events(b)).toEqual(events(a))
    near(a[1]!.data[0], b[1]!.data[0], 600, 'ring ms')
    expect(a[2]!.data.slice(0, 2)).toEqual(b[2]!.data.slice(0, 2))
    near(a[2]!.data[2], b[2]!.data[2], 1, 'wait s')
  })

  it('a member joining, pausing in all queues, coming back and leaving', () => {
    const a = parseLines(mine, ours.member!)
    const b = parseLines(theirs, aqIds.member!)
    expect(events(a)).toEqual(['ADDMEMBER', 'PAUSEALL', 'PAUSE', 'UNPAUSEALL', 'UNPAUSE', 'REMOVEMEMBER'])
    expect(events(b)).toEqual(events(a))
    expect(a.map((l) => [l.queue === 'NONE', l.data])).toEqual(b.map((l) => [l.queue === 'NONE', l.data]))
    expect(a.map((l) => l.queue)).toEqual(['eq', 'NONE', 'eq', 'NONE', 'eq', 'eq'])
  })

  it('the export from the event log gives the lines the live writer wrote', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'callctl-qlx-')), 'queue_log')
    const r = await runCli(['report', 'queue-log', '--from', new Date(start).toISOString(), '--to', new Date(Date.now() + 1000).toISOString(), '--out', out], {
      CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-home-')),
      CALLCTL_DB: h.store.file,
    })
    expect(r.code).toBe(0)
    const exported = readFileSync(out, 'utf8').split('\n')
    for (const key of [ours.answer!, ours.abandon!, ours.timeout!, ours.member!]) {
      expect(parseLines(exported, key)).toEqual(parseLines(mine, key))
    }
    expect(mine[0]).toMatch(/^\d+\|NONE\|NONE\|NONE\|QUEUESTART\|$/)
  })
})
