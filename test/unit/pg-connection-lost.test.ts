import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// PostgreSQL stopping while a connection is checked out of the pool (a write in progress):
// node-postgres emits 'error' on that client, and the pool listens only on idle ones. With
// nobody listening it was an uncaught exception, the end of the engine, when the database
// stopped under a write (found by the recordings engineer, misuse round 21). The write
// must fail as a write (the engine holds its events and retries) and the process live on.

let cluster: TestPostgres
const uncaught: unknown[] = []
const onUncaught = (err: unknown) => void uncaught.push(err)

beforeAll(async () => {
  cluster = await startPostgres()
  process.on('uncaughtException', onUncaught)
}, 60_000)

afterAll(() => {
  process.off('uncaughtException', onUncaught)
  cluster?.stop()
})

describe('PostgreSQL stopping under a write in progress', () => {
  it('fails the write; no uncaught error; the store writes again once PostgreSQL is back', async () => {
    const store = await PgStore.open(cluster.url)
    try {
      let started!: () => void
      const inside = new Promise<void>((r) => (started = r))
      const write = store.write(async (w) => {
        started()
        await w.client.query('SELECT pg_sleep(30)')
      })
      const outcome = write.then(
        () => 'committed',
        (err: unknown) => `failed: ${String(err)}`,
      )
      await inside
      cluster.down()
      expect(await outcome).toMatch(/^failed: /)
      // Errors the dead client emits arrive on later turns of the loop.
      await new Promise((r) => setTimeout(r, 500))
      expect(uncaught.map(String)).toEqual([])
      cluster.up()
      await store.appendEvents([{type: 'engine.started', ts: Date.now(), data: {}}])
      expect(await store.lastEventId()).toBeGreaterThan(0)
    } finally {
      await store.close()
    }
  }, 60_000)
})
