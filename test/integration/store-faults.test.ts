import Database from 'better-sqlite3'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {callRecords} from '../../src/engine/reports/call-records.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {runCli} from '../support/cli.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'

// The store fails under the engine (a lock held by another process, a full disk) while
// calls flow: calls go on, events are buffered and retried, the failure is logged loudly,
// and nothing is lost once the store works again.

let h: Harness | undefined

afterEach(async () => {
  await finish(h)
  h = undefined
})

function capture(): {lines: string[]; log: ReturnType<typeof createLogger>} {
  const lines: string[] = []
  return {lines, log: createLogger({level: 'warn', write: (l) => lines.push(l)})}
}

describe('store faults on the real sandbox', () => {
  it('keeps calls flowing while another process locks the database, then writes every event', async () => {
    const {lines, log} = capture()
    h = await startTestEngine({queues: {q: {wrapUp: 0, record: false}}, agents: [{id: 'a1', ring: 0, talk: {min: 2, max: 2}, queues: ['q']}], log})
    const locker = new Database(h.store.file)
    locker.pragma('busy_timeout = 5000')
    locker.exec('BEGIN EXCLUSIVE')
    await h.call({number: '+15550900001', did: 'q', patience: 30})
    // The call is connected and ends while nothing can be written.
    await h.waitFor('the call to connect', () => h!.engine.snapshot().calls.some((c) => c.state === 'connected'))
    await h.waitFor('the call to end', () => h!.engine.liveCalls === 0, 20_000)
    expect(h.engine.events.pending).toBeGreaterThan(3)
    expect(lines.some((l) => l.includes('EVENT LOG WRITE FAILED'))).toBe(true)
    locker.exec('COMMIT')
    locker.close()
    const c = await h.waitFor('the buffered events written', async () => {
      const calls = await callRecords(h!.store)
      return calls.find((x) => x.number === '+15550900001' && x.outcome === 'completed')
    }, 20_000)
    expect(c.trail).toEqual(['call.started', 'queue.entered', 'agent.ringing', 'call.connected', 'call.completed', 'call.ended'])
    expect(lines.some((l) => l.includes('event log writable again'))).toBe(true)
  })

  it('keeps calls flowing when the disk is full, then writes every event', async () => {
    const {lines, log} = capture()
    h = await startTestEngine({
      queues: {q: {wrapUp: 0, record: false}},
      agents: ['a1', 'a2'].map((id) => ({id, ring: 0, talk: {min: 1, max: 1}, queues: ['q']})),
      log,
    })
    // SQLite's page limit fails writes with the same SQLITE_FULL "database or disk is full":
    // no page may be added, and a filler table takes what room the pages still have.
    h.store.db.exec('CREATE TABLE filler (x BLOB)')
    h.store.db.pragma(`max_page_count = ${Number(h.store.db.pragma('page_count', {simple: true}))}`)
    for (const size of [256, 32, 1]) {
      try {
        for (;;) h.store.db.prepare('INSERT INTO filler VALUES (randomblob(?))').run(size)
      } catch (err) {
        expect(String(err)).toMatch(/full/)
      }
    }
    // Enough calls for their events to outgrow the room left in the event table's last page.
    for (let i = 0; i < 8; i++) await h.call({number: `+1555090100${i}`, did: 'q', patience: 30})
    await h.waitFor('the calls to end', async () => h!.engine.liveCalls === 0 && (await h!.rest.listChannels()).length === 0, 30_000)
    expect(lines.some((l) => l.includes('EVENT LOG WRITE FAILED') && l.includes('full')), lines.join('\n')).toBe(true)
    h.store.db.pragma('max_page_count = 1073741823')
    h.store.db.exec('DROP TABLE filler')
    await h.waitFor('every call written', async () => (await callRecords(h!.store)).filter((x) => x.outcome === 'completed').length === 8, 20_000)
  })

  it('backs up the database online while calls write to it', async () => {
    h = await startTestEngine({queues: {q: {wrapUp: 0, record: false}}, agents: [{id: 'a1', ring: 0, talk: {min: 1, max: 1}, queues: ['q']}]})
    for (let i = 0; i < 3; i++) await h.call({number: `+1555090200${i}`, did: 'q', patience: 30})
    const out = join(mkdtempSync(join(tmpdir(), 'callctl-backup-')), 'copy.db')
    const r = await runCli(['db', 'backup', out, '--json'], {CALLCTL_DB: h.store.file, CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-bh-'))})
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({file: out})
    const copy = new SqliteStore(out, {readonly: true})
    expect(copy.db.pragma('integrity_check', {simple: true})).toBe('ok')
    expect((await copy.listQueues()).map((q) => q.name)).toEqual(['q'])
    expect(await copy.lastEventId()).toBeGreaterThan(0)
    await copy.close()
    const again = await runCli(['db', 'backup', out], {CALLCTL_DB: h.store.file, CALLCTL_HOME: mkdtempSync(join(tmpdir(), 'callctl-bh-'))})
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('exists')
  })
})
