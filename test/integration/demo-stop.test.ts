import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {exited, runCli, startCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'
import {until} from '../support/wait.js'

// Issue 13: stopping the demo logged every caller still in line as queue.abandoned (it hung
// the simulated callers up while the engine listened), so the next run opened at "abandon
// 13 %". The real binary on the sandbox: one agent per queue and 3 callers a second leave
// callers in line; Ctrl-C; the callers in line at that moment are system-ended.


interface Row {
  type: string
  call_id: string
  ts: number
}

/** Calls in a queue's line now: entered, and not yet answered, abandoned, exited or ended. */
function inLine(db: Database.Database): Set<string> {
  const rows = db.prepare("SELECT type, call_id, ts FROM events WHERE type IN ('queue.entered', 'call.connected', 'queue.abandoned', 'queue.exited', 'queue.system_ended', 'call.ended') ORDER BY id").all() as Row[]
  const open = new Set<string>()
  for (const r of rows) {
    if (r.type === 'queue.entered') open.add(r.call_id)
    else open.delete(r.call_id)
  }
  return open
}

describe('stopping the demo (real binary, real Asterisk)', () => {
  it('logs the callers still in line as system-ended, not abandoned', async () => {
    const home = mkdtempSync(join(tmpdir(), 'callctl-demo-stop-'))
    const app = `s${Math.random().toString(36).slice(2, 8)}`
    let db: Database.Database | undefined
    try {
      // Its own chat port: demos in the other lane would race for the usual 8090.
      const demo = startCli(['demo', '--rate', '3', '--agents', '1'], {...cliEngineEnv({home, app, apiPort: await freePort()}), CALLCTL_CHAT_PORT: '0'})
      await until('the demo to run', () => (demo.child.exitCode === null ? demo.output().includes('Demo running') : Promise.reject(new Error(demo.output()))), 60_000)
      db = new Database(join(home, 'callctl.db'), {readonly: true, fileMustExist: true})
      const reader = db
      await until('four callers in line', () => inLine(reader).size >= 4, 90_000)
      demo.child.kill('SIGINT')
      expect(await exited(demo.child)).toBe(0)

      const endOf = (id: string) => (db!.prepare("SELECT type FROM events WHERE call_id = ? AND type IN ('queue.abandoned', 'queue.system_ended', 'call.connected', 'queue.exited')").all(id) as {type: string}[]).map((r) => r.type)
      // Nobody is left in line in the log: every visit the stop found was closed.
      expect(inLine(db).size).toBe(0)
      const events = db.prepare("SELECT type, call_id, ts FROM events WHERE type IN ('queue.system_ended', 'queue.abandoned')").all() as Row[]
      const systemEnded = events.filter((e) => e.type === 'queue.system_ended')
      expect(systemEnded.length).toBeGreaterThanOrEqual(2)
      // Each system-ended visit ended that way only: no abandon logged for it as well.
      for (const e of systemEnded) expect(endOf(e.call_id)).toEqual(['queue.system_ended'])
      const reasons = db.prepare("SELECT DISTINCT json_extract(data, '$.reason') AS r FROM events WHERE type = 'queue.system_ended'").all() as {r: string}[]
      expect(reasons).toEqual([{r: 'demo-stopped'}])
    } finally {
      db?.close()
      rmSync(home, {recursive: true, force: true})
    }
  }, 180_000)
})

// Issue 18 in the demo: chat customers through the real widget socket, answered by the
// same simulated agents who take calls. A short run with many chats (--chats 20 a minute)
// and a few calls; the stop ends the chats still open as the system's doing.
describe('chats in the demo (real binary, real Asterisk)', () => {
  it('offers chats that the call-taking agents answer, and its stop leaves none open or abandoned by a customer', async () => {
    const home = mkdtempSync(join(tmpdir(), 'callctl-demo-chat-'))
    const app = `c${Math.random().toString(36).slice(2, 8)}`
    const chatPort = await freePort()
    let db: Database.Database | undefined
    try {
      const env = {...cliEngineEnv({home, app, apiPort: await freePort()}), CALLCTL_CHAT_PORT: String(chatPort)}
      const run = await runCli(['demo', '--duration', '12', '--rate', '2', '--chats', '20'], env, 60_000)
      expect(run.code, run.stdout + run.stderr).toBe(0)
      // The widget's address for a person to open, and chats in the summary line.
      expect(run.stdout).toContain(`Chat: open http://127.0.0.1:${chatPort}/chat/ in a browser`)
      expect(run.stdout).toMatch(/ · chats \d+ waiting, \d+ active/)

      db = new Database(join(home, 'callctl.db'), {readonly: true, fileMustExist: true})
      const rows = (sql: string) => db!.prepare(sql).all() as {call_id: string; agent: string | null; ts: number; reason: string | null; by: string | null}[]
      const queued = new Set(rows("SELECT call_id FROM events WHERE type = 'chat.queued'").map((r) => r.call_id))
      const accepted = rows("SELECT call_id, agent FROM events WHERE type = 'chat.accepted'")
      expect(queued.size).toBeGreaterThanOrEqual(2)
      expect(accepted.length).toBeGreaterThanOrEqual(1)
      // Accepted by the demo's own agents, and answered: an agent's line in each.
      for (const a of accepted) expect(a.agent).toMatch(/^demo\d+$/)
      const answered = new Set(rows("SELECT call_id FROM events WHERE type = 'chat.message' AND json_extract(data, '$.from') = 'agent'").map((r) => r.call_id))
      expect(answered.size).toBeGreaterThanOrEqual(1)

      // Nothing left open: every conversation started was closed.
      const started = rows("SELECT call_id FROM events WHERE type = 'chat.started'").map((r) => r.call_id)
      const closes = rows("SELECT call_id, ts, json_extract(data, '$.reason') AS reason, json_extract(data, '$.by') AS by FROM events WHERE type = 'chat.closed'")
      expect(new Set(closes.map((c) => c.call_id))).toEqual(new Set(started))
      // The stop closed what was open as the system; customers who gave up did so before it.
      const stopped = closes.filter((c) => c.by === 'demo-stopped')
      expect(stopped.every((c) => c.reason === 'system')).toBe(true)
      const stopAt = Math.min(...stopped.map((c) => c.ts), Number.POSITIVE_INFINITY)
      expect(closes.filter((c) => c.reason === 'customer' && c.ts >= stopAt)).toEqual([])

      // One report, both channels: an agent who answered chats answered calls too.
      const day = new Date().toISOString().slice(0, 10)
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
      const report = await runCli(['report', 'agents', '--from', day, '--to', tomorrow, '--format', 'json'], env)
      expect(report.code, report.stderr).toBe(0)
      const agents = (JSON.parse(report.stdout) as {rows: {agent: string; answered: number; chats_answered: number}[]}).rows
      expect(agents.filter((a) => a.chats_answered > 0).length).toBeGreaterThanOrEqual(1)
      expect(agents.some((a) => a.chats_answered > 0 && a.answered > 0), JSON.stringify(agents)).toBe(true)
      // report chats: a chat still waiting when the demo stopped is system-ended, not abandoned.
      const taken = new Set(accepted.map((r) => r.call_id))
      const endedWaiting = closes.filter((c) => queued.has(c.call_id) && !taken.has(c.call_id))
      const chats = await runCli(['report', 'chats', '--from', day, '--to', tomorrow, '--queue', 'support', '--format', 'json'], env)
      expect(chats.code, chats.stderr).toBe(0)
      const support = (JSON.parse(chats.stdout) as {rows: {agent: string; abandoned: number; system_ended: number}[]}).rows.find((r) => r.agent === '')!
      expect(support).toMatchObject({
        abandoned: endedWaiting.filter((c) => c.reason === 'customer' || c.reason === 'silence').length,
        system_ended: endedWaiting.filter((c) => c.reason === 'system').length,
      })
    } finally {
      db?.close()
      rmSync(home, {recursive: true, force: true})
    }
  }, 90_000)
})
