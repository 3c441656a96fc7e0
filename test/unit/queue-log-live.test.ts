import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent, pauseAgent} from '../../src/engine/admin/admin.js'
import {LiveQueueLog} from '../../src/engine/reports/queue-log-live.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, {recursive: true, force: true})))

/** The engine's event stream, as far as the writer sees it. */
function fakeEngine() {
  const listeners = new Set<(e: NewEvent) => void>()
  return {
    source: {events: {subscribe: (l: (e: NewEvent) => void) => (listeners.add(l), () => listeners.delete(l))}, callbackKey: () => '9'},
    emit: (e: Omit<NewEvent, 'origin'>) => listeners.forEach((l) => l({...e, origin: 'engine'})),
    listeners,
  }
}

describe('live queue_log writer', () => {
  it('appends call lines as the engine emits them and agent lines as admin commands store them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callctl-qll-'))
    dirs.push(dir)
    const file = join(dir, 'queue_log')
    const store = new SqliteStore(':memory:')
    await addQueue(store, 'sales', {})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    const engine = fakeEngine()
    const live = await LiveQueueLog.start({file, store, log: createLogger({level: 'error'}), source: engine.source, now: 1_795_000_000_000})
    const t = 1_795_000_100_000
    engine.emit({type: 'call.started', ts: t, callId: 'c1', data: {number: '+861'}})
    engine.emit({type: 'queue.entered', ts: t + 1000, callId: 'c1', queue: 'sales', data: {position: 1}})
    engine.emit({type: 'queue.exited', ts: t + 9000, callId: 'c1', queue: 'sales', data: {reason: 'key', action: 'callback', position: 1, waitMs: 8000}})
    await loginAgent(store, 'a1')
    await pauseAgent(store, 'a1', 'lunch')
    await live.poll()
    await live.stop()
    expect(engine.listeners.size).toBe(0)
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines.slice(0, 3)).toEqual(['1795000000|NONE|NONE|NONE|QUEUESTART|', '1795000101|c1|sales|NONE|ENTERQUEUE||+861|1', '1795000109|c1|sales|NONE|EXITWITHKEY|9|1|1|8'])
    expect(lines.slice(3).map((l) => l.split('|').slice(1).join('|'))).toEqual(['MANAGER|sales|a1|ADDMEMBER|', 'NONE|NONE|a1|PAUSEALL|lunch', 'NONE|sales|a1|PAUSE|lunch'])
  })

  it('refuses a file it cannot open at start', async () => {
    const store = new SqliteStore(':memory:')
    await expect(LiveQueueLog.start({file: '/sys/callctl-queue_log', store, log: createLogger({level: 'error'}), source: fakeEngine().source})).rejects.toThrow(/EACCES/)
  })
})
