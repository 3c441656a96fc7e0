import {existsSync} from 'node:fs'
import {DEFAULT_QUEUE_SETTINGS} from '../../engine/model.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {generateCallLog} from './generate.js'

// The reports benchmarks' store: a week of generated calls (4 queues, 200 agents) in a
// SQLite file, made once and reused when the file is given again (bench:reports, bench:store).

/** UTC midnight of the first day, and how many days the calls span. */
export const START = Date.UTC(2026, 10, 2)
export const DAYS = 7

/** Generates the file unless it exists; returns how long that took (null: reused) and its events. */
export function prepareCallLog(file: string, calls: number, seed: number): {generatedIn: number | null; events: number} {
  if (existsSync(file)) {
    const s = new SqliteStore(file, {readonly: true})
    const events = (s.db.prepare('SELECT COUNT(*) AS n FROM events').get() as {n: number}).n
    void s.close()
    return {generatedIn: null, events}
  }
  const t0 = process.hrtime.bigint()
  const store = new SqliteStore(file)
  store.db.pragma('synchronous = OFF')
  const g = generateCallLog(store.db, {calls, days: DAYS, queues: 4, agents: 200, seed, start: START})
  const save = store.db.transaction(() => {
    for (const q of g.queues) store.db.prepare('INSERT INTO queues (name, settings, created_at, updated_at) VALUES (?, ?, 0, 0)').run(q, JSON.stringify(DEFAULT_QUEUE_SETTINGS))
    for (let i = 1; i <= 200; i++) {
      const id = `a${String(i).padStart(3, '0')}`
      store.db.prepare("INSERT INTO agents (id, name, endpoint, skills, created_at, updated_at) VALUES (?, ?, ?, '{}', 0, 0)").run(id, `Agent ${i}`, `PJSIP/${id}`)
    }
  })
  save()
  store.db.pragma('wal_checkpoint(TRUNCATE)')
  void store.close()
  return {generatedIn: Number(process.hrtime.bigint() - t0) / 1e9, events: g.events}
}
