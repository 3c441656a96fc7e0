import {numberFlag} from './flags.js'
import {Acd} from '../engine/routing/acd.js'
import {NaiveRouter} from './naive-router.js'
import {buildScenario, prng, SIZE, type CallerSpec, type Router} from './routing-scenario.js'

// Routing benchmark: how long one routing decision takes with a full line, for Acd and,
// in the same process, for a linear-scan baseline. Absolute figures depend on the
// machine; the ratio between the two routers is the result to compare across runs.
//
// Two kinds of decision are timed, each from the event to the offer:
//   freed agent: callEnded (+ endWrapUp) and dispatch, which picks that agent's caller;
//   new caller:  enqueue and dispatch, which rings a free agent if one can serve it.
// Answering the offer and the driver's own bookkeeping are outside the timings.
//
// Flags: --json, --seed N, --warmup N, --decisions N, --fresh-callers. Exits 1 when acd
// misses a target or disagrees with the baseline.

const TARGET_P99_US = 100
const TARGET_RSS_MB = 200
const START = Date.UTC(2026, 0, 5, 9, 0, 0)

interface Stats {
  count: number
  /** Decisions that ended in an offer. */
  offered: number
  perSec: number
  p50: number
  p90: number
  p99: number
  max: number
}

interface RunResult {
  freed: Stats
  arrival: Stats
  rssBuiltMB: number
  rssAfterMB: number
  /** Agents idle because nothing waiting matches them. */
  idleAgents: {afterWarmup: number; atEnd: number}
  log: string[]
}

interface Options {
  seed: number
  warmup: number
  decisions: number
  /**
   * Replace served callers with fresh random ones instead of like ones. The line then
   * drifts toward callers nobody can serve and more and more agents sit idle: the case
   * where a router must look past many free agents who match nothing.
   */
  freshCallers: boolean
}

function drive(router: Router, {seed, warmup, decisions, freshCallers}: Options): RunResult {
  const sc = buildScenario(seed)
  const log: string[] = []
  const onCall: string[] = []
  const waiting = new Map<string, CallerSpec>()
  let now = START
  let served: CallerSpec | undefined
  const settle = (offers: {callId: string; agentId: string}[], tag: string) => {
    for (const o of offers) {
      router.answered(o.callId, o.agentId, now)
      onCall.push(o.agentId)
      served ??= waiting.get(o.callId)
      waiting.delete(o.callId)
      log.push(`${tag} ${o.callId}>${o.agentId}`)
    }
    return offers.length > 0 ? 1 : 0
  }

  for (const q of sc.queues) router.setQueue(q.name, q.settings, now)
  for (const a of sc.agents) {
    router.setAgent(a, now)
    router.setPresence(a.id, 'available', null, now)
    router.occupy(a.id, `busy-${a.id}`, 'on-call', now)
    onCall.push(a.id)
  }
  while (router.waiting.size < SIZE.callers) {
    now += 10
    const caller = sc.nextCaller()
    waiting.set(caller.callId, caller)
    router.enqueue(caller, now)
    settle(router.dispatch(now), 'fill')
  }
  const rssBuiltMB = rssMB()

  const freed = new Float64Array(decisions)
  const arrival = new Float64Array(decisions)
  let freedCount = 0
  let arrivals = 0
  let freedOffered = 0
  let arrivalOffered = 0
  let idleAfterWarmup = 0
  for (let step = 0; step < warmup + decisions && onCall.length > 0; step++) {
    now += 50
    if (step === warmup) idleAfterWarmup = sc.agents.length - onCall.length
    served = undefined
    const i = Math.floor(sc.random() * onCall.length)
    const agentId = onCall[i]!
    onCall[i] = onCall[onCall.length - 1]!
    onCall.pop()

    const t0 = process.hrtime.bigint()
    if (router.callEnded(agentId, 60_000, now) > 0) router.endWrapUp(agentId, now)
    let offers = router.dispatch(now)
    const t1 = process.hrtime.bigint()
    if (step >= warmup) freed[freedCount++] = Number(t1 - t0)
    const took = settle(offers, `${step}f`)
    if (step >= warmup) freedOffered += took

    if (router.waiting.size >= SIZE.callers) continue
    const caller = sc.nextCaller(freshCallers ? undefined : served)
    waiting.set(caller.callId, caller)
    const t2 = process.hrtime.bigint()
    router.enqueue(caller, now)
    offers = router.dispatch(now)
    const t3 = process.hrtime.bigint()
    if (step >= warmup) arrival[arrivals++] = Number(t3 - t2)
    const placed = settle(offers, `${step}n`)
    if (step >= warmup) arrivalOffered += placed
  }
  return {
    freed: stats(freed.subarray(0, freedCount), freedOffered),
    arrival: stats(arrival.subarray(0, arrivals), arrivalOffered),
    rssBuiltMB,
    rssAfterMB: rssMB(),
    idleAgents: {afterWarmup: idleAfterWarmup, atEnd: sc.agents.length - onCall.length},
    log,
  }
}

function stats(ns: Float64Array, offered: number): Stats {
  const sorted = Float64Array.from(ns).sort()
  const n = sorted.length
  const at = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]! / 1000)
  let total = 0
  for (const v of sorted) total += v
  return {count: n, offered, perSec: total > 0 ? (n * 1e9) / total : 0, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n === 0 ? 0 : sorted[n - 1]! / 1000}
}

function rssMB(): number {
  return process.memoryUsage().rss / 2 ** 20
}

function collectGarbage(): void {
  ;(globalThis as {gc?: () => void}).gc?.()
}

function agreement(a: string[], b: string[]): {agree: boolean; compared: number; firstMismatch: {index: number; acd: string | null; naive: string | null} | null} {
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return {agree: false, compared: i, firstMismatch: {index: i, acd: a[i] ?? null, naive: b[i] ?? null}}
  return {agree: true, compared: n, firstMismatch: null}
}

type Result = ReturnType<typeof summarize>

function summarize(opts: Options, acd: RunResult, naive: RunResult) {
  const check = agreement(acd.log, naive.log)
  const ratio = (k: 'freed' | 'arrival') => ({p50: naive[k].p50 / acd[k].p50, p99: naive[k].p99 / acd[k].p99, perSec: naive[k].perSec / acd[k].perSec})
  const view = (r: RunResult) => ({freedAgent: r.freed, newCaller: r.arrival, rssBuiltMB: r.rssBuiltMB, rssAfterMB: r.rssAfterMB, idleAgents: r.idleAgents})
  const acdRss = Math.max(acd.rssBuiltMB, acd.rssAfterMB)
  const missed: string[] = []
  for (const [label, s] of [['freed-agent', acd.freed], ['new-caller', acd.arrival]] as const) {
    if (s.p99 >= TARGET_P99_US) missed.push(`acd p99 of ${label} decisions ${s.p99.toFixed(1)} µs >= ${TARGET_P99_US} µs`)
  }
  if (acdRss >= TARGET_RSS_MB) missed.push(`acd RSS ${acdRss.toFixed(0)} MB >= ${TARGET_RSS_MB} MB`)
  if (!check.agree) missed.push('acd and the naive router made different decisions')
  return {
    scenario: {...SIZE, ...opts, node: process.version},
    acd: view(acd),
    naive: view(naive),
    ratioNaiveOverAcd: {freedAgent: ratio('freed'), newCaller: ratio('arrival')},
    agreement: check,
    targets: {p99Us: TARGET_P99_US, rssMB: TARGET_RSS_MB, met: missed.length === 0, missed},
  }
}

function printTable(r: Result): void {
  const us = (v: number) => v.toFixed(1)
  const int = (v: number) => Math.round(v).toLocaleString('en-US')
  const rows: string[][] = [['router', 'decision', 'count', 'offered', 'decisions/s', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'RSS built', 'RSS after']]
  for (const [name, run] of [['acd', r.acd], ['naive', r.naive]] as const) {
    for (const [kind, s] of [['freed agent', run.freedAgent], ['new caller', run.newCaller]] as const) {
      rows.push([name, kind, int(s.count), int(s.offered), int(s.perSec), us(s.p50), us(s.p90), us(s.p99), us(s.max), `${int(run.rssBuiltMB)} MB`, `${int(run.rssAfterMB)} MB`])
    }
  }
  for (const [kind, x] of [['freed agent', r.ratioNaiveOverAcd.freedAgent], ['new caller', r.ratioNaiveOverAcd.newCaller]] as const) {
    rows.push(['naive/acd', kind, '', '', `${x.perSec.toFixed(3)}x`, `${x.p50.toFixed(1)}x`, '', `${x.p99.toFixed(1)}x`, '', '', ''])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  const sc = r.scenario
  const a = r.agreement
  console.log(`Routing: ${int(sc.callers)} waiting callers, ${int(sc.agents)} agents, ${sc.skills} skills, ${sc.queues} queues (seed ${sc.seed}, node ${sc.node})`)
  console.log(sc.freshCallers ? 'Served callers are replaced by fresh random ones (--fresh-callers): the line drifts, idle agents pile up' : 'Served callers are replaced by callers like them, so the line keeps its mix')
  console.log(`${int(sc.decisions)} freed-agent decisions per router after ${int(sc.warmup)} warm-up; decisions/s = decisions / time spent deciding`)
  console.log('')
  console.log(line(rows[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows.slice(1)) console.log(line(row))
  console.log('')
  console.log(`Agents idle because nothing waiting matches them: ${r.acd.idleAgents.afterWarmup} after warm-up, ${r.acd.idleAgents.atEnd} at the end`)
  console.log(`RSS is the whole process; naive runs second, so its figures include what acd's run left behind`)
  console.log(a.agree ? `Decisions agree with the naive router: yes (all ${int(a.compared)} offers identical)` : `Decisions agree with the naive router: NO, first difference at offer ${a.compared}: acd ${a.firstMismatch?.acd} / naive ${a.firstMismatch?.naive}`)
  console.log(`Targets for acd (p99 < ${TARGET_P99_US} µs per decision, RSS < ${TARGET_RSS_MB} MB): ${r.targets.met ? 'met' : 'MISSED'}`)
}

function main(): number {
  const args = process.argv.slice(2)
  const opts: Options = {seed: numberFlag(args, '--seed', 1, {integer: true, min: 0}), warmup: numberFlag(args, '--warmup', 2000, {integer: true, min: 0}), decisions: numberFlag(args, '--decisions', 20_000, {integer: true, min: 0}), freshCallers: args.includes('--fresh-callers')}

  collectGarbage()
  const acd = drive(new Acd({random: prng(opts.seed)}), opts)
  collectGarbage()
  const naive = drive(new NaiveRouter(), opts)
  const result = summarize(opts, acd, naive)
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printTable(result)
  for (const m of result.targets.missed) console.error(`routing bench: target missed: ${m}`)
  return result.targets.met ? 0 : 1
}

process.exitCode = main()
