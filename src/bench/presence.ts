// bench:presence (issue 14): does the engine offer calls to agents whose phones are
// away or busy? A sandbox Asterisk of the bench's own, the engine as `callctl engine
// start`, one queue, N agents each on a product-provisioned PJSIP phone played by a
// registered SIPp process. While one SIPp caller places --calls carrier calls at --rate,
//   - 10 % of the phones flap: an explicit unregister (away 2-8 s) or, in every round,
//     one SIGKILL (a phone whose network is gone: away until the engine sees it by
//     qualify), then register again from a new port;
//   - the bench rings other agents' phones itself (a direct call the engine did not place).
// The ground truth (REGISTER 200 OK times from SIPp's message traces, the bench's own ARI
// events for its direct calls) is set against every agent.ringing in the engine's event
// log (src/bench/presence/count.ts). Exit 1 if the engine offered a call to an agent it
// had itself marked unreachable or busy on another call.
//
// Flags: --agents N (20), --calls N (1000), --rate R calls/s (6), --talk S (1.5),
// --ring-ms MS (300), --flap-fraction F (0.1), --grace MS (20), --json, --keep-home
// (keep the bench's CALLCTL_HOME with the engine's database, for a look at its events).
import {cpus, loadavg} from 'node:os'
import Database from 'better-sqlite3'
import {QUALIFY_SECONDS, QUALIFY_TIMEOUT_SECONDS} from '../engine/phones/phone-fields.js'
import type {StoredEvent} from '../engine/store/events.js'
import {SqliteStore} from '../engine/store/sqlite-store.js'
import {numberFlag} from './flags.js'
import {killAllSipAgents, startCaller} from './sip/sipp.js'
import {DirectCaller} from './presence/busy.js'
import type {TruthDown} from './presence/count.js'
import {AgentPhone} from './presence/phones.js'
import {summarize, table, type RunFacts} from './presence/report.js'
import {presenceSandbox, provision, QUEUE, QUEUE_SETTINGS, sleep, startEngine, type EngineChild, type PresenceSandbox} from './presence/setup.js'

function options(args: string[]) {
  return {
    agents: numberFlag(args, '--agents', 20, {integer: true, min: 2, max: 200}),
    calls: numberFlag(args, '--calls', 1000, {integer: true, min: 1, max: 100_000}),
    rate: numberFlag(args, '--rate', 6, {min: 0.1, max: 100}),
    talkMs: Math.round(numberFlag(args, '--talk', 1.5, {min: 0.2, max: 60}) * 1000),
    ringMs: numberFlag(args, '--ring-ms', 300, {integer: true, min: 0, max: 10_000}),
    flapFraction: numberFlag(args, '--flap-fraction', 0.1, {min: 0.01, max: 0.5}),
    graceMs: numberFlag(args, '--grace', 20, {integer: true, min: 0, max: 1000}),
    json: args.includes('--json'),
    keepHome: args.includes('--keep-home'),
  }
}

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo)

/** The engine's event log, read while the engine writes it (WAL: readers do not block it). */
class EventLog {
  private readonly db: Database.Database
  constructor(file: string) {
    this.db = new Database(file, {readonly: true, fileMustExist: true})
  }
  lastId(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM events').get() as {id: number}).id
  }
  /** The first event of this type for the agent at or after `ts`. */
  first(type: string, agent: string, ts: number): {id: number; ts: number} | undefined {
    return this.db.prepare('SELECT id, ts FROM events WHERE type = ? AND agent = ? AND ts >= ? ORDER BY id LIMIT 1').get(type, agent, ts) as {id: number; ts: number} | undefined
  }
  /** Agents whose last presence event is agent.unreachable. */
  unreachable(): string[] {
    const rows = this.db
      .prepare(`SELECT agent, type FROM events WHERE id IN (SELECT MAX(id) FROM events WHERE type IN ('agent.unreachable','agent.reachable') GROUP BY agent)`)
      .all() as {agent: string; type: string}[]
    return rows.filter((r) => r.type === 'agent.unreachable').map((r) => r.agent)
  }
  close(): void {
    this.db.close()
  }
}

async function main(args: string[]): Promise<number> {
  const o = options(args)
  const progress = (line: string) => console.error(`bench:presence: ${line}`)
  const began = Date.now()
  const load0 = loadavg()
  progress('starting a sandbox Asterisk of its own ...')
  const sb: PresenceSandbox = await presenceSandbox({keepHome: o.keepHome})
  let engine: EngineChild | undefined
  let direct: DirectCaller | undefined
  const phones: AgentPhone[] = []
  const cleanup = async () => {
    await Promise.all(phones.map((p) => p.stop().catch(() => undefined)))
    await killAllSipAgents()
    await direct?.close().catch(() => undefined)
    await engine?.stop()
    await sb.down()
  }
  const interrupted = () => void cleanup().finally(() => process.exit(130))
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  try {
    const sip = sb.state.sip
    if (!sip) throw new Error('the sandbox has no SIP side (sandbox state without sip)')
    const registrar = {host: sip.host, port: sip.port}
    const version = (await sb.rest.asteriskInfo()).system?.version ?? '?'
    progress(`provisioning ${o.agents} agents with phones ...`)
    const agents = await provision(sb, o.agents)
    const flapping = Math.max(1, Math.round(o.agents * o.flapFraction))
    progress('starting the engine ...')
    engine = await startEngine(sb)
    direct = await DirectCaller.connect(sb.creds)
    const log = new EventLog(sb.paths.database)

    progress(`registering ${o.agents} SIPp phones ...`)
    const timing = {talkMs: o.talkMs, ringMs: o.ringMs}
    for (const [i, a] of agents.entries()) phones.push(new AgentPhone(a, registrar, timing, i < flapping))
    for (const p of phones) await p.register()
    // The engine read every phone offline at its start; all must be back before the run.
    const deadline = Date.now() + 30_000
    while (log.unreachable().length > 0) {
      if (Date.now() > deadline) throw new Error(`agents still unreachable in the engine after registering: ${log.unreachable().join(', ')}`)
      await sleep(100)
    }
    const fromEventId = log.lastId()

    progress(`${o.calls} carrier calls at ${o.rate}/s; ${flapping} phones flapping, direct calls to the others ...`)
    const t0 = Date.now()
    const caller = await startCaller({
      sip,
      calls: Array.from({length: o.calls}, (_, i) => ({did: QUEUE, from: String(620_000_000 + i).padStart(10, '0')})),
      rate: o.rate,
      // Enough room for every caller waiting at once: SIPp's default (3 × rate) would hold back arrivals.
      limit: Math.max(50, Math.ceil(o.rate * 60)),
      // Patience: callers stay until served (the phone's BYE after its talk time ends each
      // call); a call whose phone vanished mid-call ends by this at the latest.
      holdMs: 120_000,
      timeoutMs: Math.ceil(o.calls / o.rate) * 1000 + 900_000,
    })
    let over = false
    const downs: TruthDown[] = []

    // Flapping: flapper j's k-th flap is a SIGKILL when (j + k) % flapping == 0, so each
    // round (every flapper's k-th flap) has exactly one silent phone and the rest unregister.
    const flap = async (j: number) => {
      const p = phones[j]!
      for (let k = 0; !over; k++) {
        await sleep(rand(4000, 10_000))
        if (over) break
        const agent = p.agent.id
        // Only between calls: a phone that vanishes mid-call leaves the call up until the
        // caller hangs up (the phone endpoints have no rtp_timeout), and the agent on it.
        const idleBy = Date.now() + 10_000
        while (!(await direct!.idle(p.agent.phone)) && Date.now() < idleBy) await sleep(50)
        if ((j + k) % Math.max(2, flapping) === 0) {
          const killAt = await p.kill()
          const d: TruthDown = {agent, kind: 'kill', goneAt: killAt, downAt: killAt, upAt: null}
          downs.push(d)
          // Away until the engine has seen it go (qualify: <= one interval + timeout), then a little longer.
          const limit = killAt + (QUALIFY_SECONDS + QUALIFY_TIMEOUT_SECONDS) * 1000 + 7000
          while (!log.first('agent.unreachable', agent, killAt) && Date.now() < limit) await sleep(100)
          await sleep(rand(1000, 3000))
          d.upAt = await p.register()
        } else {
          const {goneAt, downAt} = await p.unregister()
          const d: TruthDown = {agent, kind: 'unregister', goneAt, downAt, upAt: null}
          downs.push(d)
          await sleep(rand(2000, 8000))
          d.upAt = await p.register()
        }
      }
    }
    const flappers = Array.from({length: flapping}, (_, j) => flap(j))

    // Direct calls: every 2-5 s one or two agents that do not flap, idle in Asterisk's view, rung by the bench.
    const directCalls: Promise<unknown>[] = []
    const steady = phones.slice(flapping)
    const busyLoop = async () => {
      while (!over) {
        await sleep(rand(2000, 5000))
        if (over) break
        const want = Math.random() < 0.5 ? 1 : 2
        const picked = new Set<AgentPhone>()
        for (let tries = 0; tries < 6 && picked.size < want; tries++) {
          const p = steady[Math.floor(Math.random() * steady.length)]!
          if (!picked.has(p) && (await direct!.idle(p.agent.phone))) picked.add(p)
        }
        for (const p of picked) directCalls.push(direct!.call(p.agent.id, p.agent.phone, o.talkMs + o.ringMs + 5000))
      }
    }
    const busy = busyLoop()

    let lastShown = 0
    const ticker = setInterval(() => {
      const s = caller.stats()
      if (s && s.created !== lastShown) {
        lastShown = s.created
        progress(`${s.created}/${o.calls} calls placed, ${s.successful} done, ${s.failed} failed; ${downs.length} flaps, ${direct!.calls.length} direct calls`)
      }
    }, 10_000)
    const r = await caller.done
    clearInterval(ticker)
    caller.cleanup()
    over = true
    progress('calls over; waiting for the flapping phones to come back ...')
    await Promise.all([...flappers, busy])
    await Promise.all(directCalls)
    // The last phone back gets its ring and agent.reachable logged.
    await sleep(2000)
    const wallS = (Date.now() - t0) / 1000
    log.close()
    await engine.stop()
    const engineErrors = engine.errors
    engine = undefined

    const store = new SqliteStore(sb.paths.database)
    const events: StoredEvent[] = []
    try {
      for await (const e of store.events()) events.push(e)
    } finally {
      await store.close()
    }
    const command = `npm run bench:presence${args.length ? ' -- ' + args.map((a) => (/\s/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ') : ''}`
    const facts: RunFacts = {
      command,
      machine: {cpus: cpus().length, model: cpus()[0]?.model ?? '?', node: process.version, asterisk: version, loadavgBefore: load0.map((l) => Number(l.toFixed(2))), loadavgAfter: loadavg().map((l) => Number(l.toFixed(2)))},
      settings: {agents: o.agents, flapping, calls: o.calls, rate: o.rate, talkMs: o.talkMs, ringMs: o.ringMs, graceMs: o.graceMs, qualifyS: QUALIFY_SECONDS, qualifyTimeoutS: QUALIFY_TIMEOUT_SECONDS, ringTimeoutS: QUEUE_SETTINGS.ringTimeout!},
      fromEventId,
      events,
      downs,
      busy: direct.calls,
      caller: {created: r.stats?.created ?? 0, successful: r.stats?.successful ?? 0, failed: r.stats?.failed ?? 0, exitCode: r.exitCode},
      engineErrors,
      wallS,
    }
    const s = summarize(facts)
    if (o.json) {
      const {events: _events, ...rest} = facts
      console.log(JSON.stringify({...rest, events: events.length, summary: s, benchSeconds: (Date.now() - began) / 1000}, null, 2))
    } else {
      console.log(table(facts, s).join('\n'))
      for (const t of s.slowFlaps) console.log(`  slow or unmatched flap: ${t.kind} agent ${t.agent} → unreachable ${t.toUnreachableMs ?? '-'} ms (${t.reason ?? 'never'}), back → reachable ${t.toReachableMs ?? '-'} ms`)
      if (o.keepHome) console.log(`Kept the bench's home (engine database ${sb.paths.database})`)
      for (const v of s.violations) console.log(`  OFFER THE ENGINE KNEW WAS WRONG: ${v.class} agent ${v.agent} call ${v.callId} event ${v.id} at ${new Date(v.ts).toISOString()}`)
      console.log(`Whole bench: ${Math.round((Date.now() - began) / 1000)} s`)
    }
    return s.violations.length > 0 ? 1 : 0
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    progress('stopping the phones, the engine and the sandbox ...')
    await cleanup()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:presence failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    process.exit(2)
  },
)
