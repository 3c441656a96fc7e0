import {flag, numberFlag, refuse} from './flags.js'
import {deskCenter} from './desk/center.js'
import {deskRound, type RoundFigures} from './desk/round.js'

// bench:desk: agents' desks on one engine. A call center runs 50 to 500 desks (`callctl
// desk`), each polling the engine's snapshot every second. One sandbox Asterisk, a center
// of as many agents as the largest round, each a user of the agent role with its own
// token; then rounds of 0 (the baseline), 50, 200 and 500 desks, each on a fresh engine,
// each desk the desk's own client (DeskFeed) without its screen. In each round's window an
// admin pauses and unpauses agents at a steady rate; printed per round: the engine's CPU
// (% of one core), its resident memory, the snapshots asked a second, and the time from
// a pause or unpause to the agent's desk showing it (p50/p99), each beside its ratio to
// the baseline round of the same run.
//
// Flags: --desks 50,200,500 (a 0 round always runs first), --agents N in the center (the
// most desks), --seconds N measured per round (20), --rate N state changes/s (5), --json.
// Exits 1 when a change never reached its desk. A round whose engine cannot give every
// desk its first snapshot within a minute (saturated) is measured all the same, and says
// how many desks had one. Run it alone: flock /tmp/callctl-bench.lock npm run bench:desk

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const desks = deskCounts(flag(args, '--desks') ?? '50,200,500')
  const seconds = numberFlag(args, '--seconds', 20, {min: 2, max: 600})
  const rate = numberFlag(args, '--rate', 5, {min: 0.5, max: 200})
  const size = numberFlag(args, '--agents', Math.max(...desks), {integer: true, min: Math.max(1, ...desks), max: 2000})
  const json = args.includes('--json')
  const say = (line: string) => {
    if (!json) process.stderr.write(`${line}\n`)
  }
  say(`bench:desk — ${size} agents, rounds of ${desks.join(', ')} desks, ${seconds} s each, ${rate} state changes/s`)
  say('sandbox Asterisk and the center…')
  const center = await deskCenter(size)
  const rounds: RoundFigures[] = []
  try {
    for (const n of desks) {
      say(`round: ${n} desks`)
      rounds.push(await deskRound(center, {desks: n, seconds, rate}, (l) => say(`  ${l}`)))
    }
  } finally {
    await center.down()
  }
  const lost = rounds.reduce((s, r) => s + r.lost, 0)
  if (json) {
    process.stdout.write(JSON.stringify({load: {agents: size, seconds, rate}, rounds: rounds.map(figures), pass: lost === 0}, null, 2) + '\n')
  } else {
    process.stdout.write(table(rounds) + '\n')
    const top = rounds[rounds.length - 1]!
    const base = rounds[0]!
    if (top.desks > 0) {
      // Per snapshot served, not per desk open: a saturated engine serves fewer than its desks ask.
      const ms = msPerSnapshot(top, base)
      process.stdout.write(`\nper desk (${top.desks} desks against none): ${fmt(ms)} ms of engine CPU per poll, ${fmt((top.rssBytes - base.rssBytes) / top.desks / 1024)} KiB resident; 200 desks polling once a second: ${fmt(ms * 20)} % of a core\n`)
    }
    if (lost > 0) process.stdout.write(`${lost} state changes never reached their desk within 5 s\n`)
  }
  process.exitCode = lost === 0 ? 0 : 1
}

/** 0 first, then the counts given. */
function deskCounts(raw: string): number[] {
  const counts = raw.split(',').filter((s) => s.trim() !== '').map((s) => {
    const v = Number(s)
    if (!Number.isInteger(v) || v < 0 || v > 2000) refuse(`--desks: "${s}" is not a whole number from 0 to 2000 (example: --desks 50,200,500)`)
    return v
  })
  return [0, ...new Set(counts.filter((n) => n > 0).sort((a, b) => a - b))]
}

function figures(r: RoundFigures, _i: number, rounds: RoundFigures[]) {
  return {
    desks: r.desks,
    desksShowing: r.showing,
    cpuPercentOfOneCore: round(r.cpuPercent),
    rssMiB: round(r.rssBytes / 2 ** 20),
    rssIdleMiB: round(r.rssIdleBytes / 2 ** 20),
    snapshotsPerSecond: round(r.snapshotsPerSecond),
    engineMsPerSnapshot: round(msPerSnapshot(r, rounds[0]!)),
    loadAverage: round(r.loadAverage),
    latencyMs: {n: r.latency.n, p50: round(r.latency.p50), p99: round(r.latency.p99), max: round(r.latency.max)},
    lost: r.lost,
  }
}

/** The engine's CPU above the baseline's, per snapshot served (ms): what one desk's poll costs. */
function msPerSnapshot(r: RoundFigures, base: RoundFigures): number {
  return r.snapshotsPerSecond > 0 ? ((r.cpuPercent - base.cpuPercent) * 10) / r.snapshotsPerSecond : NaN
}

function table(rounds: RoundFigures[]): string {
  const base = rounds[0]!
  const ratio = (v: number, b: number) => (b > 0 && Number.isFinite(v) ? `×${(v / b).toFixed(v / b >= 10 ? 0 : 1)}` : '')
  const rows: string[][] = [['desks', 'CPU % core', '', 'RSS MiB', '', 'snapshots/s', 'CPU ms/snapshot', 'desk p50 ms', '', 'desk p99 ms', '', 'timed', 'load']]
  for (const r of rounds) {
    rows.push([
      r.desks === 0 ? '0 (baseline)' : r.showing < r.desks ? `${r.desks} (${r.showing} showing)` : String(r.desks),
      fmt(r.cpuPercent),
      r === base ? '' : ratio(r.cpuPercent, base.cpuPercent),
      fmt(r.rssBytes / 2 ** 20),
      r === base ? '' : ratio(r.rssBytes, base.rssBytes),
      fmt(r.snapshotsPerSecond),
      r === base ? '' : fmt(msPerSnapshot(r, base)),
      fmt(r.latency.p50),
      r === base ? '' : ratio(r.latency.p50, base.latency.p50),
      fmt(r.latency.p99),
      r === base ? '' : ratio(r.latency.p99, base.latency.p99),
      `${r.latency.n}${r.lost ? ` (${r.lost} lost)` : ''}`,
      r.loadAverage.toFixed(1),
    ])
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const note = [
    '',
    'baseline latency: the same changes timed on one desk after the window (no desk is open in it)',
    "CPU ms/snapshot: the engine's CPU above the baseline per snapshot served (what one desk costs a second); load: the machine's 1-minute load average",
  ].join('\n')
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n') + note
}

const round = (n: number) => Math.round(n * 100) / 100
const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–')

main().catch((err: unknown) => {
  process.stderr.write(`bench:desk failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(2)
})
