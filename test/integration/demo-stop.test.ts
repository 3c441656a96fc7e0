import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {describe, expect, it} from 'vitest'
import {freePort} from '../../src/engine/util/net.js'
import {startCli} from '../support/cli.js'
import {cliEngineEnv} from '../support/harness.js'
import {until} from '../support/wait.js'

// Issue 13: stopping the demo logged every caller still in line as queue.abandoned (it hung
// the simulated callers up while the engine listened), so the next run opened at "abandon
// 13 %". The real binary on the sandbox: one agent per queue and 3 callers a second leave
// callers in line; Ctrl-C; the callers in line at that moment are system-ended.

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

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
      const demo = startCli(['demo', '--rate', '3', '--agents', '1'], cliEngineEnv({home, app, apiPort: await freePort()}))
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
