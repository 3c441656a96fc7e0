import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Lease} from '../../src/engine/leadership/lease.js'
import {Leadership, waitToLead} from '../../src/engine/leadership/leadership.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {startPostgres, type TestPostgres} from '../support/postgres.js'

// Who leads, on a real PostgreSQL: the standby's rules (lease.ts, leadership.ts) one by one.
// Short leases keep it quick; nothing asserts a duration, only what happened in which order.

const LEASE_MS = 600

describe('leadership on PostgreSQL', () => {
  let pg: TestPostgres
  let n = 0

  beforeAll(async () => {
    pg = await startPostgres()
  })
  afterAll(() => pg?.stop())

  /** A fresh database with the schema, and a lease factory on it. */
  async function fresh() {
    const url = pg.createDatabase(`lead${++n}`)
    await (await PgStore.open(url)).close()
    const leases: Lease[] = []
    const lease = (holder: string) => {
      const l = new Lease({url, key: 'app', holder, leaseMs: LEASE_MS})
      leases.push(l)
      return l
    }
    return {url, lease, close: () => Promise.all(leases.map((l) => l.close()))}
  }

  const standBy = (lease: Lease, abort: AbortSignal) => waitToLead({lease, log: silentLogger, apiUrl: 'ws://standby/', leaseMs: LEASE_MS, pollMs: 50, abort})

  it('the first engine leads; a second stands by while the leader renews, and takes over at once when it releases', async () => {
    const db = await fresh()
    const a = db.lease('a:1')
    const claim = await standBy(a, new AbortController().signal)
    expect(claim.fence.epoch).toBe(1)
    const lead = new Leadership({lease: a, claim, log: silentLogger, apiUrl: 'ws://a/', leaseMs: LEASE_MS})
    const stop = new AbortController()
    let took = false
    const b = standBy(db.lease('b:2'), stop.signal).then((c) => ((took = true), c))
    await new Promise((r) => setTimeout(r, LEASE_MS * 3))
    expect(took).toBe(false)
    expect(lead.refusal()).toBeNull()
    expect((await a.view())).toMatchObject({holder: 'a:1', apiUrl: 'ws://a/', live: true, epoch: 1})
    await lead.release()
    const claimB = await b
    expect(claimB.fence.epoch).toBe(2)
    // The released leader's claim is over: a renewal says so.
    expect(await a.renew(claim)).toBeNull()
    await db.close()
  })

  it('a leader whose lease session dies (the server running on) is replaced; its store writes are refused by epoch', async () => {
    const db = await fresh()
    const a = db.lease('a:10')
    const claim = await standBy(a, new AbortController().signal)
    const lead = new Leadership({lease: a, claim, log: silentLogger, apiUrl: 'ws://a/', leaseMs: LEASE_MS})
    const store = await PgStore.open(db.url, {fence: claim.fence})
    const b = standBy(db.lease('b:20'), new AbortController().signal)
    await new Promise((r) => setTimeout(r, LEASE_MS * 2)) // b watches for a lease first
    // As if a's process died: its lease session goes (its timer is stopped so it cannot renew over a new one).
    lead.lose('test: process died')
    pg.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'callctl-lease:a:10'`, `lead${n}`)
    const claimB = await b
    expect(claimB.fence.epoch).toBe(2)
    await expect(store.appendEvents([{type: 'engine.started', ts: Date.now(), data: {}}])).rejects.toThrow(/epoch 2, this engine holds epoch 1/)
    await store.close()
    await db.close()
  })

  it('a silent leader (alive, connected, not renewing) is replaced after a lease without renewal', async () => {
    const db = await fresh()
    const a = db.lease('a:30')
    const claim = await standBy(a, new AbortController().signal)
    // No Leadership: nothing renews, as in a frozen process whose session stays open.
    const claimB = await standBy(db.lease('b:40'), new AbortController().signal)
    expect(claimB.fence.epoch).toBe(claim.fence.epoch + 1)
    expect((await a.view())!.backendGone).toBe(false)
    await db.close()
  })

  it('the database restarted: every lease session is gone, yet the standby waits and the leader renews and leads on', async () => {
    const db = await fresh()
    const a = db.lease('a:50')
    const claim = await standBy(a, new AbortController().signal)
    const lead = new Leadership({lease: a, claim, log: silentLogger, apiUrl: 'ws://a/', leaseMs: LEASE_MS})
    const stop = new AbortController()
    let took = false
    void standBy(db.lease('b:60'), stop.signal).then(() => (took = true), () => undefined)
    await new Promise((r) => setTimeout(r, LEASE_MS * 2))
    pg.down()
    await new Promise((r) => setTimeout(r, LEASE_MS * 3)) // every lease long expired in the database
    // Away, the leader leads on (no other engine can take over without the database).
    expect(lead.refusal()).toBeNull()
    pg.up()
    await new Promise((r) => setTimeout(r, LEASE_MS * 4))
    expect(took).toBe(false)
    expect(lead.refusal()).toBeNull()
    expect((await a.view())).toMatchObject({holder: 'a:50', epoch: claim.fence.epoch, live: true})
    stop.abort()
    await lead.release()
    await db.close()
  })

  it('a claim past its local validity refuses to act until a renewal answers, and a lost one refuses for good', async () => {
    const db = await fresh()
    const a = db.lease('a:70')
    const claim = await standBy(a, new AbortController().signal)
    const lead = new Leadership({lease: a, claim: {...claim, validUntil: performance.now() - 1}, log: silentLogger, apiUrl: 'ws://a/', leaseMs: LEASE_MS, renewMs: 60_000})
    expect(lead.refusal()).toMatch(/lease not renewed in time/)
    // The refusal asked for a renewal; it answers that the claim still holds.
    await new Promise((r) => setTimeout(r, 200))
    expect(lead.refusal()).toBeNull()
    lead.lose('test')
    expect(lead.refusal()).toMatch(/not the leader \(test\)/)
    await expect(lead.lost).resolves.toBe('test')
    await db.close()
  })
})
