import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, listAgents, loginAgent, logoutAgent, pauseAgent, removeQueue, unpauseAgent} from '../../src/engine/admin/admin.js'
import {schemaVersion, SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {MIGRATIONS} from '../../src/engine/store/migrations.js'
import {UserError} from '../../src/engine/util/errors.js'

describe('SQLite store', () => {
  const dirs: string[] = []
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'callctl-store-'))
    dirs.push(d)
    return join(d, 'x.db')
  }
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, {recursive: true, force: true})))

  it('migrates a new file to the latest schema in WAL mode, and reopening is a no-op', async () => {
    const file = tmp()
    const s = new SqliteStore(file)
    expect(schemaVersion(s.db)).toBe(MIGRATIONS.at(-1)!.version)
    expect(s.db.pragma('journal_mode', {simple: true})).toBe('wal')
    await s.close()
    const again = new SqliteStore(file)
    expect(schemaVersion(again.db)).toBe(MIGRATIONS.at(-1)!.version)
    await again.close()
  })

  it('appends events in order and filters them by time, type, call and id', async () => {
    const s = new SqliteStore(':memory:')
    await s.appendEvents([
      {type: 'call.started', ts: 1000, callId: 'c1', data: {number: '1'}},
      {type: 'queue.entered', ts: 1001, callId: 'c1', queue: 'q'},
      {type: 'call.started', ts: 2000, callId: 'c2'},
    ])
    const all = []
    for await (const e of s.events()) all.push(e)
    expect(all.map((e) => [e.id, e.type])).toEqual([[1, 'call.started'], [2, 'queue.entered'], [3, 'call.started']])
    expect(all[0]!.data).toEqual({number: '1'})
    const since = []
    for await (const e of s.events({since: 1001, until: 2000})) since.push(e.id)
    expect(since).toEqual([2])
    const typed = []
    for await (const e of s.events({types: ['call.started'], callId: 'c2'})) typed.push(e.id)
    expect(typed).toEqual([3])
    const after = []
    for await (const e of s.events({afterId: 2})) after.push(e.id)
    expect(after).toEqual([3])
    expect(await s.lastEventId()).toBe(3)
  })

  it('writes each configuration change together with its event', async () => {
    const s = new SqliteStore(':memory:')
    await addQueue(s, 'sales', {wrapUp: '7'})
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001', queues: ['sales:2'], skills: 'billing:3 english'})
    await loginAgent(s, '1001')
    await pauseAgent(s, '1001', 'lunch')
    const [a] = await listAgents(s)
    expect(a).toMatchObject({id: '1001', queues: {sales: 2}, skills: {billing: 3, english: 1}, presence: 'paused', pauseReason: 'lunch'})
    await unpauseAgent(s, '1001')
    await logoutAgent(s, '1001')
    const types = []
    for await (const e of s.events()) types.push(e.type)
    expect(types).toEqual(['queue.added', 'agent.added', 'agent.login', 'agent.paused', 'agent.unpaused', 'agent.logout'])
    expect((await s.getQueue('sales'))!.settings.wrapUp).toBe(7)
    // Removing a queue removes memberships with it.
    await removeQueue(s, 'sales')
    expect((await s.getAgent('1001'))!.queues).toEqual({})
  })

  it('names the missing queue and lists the existing ones when logging in to it', async () => {
    const s = new SqliteStore(':memory:')
    await addQueue(s, 'sales', {})
    await addQueue(s, 'support', {})
    await addAgent(s, {id: '1001', endpoint: 'PJSIP/1001'})
    const err = await loginAgent(s, '1001', ['salse']).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toBe('Queue "salse" does not exist. Existing queues: sales, support')
    expect((err as UserError).suggestion).toContain('callctl queue add salse')
  })

  it('rejects bad queue settings naming the field and the accepted values', async () => {
    const s = new SqliteStore(':memory:')
    await expect(addQueue(s, 'q', {strategy: 'fastest'})).rejects.toMatchObject({
      message: 'Invalid strategy "fastest" for a queue',
      suggestion: expect.stringContaining('ring-all, round-robin, linear, longest-idle'),
    })
    await expect(addQueue(s, 'q', {ringTimeout: '-3'})).rejects.toMatchObject({message: 'Invalid ringTimeout "-3" for a queue', suggestion: 'ringTimeout accepts: seconds from 1 to 600.'})
    await expect(addQueue(s, 'bad name!', {})).rejects.toMatchObject({message: 'Invalid queue name "bad name!"'})
    await expect(addAgent(s, {id: 'x', endpoint: 'not a dial string'})).rejects.toMatchObject({message: 'Invalid endpoint "not a dial string"'})
  })

  it('lets another connection read while one writes (two processes share the file)', async () => {
    const file = tmp()
    const writer = new SqliteStore(file)
    const reader = new SqliteStore(file)
    await addQueue(writer, 'sales', {})
    expect((await reader.listQueues()).map((q) => q.name)).toEqual(['sales'])
    await writer.close()
    await reader.close()
  })
})
