import type {CallsCheck, Spread} from './check.js'

// What bench:failover prints: every figure with the issue's target beside it (issue 15:
// takeover p99 <= 5 s over 20 kills, 0 calls dropped, 0 duplicated or lost events, the
// frozen leader acting on nothing), and the targets missed, which set the exit code.

export const TAKEOVER_P99_TARGET_MS = 5_000

export interface Takeover {
  /** 1-based, per kind. */
  n: number
  kind: 'kill' | 'freeze'
  /** Bench clock (ms) of the signal. */
  at: number
  /** Milliseconds from the signal to the first agent ring by the new leader; null: none came. */
  ms: number | null
  from: string
  to: string | null
  /** Freezes: the woken leader logged "stepping down". */
  steppedDown?: boolean
  /** Freezes: events the woken leader wrote after its successor's engine.started. */
  writesAfterTakeover?: number
}

export interface FailoverFacts {
  command: string
  machine: {cpus: number; model: string; node: string; asterisk: string; postgres: string; loadavgBefore: number[]; loadavgAfter: number[]}
  settings: {kills: number; freezes: number; rate: number; talkS: {min: number; max: number}; agents: number; patienceS: number; settleS: number; leaseMs: number; seed: number}
  takeovers: Takeover[]
  kills: Spread
  freezes: Spread
  calls: CallsCheck
  /** Callers Asterisk refused to originate (the bench's problem, not the engine's). */
  notPlaced: number
  engineErrors: {engine: string; errors: number; first: string | null}[]
  logDir: string
  /** Set when the bench could not finish its kills or freezes (no engine led again). */
  abortedBecause: string | null
  wallS: number
}

export interface Row {
  figure: string
  value: string
  target: string
  /** null: no target for this figure. */
  met: boolean | null
}

const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`)

export function rows(f: FailoverFacts): Row[] {
  const out: Row[] = []
  const takeover = (label: string, s: Spread, planned: number, kind: 'kill' | 'freeze') => {
    const missing = f.takeovers.filter((t) => t.kind === kind && t.ms === null).length
    out.push({figure: `${label}: takeovers seen`, value: `${s.n} of ${planned}`, target: `${planned} of ${planned}`, met: planned === 0 ? null : s.n === planned && missing === 0})
    out.push({figure: `${label}: takeover p50`, value: ms(s.p50), target: '', met: null})
    out.push({figure: `${label}: takeover p99`, value: ms(s.p99), target: `<= ${TAKEOVER_P99_TARGET_MS} ms`, met: s.n === 0 ? (planned === 0 ? null : false) : s.p99! <= TAKEOVER_P99_TARGET_MS})
    out.push({figure: `${label}: takeover max`, value: ms(s.max), target: '', met: null})
  }
  takeover('SIGKILL', f.kills, f.settings.kills, 'kill')
  takeover('SIGSTOP', f.freezes, f.settings.freezes, 'freeze')
  const frozen = f.takeovers.filter((t) => t.kind === 'freeze')
  if (frozen.length > 0) {
    const down = frozen.filter((t) => t.steppedDown).length
    out.push({figure: 'woken leaders that stepped down', value: `${down} of ${frozen.length}`, target: `${frozen.length} of ${frozen.length}`, met: down === frozen.length})
    const writes = frozen.reduce((s, t) => s + (t.writesAfterTakeover ?? 0), 0)
    out.push({figure: "woken leaders' events after the takeover", value: String(writes), target: '0', met: writes === 0})
  }
  const c = f.calls
  out.push({figure: 'calls offered', value: String(c.offered), target: '', met: null})
  out.push({figure: 'calls completed', value: String(c.completed), target: '', met: null})
  // Served, but their end fell in a takeover: the new leader closed them, talk time estimated.
  out.push({figure: '  of which ended while no engine led', value: String(c.completedWhileNoLeader), target: '', met: null})
  out.push({figure: 'calls abandoned by the caller', value: String(c.abandoned), target: '', met: null})
  out.push({figure: 'calls lost', value: String(c.lost), target: '0', met: c.lost === 0})
  out.push({figure: 'duplicated events', value: String(c.duplicated), target: '0', met: c.duplicated === 0})
  out.push({figure: 'lost events', value: String(c.missing), target: '0', met: c.missing === 0})
  if (f.notPlaced > 0) out.push({figure: 'callers Asterisk refused (bench)', value: String(f.notPlaced), target: '0', met: false})
  return out
}

export function missed(f: FailoverFacts): string[] {
  const out = rows(f)
    .filter((r) => r.met === false)
    .map((r) => `${r.figure}: ${r.value} (target ${r.target})`)
  if (f.abortedBecause) out.unshift(`stopped early: ${f.abortedBecause}`)
  return out
}

/** Findings are listed up to this many of each kind under the table (all are in --json). */
const LISTED = 15

export function table(f: FailoverFacts): string[] {
  const s = f.settings
  const m = f.machine
  const r = rows(f)
  const head = ['figure', 'value', 'target', '']
  const cells = r.map((x) => [x.figure, x.value, x.target, x.met === null ? '' : x.met ? 'ok' : 'MISSED'])
  const widths = head.map((_, i) => Math.max(head[i]!.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((v, i) => (i === 1 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd()
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ')
  const out = [
    `Failover: two engines (leader and standby) on one PostgreSQL ${m.postgres} store, sandbox Asterisk ${m.asterisk}; ${m.cpus} × ${m.model}, node ${m.node}`,
    `Load average (1/5/15 min) before ${load(m.loadavgBefore)}, after ${load(m.loadavgAfter)}`,
    `Command: ${f.command}`,
    `Traffic: ${s.rate} calls/s arriving (exponential gaps, seed ${s.seed}), ${s.agents} simulated agents answering at once and talking ${s.talkS.min}-${s.talkS.max} s, patience ${s.patienceS} s.`,
    `${s.kills} SIGKILLs and ${s.freezes} SIGSTOPs of the leader, ${s.settleS} s of steady state after each new standby; lease ${s.leaseMs} ms.`,
    'Takeover: from the signal to the first agent.ringing logged by another engine (event ts, same machine clock).',
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    '',
  ]
  const list = (title: string, items: {number: string | null; callId: string | null; problem: string}[]) => {
    if (items.length === 0) return
    out.push(`${title} (${items.length}${items.length > LISTED ? `, first ${LISTED}` : ''}):`)
    for (const x of items.slice(0, LISTED)) out.push(`  ${x.number ?? '?'} ${x.callId ?? ''}: ${x.problem}`)
  }
  list('Calls lost', f.calls.lostCalls)
  list('Duplicated events', f.calls.duplicatedEvents)
  list('Lost events', f.calls.lostEvents)
  const slow = f.takeovers.filter((t) => t.ms === null || t.ms > TAKEOVER_P99_TARGET_MS)
  for (const t of slow) out.push(`  slow takeover: ${t.kind} ${t.n} ${ms(t.ms)} (${t.from} → ${t.to ?? 'nobody'})`)
  for (const e of f.engineErrors) if (e.errors > 0) out.push(`  engine ${e.engine}: ${e.errors} error lines, first: ${e.first}`)
  out.push(`Engine logs: ${f.logDir}`)
  const miss = missed(f)
  out.push(`Whole bench: ${Math.floor(Math.round(f.wallS) / 60)} min ${Math.round(f.wallS) % 60} s; ${miss.length === 0 ? 'every target met' : `MISSED: ${miss.join('; ')}`}`)
  return out
}
