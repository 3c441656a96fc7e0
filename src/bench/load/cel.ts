import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs'
import {parse} from 'csv-parse/sync'

// Asterisk's channel event log as the sandbox writes it (asterisk/conf/cel_custom.conf,
// log/cel.csv in the instance): one quoted CSV row per event, in this column order.

export interface CelEvent {
  /** CHAN_START, APP_START, ANSWER, BRIDGE_ENTER, HANGUP, CHAN_END. */
  type: string
  /** When Asterisk raised the event: microseconds since the epoch (exact, from "sec.micro"). */
  us: number
  /** e.g. Local/0-2-2-q01@callctl-sim-agent-0000000b;1 */
  channel: string
  uniqueId: string
  linkedId: string
  /** The dialplan application at the time (Queue, Stasis, AppDial2, ...). */
  app: string
  callerNumber: string
  /** JSON for HANGUP (cause) and BRIDGE_ENTER (bridge_id), else empty. */
  extra: string
}

const COLUMNS = 8

/** "1795443057.217351" → 1795443057217351. Split rather than multiplied: a float would round. */
export function celTime(s: string): number {
  const m = /^(\d+)\.(\d{1,6})$/.exec(s.trim())
  if (!m) throw new Error(`CEL time "${s}" is not seconds.microseconds`)
  return Number(m[1]) * 1_000_000 + Number(m[2]!.padEnd(6, '0'))
}

/** Rows of cel.csv; a torn last line (Asterisk still writing) is left for the next read. */
export function parseCel(text: string): CelEvent[] {
  const end = text.lastIndexOf('\n')
  if (end < 0) return []
  const rows = parse(text.slice(0, end + 1), {relax_column_count: true, skip_empty_lines: true}) as string[][]
  const out: CelEvent[] = []
  for (const r of rows) {
    if (r.length < COLUMNS) continue
    const [type, time, channel, uniqueId, linkedId, app, callerNumber, extra] = r as [string, string, string, string, string, string, string, string]
    out.push({type, us: celTime(time), channel, uniqueId, linkedId, app, callerNumber, extra})
  }
  return out
}

/** The bridge a BRIDGE_ENTER event names, or null. */
export function bridgeOf(e: CelEvent): string | null {
  if (e.type !== 'BRIDGE_ENTER' || !e.extra) return null
  try {
    const id = (JSON.parse(e.extra) as {bridge_id?: unknown}).bridge_id
    return typeof id === 'string' ? id : null
  } catch {
    return null
  }
}

export function celSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0
}

/** The events written since byte `offset` (a run reads only its own). */
export function readCelSince(file: string, offset: number): CelEvent[] {
  const size = celSize(file)
  if (size <= offset) return []
  const buf = Buffer.alloc(size - offset)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, buf, 0, buf.length, offset)
  } finally {
    closeSync(fd)
  }
  return parseCel(buf.toString('utf8'))
}
