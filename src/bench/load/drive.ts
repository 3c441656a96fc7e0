import {existsSync, readFileSync} from 'node:fs'
import type {AriHttp} from '../../engine/ari/index.js'
import {celSize, readCelSince, type CelEvent} from './cel.js'
import {cpuSeconds} from './proc.js'
import type {BenchSandbox} from './sandbox.js'

// Placing one run's callers at their times and collecting what Asterisk logged for them,
// with the CPU time Asterisk (and the engine, when it runs) spent meanwhile.

export interface TimedCaller {
  /** The uniqueid (ARI channel id) of the leg the bench originates. */
  id: string
  number: string
  atMs: number
  patienceS: number
}

export interface Driven {
  events: CelEvent[]
  originateErrors: Map<string, string>
  asteriskCpuS: number
  engineCpuS: number | null
  wallS: number
  /** Channels still up at the deadline, hung up by the bench (by id). */
  forced: Set<string>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function drive(sb: BenchSandbox, callers: TimedCaller[], originate: (c: TimedCaller) => Promise<unknown>, o: {enginePid?: number; talkS: number}): Promise<Driven> {
  const offset = celSize(sb.celFile)
  const ast0 = cpuSeconds(sb.state.pid)
  const eng0 = o.enginePid ? cpuSeconds(o.enginePid) : null
  const started = Date.now()
  const originateErrors = new Map<string, string>()
  const pending: Promise<void>[] = []
  for (const c of callers) {
    const wait = started + c.atMs - Date.now()
    if (wait > 0) await sleep(wait)
    pending.push(
      originate(c).then(
        () => undefined,
        (err: unknown) => void originateErrors.set(c.id, err instanceof Error ? err.message : String(err)),
      ),
    )
  }
  await Promise.all(pending)
  const longest = Math.max(0, ...callers.map((c) => c.patienceS))
  const forced = await waitQuiet(sb.rest, (longest + o.talkS + 30) * 1000)
  const asteriskCpuS = cpuSeconds(sb.state.pid) - ast0
  const engineCpuS = o.enginePid && eng0 !== null ? cpuSeconds(o.enginePid) - eng0 : null
  const wallS = (Date.now() - started) / 1000
  // cel_custom writes each row as the event is dispatched; give the last ones a moment.
  await sleep(300)
  return {events: readCelSince(sb.celFile, offset), originateErrors, asteriskCpuS, engineCpuS, wallS, forced}
}

/**
 * Waits until Asterisk has no channel left (the sandbox is the bench's alone). Polled once a
 * second, not faster: listing hundreds of channels costs Asterisk CPU inside the timed window.
 * Whatever is still up at the deadline is hung up (a few at a time: one by one takes minutes
 * on an overloaded Asterisk) until none is left; their ids are returned. Throws if Asterisk
 * cannot be emptied, since every later figure would carry the leftovers.
 */
export async function waitQuiet(rest: AriHttp, timeoutMs: number): Promise<Set<string>> {
  const deadline = Date.now() + timeoutMs
  const forced = new Set<string>()
  for (;;) {
    const live = await rest.listChannels()
    if (live.length === 0) return forced
    const now = Date.now()
    if (now > deadline + FORCE_MS) throw new Error(`Asterisk still has ${live.length} channels ${Math.round((now - deadline) / 1000)} s after the bench began hanging them up`)
    if (now > deadline) {
      for (let i = 0; i < live.length; i += HANGUPS_AT_ONCE) {
        await Promise.all(live.slice(i, i + HANGUPS_AT_ONCE).map((ch) => rest.hangup(ch.id).then(() => void forced.add(ch.id), () => undefined)))
      }
    }
    await sleep(1000)
  }
}

const HANGUPS_AT_ONCE = 16
const FORCE_MS = 60_000

/** Waits until Asterisk's queue_log has every one of these lines (member changes apply at once, but log after). */
export async function waitQueueLog(file: string, needles: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
    const missing = needles.filter((n) => !text.includes(n))
    if (missing.length === 0) return
    if (Date.now() > deadline) throw new Error(`app_queue did not log ${missing.length} of ${needles.length} member changes, e.g. ${missing[0]}`)
    await sleep(100)
  }
}
