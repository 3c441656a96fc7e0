import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'csv-parse/sync'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../support/cli.js'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'

// `callctl report calls` reconciled with Asterisk's own CDR (cdr_csv: log/cdr-csv/Master.csv of
// the sandbox instance, enabled by asterisk/conf/cdr.conf).
//
// Simulated callers and agents are Local channels, so one answered call leaves four CDR rows:
//   caller ;1  the call in Stasis, bridged to the agent: billsec runs from the caller's own
//              answer, so it includes the wait in line;
//   caller ;2  the simulated caller's dialplan: the whole call;
//   agent ;1   the agent leg in Stasis before the bridge: billsec 0;
//   agent ;2   the simulated phone: answered when the agent picks up, ended when the agent
//              hangs up: its billsec is the talk time.
// The engine names the agent leg it originates "<call id>.rN" (call.connected's channel), and
// Asterisk names the ;2 half after it, so the matching row is the one whose uniqueid is
// "<call id>.r<N>;2", in context callctl-sim-agent, ANSWERED. Rings nobody answered leave no
// row (cdr.conf: unanswered = no).

const RUN = String(Date.now()).slice(-6)
const number = (n: number) => `+1557${RUN}${n}`
const CDR_COLUMNS = ['accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags', 'uniqueid', 'userfield']

let h: Harness
let start = 0

beforeAll(async () => {
  start = Date.now() - 1000
  h = await startTestEngine({
    // Linear: every caller tries "deaf" first, whose unanswered rings must not count.
    queues: {q: {ringTimeout: 2, wrapUp: 0, autoPauseAfter: 0, strategy: 'linear'}},
    agents: [
      {id: 'deaf', ring: 999, talk: {min: 1, max: 1}, queues: ['q']},
      {id: 't2', ring: 1, talk: {min: 2, max: 2}, queues: ['q']},
      {id: 't3', ring: 1, talk: {min: 3, max: 3}, queues: ['q']},
      {id: 't6', ring: 1, talk: {min: 6, max: 6}, queues: ['q']},
    ],
  })
  for (const n of [1, 2, 3]) await h.call({number: number(n), did: 'q', patience: 30})
  // The caller who gives up comes once t2, t3 and t6 are all talking, so only deaf rings for
  // it: an agent answering just as it gave up would be an answered leg in the CDR and an
  // abandoned call in the report, a race rather than a reconciliation.
  await h.waitFor('three calls connected', async () => (await h.events()).filter((e) => e.type === 'call.connected').length === 3, 20_000)
  await h.call({number: number(4), did: 'q', patience: 1})
  for (const n of [1, 2, 3, 4]) await h.ended(number(n))
  await h.engine.events.flush()
})

afterAll(async () => {
  if (!h) return
  for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
  await h.waitFor('no channels left', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
  await h.stop()
})

describe('report calls reconciled with Asterisk CDR (cdr_csv)', () => {
  it('answered calls and each call’s talk time agree with the agent legs’ billsec (±1 s)', async () => {
    const s = inject('sandbox')
    const master = join(s.root, s.instanceDir, 'log', 'cdr-csv', 'Master.csv')
    // CDRs are written when the last channel of a call is gone: give Asterisk a moment.
    await h.waitFor('the CDR rows', () => existsSync(master) && readFileSync(master, 'utf8').split(RUN).length > 4 * 3, 10_000)
    const cdr = parse(readFileSync(master, 'utf8'), {columns: CDR_COLUMNS, relax_column_count: true}) as Record<string, string>[]

    const out = join(mkdtempSync(join(tmpdir(), 'callctl-cdr-')), 'calls.csv')
    const r = await runCli(['report', 'calls', '--from', new Date(start).toISOString(), '--to', new Date(Date.now() + 1000).toISOString(), '--out', out], {
      CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-home-')),
      CALLCTL_DB: h.store.file,
    })
    expect(r.code).toBe(0)
    const calls = parse(readFileSync(out, 'utf8'), {columns: true}) as Record<string, string>[]
    expect(calls).toHaveLength(4)

    const agentLeg = (callId: string) => cdr.filter((c) => (c.uniqueid ?? '').startsWith(`${callId}.r`) && (c.uniqueid ?? '').endsWith(';2') && c.dcontext === 'callctl-sim-agent' && c.disposition === 'ANSWERED')
    const answered = calls.filter((c) => c.answered_at !== '')
    const legs = calls.flatMap((c) => agentLeg(c.call_id!))
    expect(answered).toHaveLength(3)
    expect(legs).toHaveLength(3)
    // Some calls rang deaf first, unanswered: those rings left no row, so still one leg per answered call.
    expect(calls.some((c) => c.agents_tried!.split(' ').includes('deaf'))).toBe(true)
    for (const c of answered) {
      const [leg] = agentLeg(c.call_id!)
      expect(leg, c.call_id).toBeDefined()
      expect(leg!.src).toBe(c.caller_number!.replace(/^'/, ''))
      expect(Math.abs(Number(c.talk_s) - Number(leg!.billsec)), `${c.call_id}: talk ${c.talk_s} s, billsec ${leg!.billsec}`).toBeLessThanOrEqual(1)
    }
    expect(answered.map((c) => Math.round(Number(c.talk_s))).sort()).toEqual([2, 3, 6])
    // The caller who gave up: no agent leg at all.
    const gaveUp = calls.find((c) => c.answered_at === '')!
    expect(gaveUp.outcome).toBe('abandoned')
    expect(agentLeg(gaveUp.call_id!)).toEqual([])
  })
})
