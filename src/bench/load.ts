import {cpus} from 'node:os'
import {flag, numberFlag, numberListFlag, refuse} from './flags.js'
import {runAppQueue, runEngine, type PathInput} from './load/paths.js'
import {detailLines, headline, ratios, scenarioLines, searchLines, summarizePath, table, type SearchStep} from './load/report.js'
import {benchSandbox, type BenchSandbox} from './load/sandbox.js'
import {planCallers, waveSpacingMs, type LoadScenario} from './load/scenario.js'
import {sipMain} from './load/sip.js'

// Load benchmark: the same callers and agents through Asterisk's own app_queue (Queue())
// and through the engine, one after the other on a sandbox Asterisk of the bench's own,
// every figure timed from Asterisk's channel event log (CEL, log/cel.csv) so one clock
// serves both paths (see load/metrics.ts for which events define what). CPU seconds come
// from /proc for Asterisk and for the engine's process, read before and after each run.
// Then the engine alone at rising arrival rates, with agents enough to keep up, to find the
// highest rate it sustains on this machine with zero failed calls (and rings on time):
// the rates of --rates until one fails, then --refine halvings of the gap.
//
// Absolute figures depend on the machine; the engine/app_queue ratios of the same run are
// the result to compare. app_queue runs first, the engine second, each after a few
// unmeasured warm-up calls.
//
// With --sip, the same over real SIP (SIPp callers and registered SIPp phones, both
// routers laddered): see load/sip.ts. Without it, Local channels as below.
//
// Flags: --callers N, --agents N, --talk S, --rate R, --wave N, --abandon-share X,
// --short-patience MIN-MAX, --seed N, --warmup N, --rates R,R,... ("" skips the search),
// --search-seconds S, --search-talk S, --refine N, --json. Needs root (the sandbox is a chroot).
// Exits 1 when a call failed in the comparison, the engine logged an error there, or
// the lowest searched rate was not sustained.

const SEARCH_HEADROOM = 1.5
const SEARCH_PATIENCE_S = 20
/** Rings this late mean Asterisk or the engine is falling behind (normal is milliseconds). */
const SEARCH_MAX_RING_P99_MS = 1000

function options(args: string[]) {
  const short = (flag(args, '--short-patience') ?? '1-3').split('-').map(Number)
  if (short.length !== 2 || short.some((n) => !Number.isFinite(n) || n <= 0) || short[0]! > short[1]!) refuse('--short-patience needs MIN-MAX seconds, e.g. 1-3')
  const callers = numberFlag(args, '--callers', 200, {integer: true, min: 1, max: 20_000})
  const scenario: LoadScenario = {
    callers,
    agents: numberFlag(args, '--agents', 10, {integer: true, min: 1, max: 500}),
    // Whole seconds: the simulated agent's talk time is RAND(min,max) in the dialplan.
    talkS: numberFlag(args, '--talk', 2, {integer: true, min: 1, max: 600}),
    rate: numberFlag(args, '--rate', 20, {min: 0.1, max: 1000}),
    wave: numberFlag(args, '--wave', Math.min(40, callers), {integer: true, min: 1}),
    shortShare: numberFlag(args, '--abandon-share', 0.2, {max: 1}),
    shortPatienceS: {min: short[0]!, max: short[1]!},
    longPatienceS: 60,
    seed: numberFlag(args, '--seed', 1, {integer: true}),
  }
  const rates = numberListFlag(args, '--rates', '5,10,20,40,80')
  return {
    scenario,
    warmup: numberFlag(args, '--warmup', 10, {integer: true, max: 1000}),
    rates,
    searchSeconds: numberFlag(args, '--search-seconds', 10, {min: 1, max: 600}),
    refine: numberFlag(args, '--refine', 2, {integer: true, max: 10}),
    searchTalkS: numberFlag(args, '--search-talk', 1, {integer: true, min: 1, max: 600}),
    json: args.includes('--json'),
  }
}

type Options = ReturnType<typeof options>

async function searchStep(sb: BenchSandbox, o: Options, rate: number, i: number, progress: (s: string) => void): Promise<SearchStep> {
  const callers = Math.ceil(rate * o.searchSeconds)
  const agents = Math.ceil(SEARCH_HEADROOM * rate * o.searchTalkS) + 2
  progress(`rate search: ${rate} calls/s, ${callers} callers, ${agents} agents ...`)
  const r = await runEngine(sb, {
    tag: `s${i}`,
    numberPrefix: `1557${String(i).padStart(2, '0')}`,
    agents,
    talkS: o.searchTalkS,
    callers: Array.from({length: callers}, (_, k) => ({index: k, atMs: Math.round((k / rate) * 1000), wave: 0, patienceS: SEARCH_PATIENCE_S})),
    warmup: Math.min(5, agents),
  })
  const run = summarizePath(r)
  const wall = Math.max(r.wallS, 1e-9)
  return {
    rate,
    callers,
    agents,
    talkS: o.searchTalkS,
    run,
    asteriskCores: r.asteriskCpuS / wall,
    engineCores: (r.engineCpuS ?? 0) / wall,
    // Every caller served, nothing failed or logged as an error, and rings not falling behind.
    sustained: run.failed === 0 && run.completed === callers && run.engineErrors === 0 && run.ringP99 <= SEARCH_MAX_RING_P99_MS,
  }
}

/**
 * The rates of --rates in turn until one is not sustained, then `refine` halvings of the gap
 * between the highest sustained and the lowest not (whole calls per second).
 */
async function rateSearch(sb: BenchSandbox, o: Options, progress: (s: string) => void): Promise<{steps: SearchStep[]; highest: number | null}> {
  const steps: SearchStep[] = []
  let lo: number | null = null
  let hi: number | null = null
  for (const rate of o.rates) {
    const step = await searchStep(sb, o, rate, steps.length, progress)
    steps.push(step)
    if (!step.sustained) {
      hi = rate
      break
    }
    lo = rate
  }
  for (let k = 0; lo !== null && hi !== null && k < o.refine; k++) {
    const mid = Math.round((lo + hi) / 2)
    if (mid <= lo || mid >= hi) break
    const step = await searchStep(sb, o, mid, steps.length, progress)
    steps.push(step)
    if (step.sustained) lo = mid
    else hi = mid
  }
  return {steps, highest: lo}
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  if (args.includes('--sip')) return sipMain(args)
  const o = options(args)
  const s = o.scenario
  const progress = (line: string) => console.error(`bench:load: ${line}`)
  const began = Date.now()
  const spacing = waveSpacingMs(s)
  const plan = planCallers(s)
  const waves = Math.ceil(s.callers / s.wave)

  progress('starting a sandbox Asterisk of its own ...')
  const sb = await benchSandbox()
  const interrupted = () => void sb.down().finally(() => process.exit(130))
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const version = (await sb.rest.asteriskInfo()).system?.version ?? '?'
    const input = (tag: string, numberPrefix: string): PathInput => ({tag, numberPrefix, agents: s.agents, talkS: s.talkS, callers: plan, warmup: o.warmup})
    progress(`app_queue: ${s.callers} callers, ${s.agents} agents ...`)
    const aqRun = await runAppQueue(sb, input('q', '155901'))
    progress(`engine: ${s.callers} callers, ${s.agents} agents ...`)
    const enRun = await runEngine(sb, input('e', '155902'))
    const aq = summarizePath(aqRun)
    const en = summarizePath(enRun)
    const x = ratios(aq, en)
    const search = o.rates.length > 0 ? await rateSearch(sb, o, progress) : {steps: [], highest: null}
    const searchSettings = {seconds: o.searchSeconds, talkS: o.searchTalkS, headroom: SEARCH_HEADROOM, patienceS: SEARCH_PATIENCE_S, maxRingP99Ms: SEARCH_MAX_RING_P99_MS, refine: o.refine}

    const problems: string[] = []
    for (const [name, p] of [['app_queue', aq], ['engine', en]] as const) if (p.failed > 0) problems.push(`${name}: ${p.failed} failed calls in the comparison`)
    if (en.engineErrors > 0) problems.push(`the engine logged ${en.engineErrors} errors in the comparison`)
    if (search.steps.length > 0 && !search.steps[0]!.sustained) problems.push(`the lowest rate searched (${search.steps[0]!.rate} calls/s) was not sustained`)
    const command = `npm run bench:load${args.length > 0 ? ` -- ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : ''}`
    const machine = {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, asterisk: version}
    const seconds = (Date.now() - began) / 1000
    if (o.json) {
      const result = {command, machine, scenario: {...s, waves, waveSpacingMs: spacing, warmup: o.warmup}, appQueue: aq, engine: en, engineOverAppQueue: x, search: {...search, ...searchSettings}, benchSeconds: seconds, problems}
      console.log(JSON.stringify(result, null, 2))
    } else {
      const out = [
        `Load: app_queue (Queue()) and the engine on the same sandbox Asterisk ${version}; ${machine.cpus} × ${machine.model}, node ${machine.node}`,
        `Command: ${command}`,
        ...scenarioLines(s, spacing, waves),
        'Times from Asterisk CEL: caller entered the queue = APP_START Queue / Stasis; ring = CHAN_START of the agent leg; agent free = the first HANGUP of either half of its Local channel.',
        "Asterisk's CPU includes the simulated callers and agents (Local channels and dialplan in the same Asterisk), alike on both paths.",
        '',
        ...table(aq, en, x, s.agents / s.talkS),
        '',
        ...detailLines(aq, en),
        headline(x),
        '',
        ...(o.rates.length > 0 ? searchLines(search.steps, search.highest, searchSettings) : ['Rate search skipped (--rates "")']),
        '',
        `Whole bench: ${Math.floor(Math.round(seconds) / 60)} min ${Math.round(seconds) % 60} s${problems.length > 0 ? `; PROBLEMS: ${problems.join('; ')}` : ''}`,
      ]
      console.log(out.join('\n'))
    }
    for (const p of problems) console.error(`load bench: ${p}`)
    return problems.length === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    progress('stopping the sandbox ...')
    await sb.down()
  }
}

process.exitCode = await main()
