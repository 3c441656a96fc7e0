import {cpus, loadavg} from 'node:os'
import {numberFlag, numberListFlag} from './flags.js'
import {ladderHighest, ladderNext} from './load/sip-plan.js'
import {killAllSipAgents} from './sip/sipp.js'
import {boxLossFigures, type BoxLossFigures} from './boxes/box-loss.js'
import {runBoxLoss} from './boxes/box-loss-run.js'
import {GOAL_MS, judgeRun, type BoxesStep} from './boxes/measure.js'
import {capacityModel, commonRate, type CapacityModel} from './boxes/model.js'
import {BoxPhones} from './boxes/phones.js'
import {reportLines, type SetupResult} from './boxes/report.js'
import {runEngineOnBoxes, type RunInput} from './boxes/run.js'
import {boxesSetup, type BoxesSetup} from './boxes/setup.js'

// bench:boxes (issue 16, part 6): the same SIPp load through one box (sandbox up, no proxy,
// as bench:load --sip runs) and through N boxes behind Kamailio (sandbox up --boxes N
// --proxy), on this machine, each driven by the engine (`callctl engine start` as a child,
// on every box of its sandbox). One setup at a time, each on a sandbox of its own that is
// down before the next comes up:
//   1. The rate ladder, bench:load --sip's: --search-seconds of arrivals per rate, phones
//      talking --search-talk s, phones = 1.5 × rate × talk + 2, the rates of --rates until
//      one fails, then --refine halvings. Holds on the same criteria (every caller served
//      in full, none failed in CEL or SIPp, no engine error, ring p99 with a free agent
//      <= 1 s, nobody waiting over 20 s). CPU per call of each Asterisk, the proxy (all
//      Kamailio processes) and the engine from /proc; ring latency from every box's CEL.
//   2. Call setup, same-box against cross-box: --cross-callers callers at --cross-rate to
//      --cross-phones phones all registered on the last box, talk --search-talk s (agents
//      to spare: no caller waits). The callers are spread over the boxes by the proxy, so
//      some arrive on the phones' box (same-box) and some on another (cross-box: the
//      engine rings the phone over the trunk between boxes). Setup time = caller entered
//      → the agent's leg on the caller's box answered, and both bridged (CEL); on one box
//      every call is same-box, the baseline without the proxy.
//   3. Losing a box (N boxes only): --loss-rate calls/s for --loss-seconds through the
//      proxy to --loss-phones phones talking --loss-talk s, the last box killed (SIGKILL)
//      --loss-kill-at s in: calls lost only on the dead box, its phones back on another
//      box within one registration interval, new calls served within 10 s (box-loss.ts).
// The report: both ladders, a table with each figure's ratio against the one-box baseline
// of the same run, the cross-box cost against the issue's goal (cross-box setup at most
// GOAL_MS more than same-box at p50), and the measured model: CPU per call per part and
// the calls per second one core of each carries.
//
// Phones register again every 6 s on both setups (the proxy caps registrations at 10 s).
// Each run starts its own engine on a fresh store; before its first call each phone gets a
// short call on its own box (run.ts, touchPhones: the engine's box router learns where a
// phone is registered only from a box's events; --no-touch shows what it does without).
//
// Flags: --boxes N (2), --rates R,R,... (5,10,15), --refine N (0), --search-seconds S (10),
// --search-talk S (1), --cross-callers N (100), --cross-rate R (4), --cross-phones N (8),
// --no-touch, --no-box-loss, --loss-rate R (2), --loss-seconds S (30), --loss-kill-at S (10),
// --loss-phones N (18), --loss-talk S (6), --json. Needs root (the sandbox is a chroot) and
// Kamailio. Exit 1 when the cross-box goal or a box-loss figure is missed, a setup held no
// rate, the call-setup run had failed calls or engine errors, or the engine could not place
// a ring; 2 when the bench itself failed.

const SEARCH_HEADROOM = 1.5


function options(args: string[]) {
  return {
    boxes: numberFlag(args, '--boxes', 2, {integer: true, min: 2, max: 4}),
    rates: numberListFlag(args, '--rates', '5,10,15'),
    refine: numberFlag(args, '--refine', 0, {integer: true, max: 10}),
    searchSeconds: numberFlag(args, '--search-seconds', 10, {min: 1, max: 600}),
    talkS: numberFlag(args, '--search-talk', 1, {integer: true, min: 1, max: 600}),
    crossCallers: numberFlag(args, '--cross-callers', 100, {integer: true, min: 2, max: 5000}),
    crossRate: numberFlag(args, '--cross-rate', 4, {min: 0.5, max: 100}),
    crossPhones: numberFlag(args, '--cross-phones', 8, {integer: true, min: 1, max: 200}),
    touch: !args.includes('--no-touch'),
    boxLoss: !args.includes('--no-box-loss'),
    lossRate: numberFlag(args, '--loss-rate', 2, {min: 0.5, max: 50}),
    lossSeconds: numberFlag(args, '--loss-seconds', 30, {integer: true, min: 5, max: 600}),
    lossKillAtS: numberFlag(args, '--loss-kill-at', 10, {integer: true, min: 1, max: 600}),
    lossPhones: numberFlag(args, '--loss-phones', 18, {integer: true, min: 2, max: 200}),
    lossTalkS: numberFlag(args, '--loss-talk', 6, {integer: true, min: 1, max: 600}),
    json: args.includes('--json'),
  }
}
type Options = ReturnType<typeof options>

interface Ctx {
  o: Options
  progress: (line: string) => void
  /** Caller-number prefixes, unique per run in the bench. */
  run: number
  /** The sandbox up now: Ctrl-C takes it down. */
  live: BoxesSetup | null
}

function benchError(value: number, err: unknown): BoxesStep {
  const nan = NaN
  const q = {n: 0, p50: nan, p99: nan, max: nan}
  const none = {calls: 0, ringMs: q, answeredMs: q, bridgedMs: q}
  return {
    value,
    callers: 0,
    agents: 0,
    phonesByBox: {},
    callsByBox: {},
    run: {completed: 0, failed: 0, abandoned: 0, failures: {}, ringP50: nan, ringP99: nan, ringSamples: 0, ringMissed: 0, freeP50: nan, freeP99: nan, freeSamples: 0, drainPerSec: nan, drainBusyAgents: nan, drainSeconds: 0, drainOfIdeal: nan, asteriskCpuPer100: nan, engineCpuPer100: null, totalCpuPer100: nan, doubleBooked: 0, wallS: 0, engineErrors: 0, engineErrorSample: null, engineWarnings: 0, engineWarningSample: null},
    cpu: {boxes: {}, proxy: null, engine: null},
    cpuPer100: {boxes: {}, asterisk: nan, proxy: null, engine: null, total: nan},
    setup: {same: none, cross: none, extraP50Ms: nan, extraP99Ms: nan},
    sippFailed: 0,
    sippErrorSample: null,
    peakConnected: 0,
    waitP99Ms: nan,
    restPerCall: null,
    ringsRefused: 0,
    ok: false,
    why: [`bench error: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`],
  }
}

async function measure(c: Ctx, setup: BoxesSetup, phones: BoxPhones, input: Omit<RunInput, 'numberPrefix' | 'touch'>): Promise<BoxesStep> {
  await phones.ready(input.phones)
  const p: RunInput = {...input, numberPrefix: `1557${String(c.run++).padStart(3, '0')}`, ...(c.o.touch ? {touch: phones.boxOf} : {})}
  const {setups: _, ...step} = judgeRun(p, await runEngineOnBoxes(setup, p), phones.boxOf)
  return step
}

/** Phones registered on `box`, at least `n`: more are registered until the proxy's hash has put enough there. */
async function phonesOn(phones: BoxPhones, box: string, n: number): Promise<string[]> {
  for (let i = 0; i < 8; i++) {
    const on = phones.ids.filter((id) => phones.boxOf.get(id) === box)
    if (on.length >= n) return on.slice(0, n)
    await phones.ensure(phones.ids.length + 2 * (n - on.length) + 2)
  }
  throw new Error(`the proxy put fewer than ${n} of ${phones.ids.length} phones on ${box}`)
}

async function measureSetup(c: Ctx, spec: {boxes: number; proxy: boolean}): Promise<SetupResult> {
  const {o, progress} = c
  const load0 = loadavg()
  progress(`${spec.proxy ? `${spec.boxes} boxes behind the proxy` : 'one box'}: starting a sandbox of its own ...`)
  const setup = await boxesSetup(spec)
  c.live = setup
  const phones = new BoxPhones(setup, 'bb', o.talkS * 1000)
  try {
    const version = (await setup.boxes[0]!.rest.asteriskInfo()).system?.version ?? '?'
    const ladder: BoxesStep[] = []
    for (;;) {
      const rate = ladderNext(o.rates, o.refine, ladder.map((s) => ({value: s.value, ok: s.ok})))
      if (rate === null) break
      const callers = Math.ceil(rate * o.searchSeconds)
      const agents = Math.ceil(SEARCH_HEADROOM * rate * o.talkS) + 2
      progress(`${setup.label}: ${rate} calls/s, ${callers} callers, ${agents} phones ...`)
      let s: BoxesStep
      try {
        const ids = await phones.ensure(agents)
        s = await measure(c, setup, phones, {phones: ids, talkS: o.talkS, callers, rate, wave: callers, spacingMs: 0, holdS: 60, warmup: Math.min(5, agents)})
      } catch (err) {
        s = benchError(rate, err)
      }
      ladder.push(s)
      progress(`  ${setup.label} at ${rate} calls/s: ${s.ok ? 'holds' : `fails (${s.why.join('; ')})`}; ring p50/p99 ${s.run.ringP50.toFixed(1)}/${s.run.ringP99.toFixed(1)} ms`)
    }
    const target = setup.boxes.at(-1)!.name
    progress(`${setup.label}: call setup, ${o.crossCallers} callers at ${o.crossRate} calls/s to ${o.crossPhones} phones on ${target} ...`)
    let cross: BoxesStep
    try {
      const ids = await phonesOn(phones, target, o.crossPhones)
      cross = await measure(c, setup, phones, {phones: ids, talkS: o.talkS, callers: o.crossCallers, rate: o.crossRate, wave: o.crossCallers, spacingMs: 0, holdS: 60, warmup: 4})
    } catch (err) {
      cross = benchError(o.crossRate, err)
    }
    progress(`  ${setup.label}: setup p50 same-box ${cross.setup.same.bridgedMs.p50.toFixed(1)} ms (${cross.setup.same.calls}), cross-box ${cross.setup.cross.bridgedMs.p50.toFixed(1)} ms (${cross.setup.cross.calls})`)
    let boxLoss: BoxLossFigures | {error: string} | null = null
    if (o.boxLoss && setup.boxes.length > 1) {
      const dead = setup.boxes.at(-1)!.name
      progress(`${setup.label}: losing ${dead}: ${o.lossRate} calls/s for ${o.lossSeconds} s to ${o.lossPhones} phones talking ${o.lossTalkS} s, ${dead} killed at ${o.lossKillAtS} s ...`)
      const lossPhones = new BoxPhones(setup, 'bl', o.lossTalkS * 1000)
      try {
        const ids = await lossPhones.ensure(o.lossPhones)
        await lossPhones.ready(ids)
        if (!ids.some((id) => lossPhones.boxOf.get(id) === dead)) throw new Error(`none of the ${ids.length} phones registered on ${dead}`)
        const raw = await runBoxLoss(setup, lossPhones, {numberPrefix: `1557${String(c.run++).padStart(3, '0')}`, phones: ids, rate: o.lossRate, seconds: o.lossSeconds, killAtS: o.lossKillAtS, talkS: o.lossTalkS, touch: o.touch ? lossPhones.boxOf : undefined})
        const f = boxLossFigures(raw)
        boxLoss = f
        progress(`  ${dead} lost: ${f.onDead} calls in progress on it, ${f.lostOnLive} of ${f.onLive.callers} lost on the other boxes, ${f.crossingIntoDead.callers - f.crossingIntoDead.completed} of ${f.crossingIntoDead.callers} whose phone was on it; phones back ${f.phonesBack}/${f.phonesOnDead}, last after ${(f.backMs.max / 1000).toFixed(1)} s; new calls served ${f.newCalls.completed}/${f.newCalls.callers}, slowest ${(f.newServedMs.max / 1000).toFixed(1)} s`)
      } catch (err) {
        boxLoss = {error: err instanceof Error ? err.message.slice(0, 300) : String(err)}
        progress(`  the box-loss run failed: ${boxLoss.error}`)
      } finally {
        await lossPhones.stop().catch(() => undefined)
      }
    }
    const highest = ladderHighest(o.rates, ladder.map((s) => ({value: s.value, ok: s.ok})))
    return {
      label: setup.label,
      boxes: setup.boxes.map((b) => b.name),
      proxy: spec.proxy,
      asterisk: version,
      phonesByBox: phones.byBox(phones.ids),
      ladder,
      highest,
      cross,
      boxLoss,
      model: modelOf(ladder, highest),
      loadavgBefore: load0.map((l) => Number(l.toFixed(2))),
      loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))),
    }
  } finally {
    progress(`${setup.label}: stopping the phones and the sandbox ...`)
    await phones.stop().catch(() => undefined)
    await killAllSipAgents()
    await setup.down()
    c.live = null
  }
}

/** The model from the highest rate the setup held (its CPU per call is least diluted by idle work there), else its lowest. */
function modelOf(ladder: BoxesStep[], highest: number | null): {rate: number; model: CapacityModel} | null {
  const at = ladder.find((s) => s.value === highest && s.ok) ?? [...ladder].sort((a, b) => a.value - b.value).find((s) => s.callers > 0)
  if (!at) return null
  return {rate: at.value, model: capacityModel(at.cpu, at.callers, at.callsByBox, cpus().length)}
}

export async function main(args: string[]): Promise<number> {
  const o = options(args)
  const progress = (line: string) => console.error(`bench:boxes: ${line}`)
  const began = Date.now()
  const load0 = loadavg()
  const c: Ctx = {o, progress, run: 1, live: null}
  // Ctrl-C: no sandbox is left running.
  const interrupted = () => void killAllSipAgents().finally(() => void (c.live?.down() ?? Promise.resolve()).finally(() => process.exit(130)))
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const one = await measureSetup(c, {boxes: 1, proxy: false})
    const many = await measureSetup(c, {boxes: o.boxes, proxy: true})
    const rate = commonRate([one.ladder, many.ladder])
    const problems: string[] = []
    for (const s of [one, many]) {
      if (s.highest === null) problems.push(`${s.label}: no rate held`)
      if (s.cross.run.failed > 0 || s.cross.why.some((w) => w.startsWith('bench error'))) problems.push(`${s.label}: the call-setup run failed (${s.cross.why.join('; ')})`)
      if (s.cross.run.engineErrors > 0) problems.push(`${s.label}: the engine logged ${s.cross.run.engineErrors} errors in the call-setup run`)
      // In the runs the figures come from (a rate that failed shows its own refusals on its line).
      const refused = [...s.ladder.filter((x) => x.ok), s.cross].reduce((n, x) => n + x.ringsRefused, 0)
      if (refused > 0) problems.push(`${s.label}: the engine could not place ${refused} rings in the runs that held (Asterisk refused the channel)`)
    }
    const loss = many.boxLoss
    if (loss && 'error' in loss) problems.push(`the box-loss run failed: ${loss.error}`)
    else if (loss) {
      if (!loss.ok.lostOnlyOnDead) problems.push(`losing ${loss.dead}: ${loss.lostOnLive} calls in progress on the boxes still up were lost too`)
      if (!loss.ok.agentsBack) problems.push(`losing ${loss.dead}: ${loss.phonesBack} of ${loss.phonesOnDead} phones back on another box, the last after ${(loss.backMs.max / 1000).toFixed(1)} s (one registration interval: ${loss.registrationS} s)`)
      if (!loss.ok.newCallsServed) problems.push(`losing ${loss.dead}: ${loss.newCalls.completed} of ${loss.newCalls.callers} new calls served, the slowest ${(loss.newServedMs.max / 1000).toFixed(1)} s after it was sent (goal: all within 10 s)`)
    }
    const extra = many.cross.setup.extraP50Ms
    if (!(extra <= GOAL_MS)) problems.push(`cross-box setup ${Number.isFinite(extra) ? `${extra.toFixed(1)} ms` : '(not measured)'} more than same-box at p50: the goal is at most ${GOAL_MS} ms`)
    const command = `npm run bench:boxes -- ${args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`.trimEnd().replace(/ --$/, '')
    const machine = {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, loadavgBefore: load0.map((l) => Number(l.toFixed(2))), loadavgAfter: loadavg().map((l) => Number(l.toFixed(2)))}
    const settings = {rates: o.rates, refine: o.refine, searchSeconds: o.searchSeconds, talkS: o.talkS, headroom: SEARCH_HEADROOM, crossCallers: o.crossCallers, crossRate: o.crossRate, crossPhones: o.crossPhones, touch: o.touch, goalMs: GOAL_MS, boxLoss: o.boxLoss ? {rate: o.lossRate, seconds: o.lossSeconds, killAtS: o.lossKillAtS, phones: o.lossPhones, talkS: o.lossTalkS} : null}
    const seconds = (Date.now() - began) / 1000
    if (o.json) console.log(JSON.stringify({command, machine, settings, setups: [one, many], commonRate: rate, crossBoxExtraP50Ms: extra, benchSeconds: seconds, problems}, null, 2))
    else console.log(reportLines({command, machine, settings, base: one, other: many, commonRate: rate, seconds, problems}).join('\n'))
    for (const p of problems) console.error(`bench:boxes: PROBLEM: ${p}`)
    return problems.length === 0 ? 0 : 1
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:boxes failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(2)
  },
)
