import {join} from 'node:path'
import {killBox} from '../../engine/sandbox/sandbox.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {celSize, readCelSince} from '../load/cel.js'
import {waitQuiet} from '../load/drive.js'
import {ENGINE_QUEUE} from '../load/paths.js'
import {BENCH_SCENARIO_DIR, SIPP_TRACE} from '../load/sip-phones.js'
import {sipCallerNumber, sippRate} from '../load/sip-plan.js'
import {startSipp} from '../sip/sipp.js'
import type {BoxLossRaw} from './box-loss.js'
import type {BoxPhones} from './phones.js'
import {withEngine} from './run.js'
import type {BoxesSetup} from './setup.js'

// The box-loss run of bench:boxes: the engine on every box, SIPp callers through the proxy
// at a steady rate, and the last box killed (SIGKILL, sandbox kill-box) part-way; meanwhile
// ARI is watched for the dead box's phones coming back on another box. What it returns is
// judged by box-loss.ts. The box stays dead: the sandbox goes down after this run.

export interface BoxLossInput {
  numberPrefix: string
  phones: string[]
  rate: number
  /** Seconds of arrivals, and when (s after the first) the box is killed. */
  seconds: number
  killAtS: number
  talkS: number
  touch: ReadonlyMap<string, string> | undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Callers whose agent went with the box stay bridged to nothing: they hang up after this (s after their answer). */
const HOLD_S = 30

export async function runBoxLoss(setup: BoxesSetup, phones: BoxPhones, p: BoxLossInput): Promise<BoxLossRaw> {
  const dead = setup.boxes.at(-1)!
  const live = setup.boxes.filter((b) => b !== dead)
  const onDead = p.phones.filter((id) => phones.boxOf.get(id) === dead.name)
  const numbers = Array.from({length: Math.ceil(p.rate * p.seconds)}, (_, i) => sipCallerNumber(p.numberPrefix, i))
  return withEngine(setup, p.phones, p.touch, async (engine, dir) => {
    const offsets = new Map(setup.boxes.map((b) => [b.name, celSize(b.celFile)]))
    const {calls, periodMs} = sippRate(p.rate)
    const t0 = Date.now()
    const sipp = await startSipp({
      scenario: join(BENCH_SCENARIO_DIR, 'bench-caller.xml'),
      remote: setup.callers.remote,
      localIp: setup.callers.local.host,
      localPort: setup.callers.local.port,
      calls: numbers.length,
      rate: calls,
      limit: numbers.length,
      injection: numbers.map((n) => [ENGINE_QUEUE, n]),
      vars: {hold_ms: HOLD_S * 1000},
      extraArgs: ['-rp', String(periodMs)],
      timeoutMs: (p.seconds + HOLD_S + 90) * 1000,
      ...SIPP_TRACE,
    })
    await sleep(t0 + p.killAtS * 1000 - Date.now())
    await killBox(callctlPaths({...process.env, CALLCTL_HOME: setup.home}), dead.name)
    const killed = Date.now()
    const backMs = await watchBack(live, onDead, killed, setup.registrationS * 3 * 1000)
    const r = await sipp.done
    sipp.cleanup()
    await Promise.all(live.map((b) => waitQuiet(b.rest, 10_000)))
    await sleep(300)
    const events: BoxLossRaw['events'] = {}
    for (const b of setup.boxes) events[b.name] = readCelSince(b.celFile, offsets.get(b.name)!)
    await engine.stop()
    return {
      dead: dead.name,
      killUs: killed * 1000,
      t0Us: t0 * 1000,
      rate: p.rate,
      events,
      numbers,
      talkS: p.talkS,
      holdS: HOLD_S,
      phones: p.phones,
      backMs,
      registrationS: setup.registrationS,
      endedByCause: await endedByCause(join(dir, 'callctl.db')),
      engineErrors: engine.errors,
      engineWarnings: engine.warnings,
      sippFailed: r.stats?.failed ?? numbers.length,
    }
  })
}

/** Each phone: ms after the kill until a box still up has it online (null if not within `forMs`). */
async function watchBack(live: BoxesSetup['boxes'], ids: string[], since: number, forMs: number): Promise<Record<string, number | null>> {
  const back: Record<string, number | null> = Object.fromEntries(ids.map((id) => [id, null]))
  let waiting = ids
  while (waiting.length > 0 && Date.now() - since < forMs) {
    const next: string[] = []
    for (const id of waiting) {
      let on = false
      for (const b of live) if (!on && (await b.rest.getEndpoint('PJSIP', id).catch(() => null))?.state === 'online') on = true
      if (on) back[id] = Date.now() - since
      else next.push(id)
    }
    waiting = next
    if (waiting.length > 0) await sleep(200)
  }
  return back
}

async function endedByCause(db: string): Promise<Record<string, number>> {
  const store = new SqliteStore(db)
  const out: Record<string, number> = {}
  try {
    for await (const e of store.events({types: ['call.ended']})) {
      const cause = String((e.data as {cause?: unknown}).cause ?? '?')
      out[cause] = (out[cause] ?? 0) + 1
    }
  } finally {
    await store.close()
  }
  return out
}
