import {cpus, loadavg} from 'node:os'
import {numberFlag, numberListFlag} from '../flags.js'
import {freeUdpPort, killAllSipAgents} from '../sip/sipp.js'
import {ratios, summarizePath, table, type PathSummary} from './report.js'
import {benchSandbox, type BenchSandbox} from './sandbox.js'
import {waveSpacingMs} from './scenario.js'
import {PhoneGroup} from './sip-phones.js'
import {pushAppQueueTrunk, runAppQueueSip, runEngineSip, type SipPathResult, type SipRunInput} from './sip-paths.js'
import {judgeSipRun, ladderHighest, ladderNext, type LadderStep} from './sip-plan.js'
import {sipDetailLines, sipLadderLines, sipSummaryLines, type SipStep} from './sip-report.js'

// bench:load --sip: the load bench over real SIP. SIPp callers with RTP audio over an
// address-identified trunk (the sandbox's carrier for the engine, a trunk of the bench's
// own into Queue() for app_queue), agents as SIPp phones registered to PJSIP endpoints the
// product's addPhone provisioned, both routers on one sandbox Asterisk with one CEL clock.
//   1. The comparison: the same callers and phones through app_queue, then the engine
//      (waves of callers at --rate; --agents phones talking --talk s): ring latency with a
//      free agent, agent-free → next ring, drain rate, CPU per 100 calls.
//   2. The rate ladder, both paths in turn at each rung: --search-seconds of arrivals,
//      talk --search-talk s, phones = 1.5 × rate × talk + 2; --rates until a rate fails,
//      then --refine halvings. A rate holds when every caller is served (none failed, none
//      hung up by the system or the bench, SIPp counts no failure), no engine error, ring
//      p99 with a free agent <= 1 s and nobody waited over 20 s (the Local search's patience).
//   3. The concurrency ladder, both paths in turn: N callers at --conc-rate calls/s to N
//      phones that stay on the call until the caller hangs up, --conc-hold s after the last
//      arrival: N holds when all N were connected at once (CEL) with the same criteria.
//      --concurrency values until one fails, then --conc-refine halvings.
// SIP callers cannot abandon fairly (the engine answers at once, Queue() when an agent
// does: a SIP caller cannot tell queue from agent), so no caller gives up here; the
// Local-channel mode measures abandons.
//
// Flags (besides --sip): --callers N, --agents N, --talk S, --rate R, --wave N, --warmup N,
// --rates R,R,... ("" skips), --search-seconds S, --search-talk S, --refine N,
// --concurrency N,N,... ("" skips), --conc-rate R, --conc-hold S, --conc-refine N, --json.

const SEARCH_HEADROOM = 1.5
const MAX_RING_P99_MS = 1000
const MAX_WAIT_S = 20


function options(args: string[]) {
  const callers = numberFlag(args, '--callers', 200, {integer: true, min: 1, max: 20_000})
  return {
    callers,
    agents: numberFlag(args, '--agents', 10, {integer: true, min: 1, max: 450}),
    talkS: numberFlag(args, '--talk', 2, {integer: true, min: 1, max: 600}),
    rate: numberFlag(args, '--rate', 20, {min: 0.1, max: 500}),
    wave: numberFlag(args, '--wave', Math.min(40, callers), {integer: true, min: 1}),
    warmup: numberFlag(args, '--warmup', 5, {integer: true, max: 100}),
    rates: numberListFlag(args, '--rates', '5,10,20,40'),
    searchSeconds: numberFlag(args, '--search-seconds', 10, {min: 1, max: 600}),
    searchTalkS: numberFlag(args, '--search-talk', 1, {integer: true, min: 1, max: 600}),
    refine: numberFlag(args, '--refine', 2, {integer: true, max: 10}),
    // The sandbox's RTP range holds 500 bridged calls (2 × 2 ports each of 2000); its SIPp phones and callers bind none of it.
    concurrency: numberListFlag(args, '--concurrency', '50,100,200,400').map((n) => Math.min(450, Math.round(n))),
    concRate: numberFlag(args, '--conc-rate', 10, {min: 0.5, max: 200}),
    concHoldS: numberFlag(args, '--conc-hold', 5, {integer: true, min: 1, max: 600}),
    concRefine: numberFlag(args, '--conc-refine', 1, {integer: true, max: 10}),
    json: args.includes('--json'),
  }
}

type Options = ReturnType<typeof options>
type PathName = 'app_queue' | 'engine'
const PATHS: PathName[] = ['app_queue', 'engine']

interface Ctx {
  sb: BenchSandbox
  aqTrunk: {host: string; port: number}
  progress: (s: string) => void
  /** Caller-number prefixes: unique per run in the bench. */
  run: number
}

async function runPath(c: Ctx, path: PathName, p: Omit<SipRunInput, 'numberPrefix'>): Promise<SipPathResult> {
  const numberPrefix = `1558${String(c.run++).padStart(3, '0')}`
  return path === 'app_queue' ? runAppQueueSip(c.sb, c.aqTrunk, {...p, numberPrefix}) : runEngineSip(c.sb, {...p, numberPrefix})
}

function step(path: PathName, value: number, input: Omit<SipRunInput, 'numberPrefix'>, r: SipPathResult, expectConnected: number | null): SipStep {
  const run = summarizePath(r)
  const verdict = judgeSipRun({...run, sippFailed: r.sippFailed, peakConnected: r.metrics.peakConnected, waitMaxMs: r.metrics.waitMs.max}, input.callers, {maxRingP99Ms: MAX_RING_P99_MS, maxWaitMs: MAX_WAIT_S * 1000, connectedAtOnce: expectConnected})
  const wall = Math.max(r.wallS, 1e-9)
  return {path, value, callers: input.callers, agents: input.phones.length, run, sippFailed: r.sippFailed, sippErrorSample: r.sippErrorSample, peakConnected: r.metrics.peakConnected, waitP99Ms: r.metrics.waitMs.p99, asteriskCores: r.asteriskCpuS / wall, engineCores: (r.engineCpuS ?? 0) / wall, restPerCall: r.restPerCall?.total ?? null, ok: verdict.ok, why: verdict.why}
}

function emptySummary(): PathSummary {
  return {completed: 0, failed: 0, abandoned: 0, failures: {}, ringP50: NaN, ringP99: NaN, ringSamples: 0, ringMissed: 0, freeP50: NaN, freeP99: NaN, freeSamples: 0, drainPerSec: NaN, drainBusyAgents: NaN, drainSeconds: 0, drainOfIdeal: NaN, asteriskCpuPer100: NaN, engineCpuPer100: null, totalCpuPer100: NaN, doubleBooked: 0, wallS: 0, engineErrors: 0, engineErrorSample: null, engineWarnings: 0, engineWarningSample: null}
}

/** Both paths up one ladder, in turn at each rung, each until its own end (ladderNext). */
async function ladder(c: Ctx, values: number[], refine: number, rung: (path: PathName, value: number) => Promise<SipStep>): Promise<Record<PathName, SipStep[]>> {
  const steps: Record<PathName, SipStep[]> = {app_queue: [], engine: []}
  const tried = (p: PathName): LadderStep[] => steps[p].map((s) => ({value: s.value, ok: s.ok}))
  for (;;) {
    const next = PATHS.map((p) => [p, ladderNext(values, refine, tried(p))] as const).filter(([, v]) => v !== null)
    if (next.length === 0) return steps
    for (const [p, v] of next) {
      let s: SipStep
      try {
        s = await rung(p, v!)
      } catch (err) {
        // The bench's own trouble (a phone that would not register, SIPp stuck): the rung
        // counts as not held, with the reason shown, and the other results are kept.
        s = {path: p, value: v!, callers: 0, agents: 0, run: emptySummary(), sippFailed: 0, sippErrorSample: null, peakConnected: 0, waitP99Ms: NaN, asteriskCores: NaN, engineCores: NaN, restPerCall: null, ok: false, why: [`bench error: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`]}
      }
      steps[p].push(s)
      c.progress(`  ${p} at ${v}: ${s.ok ? 'holds' : `fails (${s.why.join('; ')})`}; ring p50/p99 ${s.run.ringP50.toFixed(1)}/${s.run.ringP99.toFixed(1)} ms`)
    }
  }
}

export async function sipMain(args: string[]): Promise<number> {
  const o = options(args)
  const progress = (line: string) => console.error(`bench:load --sip: ${line}`)
  const began = Date.now()
  const load0 = loadavg()
  progress('starting a sandbox Asterisk of its own ...')
  const sb = await benchSandbox()
  const interrupted = () => void killAllSipAgents().finally(() => void sb.down().finally(() => process.exit(130)))
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const groups: PhoneGroup[] = []
  try {
    const sip = sb.state.sip
    if (!sip) throw new Error('the sandbox has no SIP side (sandbox state without sip)')
    const version = (await sb.rest.asteriskInfo()).system?.version ?? '?'
    const c: Ctx = {sb, aqTrunk: {host: '127.0.0.1', port: await freeUdpPort()}, progress, run: 1}
    await pushAppQueueTrunk(sb, c.aqTrunk)
    const registrar = {host: sip.host, port: sip.port}

    // 1. The comparison.
    const compare = new PhoneGroup(sb, registrar, 'sc', o.talkS * 1000)
    groups.push(compare)
    progress(`registering ${o.agents} phones ...`)
    const phones = await compare.ensure(o.agents)
    const spacingMs = waveSpacingMs({agents: o.agents, talkS: o.talkS, rate: o.rate, wave: o.wave})
    const input = {phones, callers: o.callers, rate: o.rate, wave: o.wave, spacingMs, talkS: o.talkS, holdS: 120, warmup: o.warmup}
    progress(`app_queue: ${o.callers} SIP callers, ${o.agents} phones ...`)
    const aqRun = await runPath(c, 'app_queue', input)
    progress(`engine: ${o.callers} SIP callers, ${o.agents} phones ...`)
    const enRun = await runPath(c, 'engine', input)
    await compare.stop()
    const aq = summarizePath(aqRun)
    const en = summarizePath(enRun)
    const x = ratios(aq, en)

    // 2. The rate ladder.
    const rateGroup = new PhoneGroup(sb, registrar, 'sr', o.searchTalkS * 1000)
    groups.push(rateGroup)
    const rates = await ladder(c, o.rates, o.refine, async (path, rate) => {
      const callers = Math.ceil(rate * o.searchSeconds)
      const agents = Math.ceil(SEARCH_HEADROOM * rate * o.searchTalkS) + 2
      progress(`rate ladder, ${path}: ${rate} calls/s, ${callers} callers, ${agents} phones ...`)
      const ids = await rateGroup.ensure(agents)
      const i = {phones: ids, callers, rate, wave: callers, spacingMs: 0, talkS: o.searchTalkS, holdS: 60, warmup: Math.min(5, agents)}
      return step(path, rate, i, await runPath(c, path, i), null)
    })
    await rateGroup.stop()

    // 3. The concurrency ladder.
    const concGroup = new PhoneGroup(sb, registrar, 'sk', 0)
    groups.push(concGroup)
    const conc = await ladder(c, o.concurrency, o.concRefine, async (path, n) => {
      progress(`concurrency ladder, ${path}: ${n} calls at once (${o.concRate} calls/s, held ${o.concHoldS} s after the last) ...`)
      const ids = await concGroup.ensure(n)
      const i = {phones: ids, callers: n, rate: o.concRate, wave: n, spacingMs: 0, talkS: 1, holdS: Math.ceil(n / o.concRate) + o.concHoldS, warmup: 0}
      return step(path, n, i, await runPath(c, path, i), n)
    })
    await concGroup.stop()

    const highest = {
      rate: {app_queue: ladderHighest(o.rates, rates.app_queue.map((s) => ({value: s.value, ok: s.ok}))), engine: ladderHighest(o.rates, rates.engine.map((s) => ({value: s.value, ok: s.ok})))},
      concurrency: {app_queue: ladderHighest(o.concurrency, conc.app_queue.map((s) => ({value: s.value, ok: s.ok}))), engine: ladderHighest(o.concurrency, conc.engine.map((s) => ({value: s.value, ok: s.ok})))},
    }
    const problems: string[] = []
    for (const [name, p, r] of [['app_queue', aq, aqRun], ['engine', en, enRun]] as const) {
      if (p.failed > 0) problems.push(`${name}: ${p.failed} failed calls in the comparison`)
      if (r.sippFailed > 0) problems.push(`${name}: SIPp counted ${r.sippFailed} failed calls in the comparison`)
    }
    if (en.engineErrors > 0) problems.push(`the engine logged ${en.engineErrors} errors in the comparison`)
    const command = `npm run bench:load -- ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`
    const machine = {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, asterisk: version, loadavgBefore: load0.map((l) => Number(l.toFixed(2)))}
    const seconds = (Date.now() - began) / 1000
    const settings = {searchSeconds: o.searchSeconds, searchTalkS: o.searchTalkS, headroom: SEARCH_HEADROOM, maxRingP99Ms: MAX_RING_P99_MS, maxWaitS: MAX_WAIT_S, concRate: o.concRate, concHoldS: o.concHoldS}
    if (o.json) {
      const extra = (r: SipPathResult) => ({sippFailed: r.sippFailed, sippErrorSample: r.sippErrorSample, restPerCall: r.restPerCall, peakConnected: r.metrics.peakConnected, waitMs: r.metrics.waitMs})
      console.log(JSON.stringify({command, machine, scenario: {...input, phones: phones.length}, appQueue: {...aq, ...extra(aqRun)}, engine: {...en, ...extra(enRun)}, engineOverAppQueue: x, rateLadder: rates, concurrencyLadder: conc, highest, settings, benchSeconds: seconds, problems}, null, 2))
    } else {
      const out = [
        `Load over SIP: app_queue (Queue()) and the engine on the same sandbox Asterisk ${version}; ${machine.cpus} × ${machine.model}, node ${machine.node}; load average before: ${machine.loadavgBefore.join(' ')}`,
        `Command: ${command}`,
        `Comparison: ${o.callers} SIPp callers (RTP both ways) in waves of ${o.wave} at ${o.rate} calls/s, a wave every ${(spacingMs / 1000).toFixed(1)} s; ${o.agents} registered SIPp phones answering at once and hanging up after ${o.talkS} s (ideal drain ${(o.agents / o.talkS).toFixed(2)} calls/s); nobody abandons; ${o.warmup} unmeasured calls first.`,
        'Times from Asterisk CEL: entered = APP_START Queue / Stasis of the trunk channel; ring = CHAN_START of the phone\'s PJSIP channel; agent free = its HANGUP.',
        "Asterisk's CPU includes SIP, RTP relaying and qualify of every registered bench phone, alike on both paths; SIPp's own CPU is not counted (it competes for the same cores).",
        '',
        ...table(aq, en, x, o.agents / o.talkS),
        '',
        ...sipDetailLines([['app_queue', aq, aqRun], ['engine', en, enRun]]),
        '',
        ...sipLadderLines('Rate ladder', 'calls/s', rates, settings),
        '',
        ...sipLadderLines('Concurrency ladder', 'calls', conc, settings),
        '',
        ...sipSummaryLines(aq as PathSummary, en as PathSummary, x, highest),
        '',
        `Whole bench: ${Math.floor(Math.round(seconds) / 60)} min ${Math.round(seconds) % 60} s; load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}${problems.length > 0 ? `; PROBLEMS: ${problems.join('; ')}` : ''}`,
      ]
      console.log(out.join('\n'))
    }
    for (const p of problems) console.error(`load bench: ${p}`)
    return problems.length === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    progress('stopping the phones and the sandbox ...')
    for (const g of groups) await g.stop().catch(() => undefined)
    await killAllSipAgents()
    await sb.down()
  }
}
