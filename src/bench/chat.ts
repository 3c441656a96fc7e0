import {numberFlag} from './flags.js'
import {echoBaseline, type SideFigures} from './chat/echo-baseline.js'
import {engineSide} from './chat/engine-side.js'
import type {Load} from './chat/load.js'

// bench:chat: web chat at scale on one engine. 1,000 web chat sessions (the widget's own
// WebSocket protocol) at once, 50 agents each at their desk (an API connection with the
// agent's token), every conversation taken by an agent; then customers write at a steady
// rate and each message is timed from the customer's send to the agent's desk. Printed
// beside the same clients, messages and rate on a plain `ws` echo server in the same run,
// with both servers' CPU (as % of one core, and per 100 sessions) and resident memory
// per 100 sessions (resident with the sessions open minus before any).
//
// Flags: --sessions N (1000), --agents N (50), --rate N messages/s across sessions (200),
// --seconds N measured (20), --json. Exits 1 when the engine's p99 is over 50 ms or a
// message never reached a desk. Run it alone: flock /tmp/callctl-bench.lock npm run bench:chat

const GOAL_P99_MS = 50

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const load: Load = {
    sessions: numberFlag(args, '--sessions', 1000, {integer: true, min: 1, max: 20_000}),
    agents: numberFlag(args, '--agents', 50, {integer: true, min: 1, max: 1000}),
    rate: numberFlag(args, '--rate', 200, {min: 1, max: 20_000}),
    seconds: numberFlag(args, '--seconds', 20, {min: 1, max: 600}),
    text: 'Hello, I ordered a parcel last week and it has not arrived yet; could you check where it is? 谢谢 🙂',
  }
  const json = args.includes('--json')
  const say = (line: string) => {
    if (!json) process.stderr.write(`${line}\n`)
  }
  say(`bench:chat — ${load.sessions} sessions, ${load.agents} agents, ${load.rate} messages/s for ${load.seconds} s`)
  say('baseline: plain ws echo server…')
  const echo = await echoBaseline(load)
  say('engine…')
  const engine = await engineSide(load, (l) => say(`  ${l}`))
  const rows = {baseline: figures(echo), engine: {...figures(engine), messagesPerAgent: engine.perAgent}}
  const pass = engine.timed.p99 <= GOAL_P99_MS && engine.lost === 0
  if (json) {
    process.stdout.write(JSON.stringify({load: {...load, text: undefined}, ...rows, goal: {p99Ms: GOAL_P99_MS}, pass}, null, 2) + '\n')
  } else {
    process.stdout.write(table(load, echo, engine) + '\n')
    process.stdout.write(`\ncustomer → agent desk p99 ${fmt(engine.timed.p99)} ms against a goal of ${GOAL_P99_MS} ms: ${pass ? 'met' : 'NOT met'}${engine.lost ? ` (${engine.lost} messages never reached a desk)` : ''}\n`)
  }
  process.exitCode = pass ? 0 : 1
}

function figures(s: SideFigures) {
  return {
    sessions: s.sessions,
    sent: s.sent,
    timed: s.timed.n,
    lost: s.lost,
    latencyMs: {p50: round(s.timed.p50), p99: round(s.timed.p99), max: round(s.timed.max)},
    cpuPercentOfOneCore: round(s.cpuPercent),
    cpuPercentPer100Sessions: round((s.cpuPercent * 100) / s.sessions),
    rssMiB: round(s.rssBytes / 2 ** 20),
    rssMiBPer100Sessions: round(((s.rssBytes - s.rssIdleBytes) * 100) / s.sessions / 2 ** 20),
  }
}

function table(load: Load, echo: SideFigures, engine: SideFigures): string {
  const e = figures(echo)
  const g = figures(engine)
  const rows: [string, string, string][] = [
    ['', 'ws echo (baseline)', 'callctl engine'],
    ['sessions open', String(e.sessions), String(g.sessions)],
    ['messages sent / timed', `${e.sent} / ${e.timed}`, `${g.sent} / ${g.timed}`],
    ['latency p50 (ms)', fmt(e.latencyMs.p50), fmt(g.latencyMs.p50)],
    ['latency p99 (ms)', fmt(e.latencyMs.p99), fmt(g.latencyMs.p99)],
    ['latency max (ms)', fmt(e.latencyMs.max), fmt(g.latencyMs.max)],
    [`CPU, % of one core (${load.rate} msg/s)`, fmt(e.cpuPercentOfOneCore), fmt(g.cpuPercentOfOneCore)],
    ['CPU per 100 sessions (%)', fmt(e.cpuPercentPer100Sessions), fmt(g.cpuPercentPer100Sessions)],
    ['resident memory (MiB)', fmt(e.rssMiB), fmt(g.rssMiB)],
    ['memory per 100 sessions (MiB)', fmt(e.rssMiBPer100Sessions), fmt(g.rssMiBPer100Sessions)],
  ]
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => `${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padStart(w[2]!)}`).join('\n')
}

const round = (n: number) => Math.round(n * 100) / 100
const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–')

main().catch((err: unknown) => {
  process.stderr.write(`bench:chat failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(2)
})
