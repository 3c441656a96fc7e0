import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {addPhone} from '../../engine/phones/phones.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {isRunning} from '../../engine/sandbox/process.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {waitQuiet} from '../load/drive.js'
import {prepareEngineStore, startEngineChild, type EngineChild} from '../load/engine-child.js'
import {ENGINE_QUEUE, ENGINE_SETTINGS} from '../load/paths.js'
import {restCountsPerCall} from '../load/sip-paths.js'
import {sipCallerNumber} from '../load/sip-plan.js'
import {driveCallers, type Driven, type DriveInput} from './drive.js'
import type {BoxesSetup} from './setup.js'

// One measured run of bench:boxes: the engine as `callctl engine start` in a process of its
// own on a fresh store (the queue, its agents logged in, each agent's phone added by the
// product's addPhone), started on the setup's CALLCTL_HOME so it drives every box of the
// sandbox; a few unmeasured calls, then the run's SIPp callers. As bench:load --sip's
// engine path (sip-paths.ts), for any number of boxes.

export interface RunInput extends Omit<DriveInput, 'numbers' | 'did'> {
  /** Digits unique within the bench: caller numbers start with them. */
  numberPrefix: string
  phones: string[]
  /** The phones' talk time, s (a call shorter than that was cut off). */
  talkS: number
  callers: number
  warmup: number
  /**
   * Phone id → the box it is registered on: each phone gets a short call there after the
   * engine starts (see touchPhones); absent: none.
   */
  touch?: ReadonlyMap<string, string>
}

export interface RunOutput {
  driven: Driven
  /** The measured callers' numbers. */
  numbers: string[]
  engineErrors: string[]
  engineWarnings: string[]
  restPerCall: {total: number; byKind: Record<string, number>} | null
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function runEngineOnBoxes(setup: BoxesSetup, p: RunInput): Promise<RunOutput> {
  const warm = Array.from({length: p.warmup}, (_, i) => sipCallerNumber(p.numberPrefix, 90_000 + i))
  const numbers = Array.from({length: p.callers}, (_, i) => sipCallerNumber(p.numberPrefix, i))
  return withEngine(setup, p.phones, p.touch, async (engine, dir) => {
    const drive = {did: ENGINE_QUEUE, rate: p.rate, wave: p.wave, spacingMs: p.spacingMs, holdS: p.holdS}
    if (warm.length > 0) await driveCallers(setup, {...drive, numbers: warm, rate: Math.min(p.rate, 5), wave: warm.length, spacingMs: 0}, engine.pid)
    const driven = await driveCallers(setup, {...drive, numbers}, engine.pid)
    await engine.stop()
    return {driven, numbers, engineErrors: engine.errors, engineWarnings: engine.warnings, restPerCall: restCountsPerCall(dir, warm.length + numbers.length)}
  })
}

/**
 * `fn` with the engine running on a fresh store in `dir` (the queue, its agents logged in,
 * each agent's phone added by the product's addPhone), its phones settled (and touched,
 * see touchPhones); the engine stopped and every box still up emptied afterwards.
 */
export async function withEngine<T>(setup: BoxesSetup, phones: readonly string[], touch: ReadonlyMap<string, string> | undefined, fn: (engine: EngineChild, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-bench-boxes-engine-'))
  const db = join(dir, 'callctl.db')
  try {
    await prepareEngineStore(db, ENGINE_QUEUE, ENGINE_SETTINGS, phones.map((id) => ({id, endpoint: `PJSIP/${id}`})))
    // The phones in the engine's store (their secrets are in the setup's CALLCTL_HOME): the
    // engine pushes them to every box as it connects, as in service.
    const store = new SqliteStore(db)
    try {
      const ctx = {store, paths: callctlPaths({...process.env, CALLCTL_HOME: setup.home}), ari: () => setup.boxes[0]!.rest}
      for (const id of phones) await addPhone(ctx, {id, agent: id})
    } finally {
      await store.close()
    }
    const engine = await startEngineChild({home: setup.home, db, app: setup.state.app, env: {CALLCTL_ARI_REST_COUNT: join(dir, 'rest-%p.json')}})
    try {
      // It reads every box's phones as it connects; let the pushes and subscriptions settle.
      await sleep(1500)
      if (touch) await touchPhones(setup, phones, touch)
      return await fn(engine, dir)
    } finally {
      await engine.stop()
      await Promise.all(setup.boxes.filter((b) => isRunning(b.pid)).map((b) => waitQuiet(b.rest, 5_000)))
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/**
 * A short call to each phone on the box it is registered on, before any measured call:
 * the engine's box router learns where a phone is registered only from the endpoint
 * events a box sends (a channel on the phone is one); the states it reads when it starts
 * (getEndpoint) are merged, not kept per box. A phone that registered before the engine
 * started is then rung directly on the caller's box, where it has no contact ("500
 * Allocation failed": the ring fails, the agent counts unavailable), until a call on its
 * own box shows where it is. Without this, bench:boxes would measure that, not the cost
 * of crossing boxes. --no-touch leaves it out.
 */
async function touchPhones(setup: BoxesSetup, phones: readonly string[], boxOf: ReadonlyMap<string, string>): Promise<void> {
  for (const id of phones) {
    const box = setup.boxes.find((b) => b.name === boxOf.get(id))
    if (!box) continue
    const ch = await box.rest.originate({endpoint: `PJSIP/${id}`, context: 'callctl-sim-callee', extension: '999', priority: 1, timeout: 5})
    await box.rest.hangup(ch.id).catch(() => undefined)
  }
  await Promise.all(setup.boxes.map((b) => waitQuiet(b.rest, 5_000)))
}
