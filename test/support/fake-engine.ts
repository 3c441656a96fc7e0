import {afterEach, beforeEach} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {FakeAri} from './fake-ari.js'
import {FakeClock} from './fake-clock.js'

// The engine most unit files run: a recorded ARI, a fake clock, an in-memory store with
// some queues and agents, started before each test and stopped after it. Each file wrote
// the same dozen lines of beforeEach/afterEach around its own variables (duplicates D1-D7).

export interface FakeEngineSetup {
  /** Queues to add, in order, with their settings. */
  queues?: Record<string, Record<string, unknown>>
  /** Agents to add (on PJSIP/ID), logged in unless `login: false`. */
  agents?: {id: string; queues: string[]; login?: boolean}[]
  /** The clock's start; by default FakeClock's own. */
  clockAt?: number
}

export interface FakeEngine {
  readonly ari: FakeAri
  readonly clock: FakeClock
  readonly store: SqliteStore
  readonly engine: Engine
}

/** Registers beforeEach/afterEach for a fresh engine per test; read its parts from the returned object inside tests. */
export function useFakeEngine(setup: FakeEngineSetup): FakeEngine {
  let parts: FakeEngine | undefined
  beforeEach(async () => {
    const ari = new FakeAri()
    const clock = new FakeClock(setup.clockAt)
    const store = new SqliteStore(':memory:')
    for (const [name, settings] of Object.entries(setup.queues ?? {})) await addQueue(store, name, settings)
    for (const a of setup.agents ?? []) {
      await addAgent(store, {id: a.id, endpoint: `PJSIP/${a.id}`, queues: a.queues})
      if (a.login !== false) await loginAgent(store, a.id)
    }
    const engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000})
    await engine.start()
    parts = {ari, clock, store, engine}
  })
  afterEach(async () => {
    await parts?.engine.stop()
    await parts?.store.close()
    parts = undefined
  })
  const get = <K extends keyof FakeEngine>(k: K): FakeEngine[K] => {
    if (!parts) throw new Error('useFakeEngine: its parts exist only inside a test')
    return parts[k]
  }
  return {
    get ari() {
      return get('ari')
    },
    get clock() {
      return get('clock')
    },
    get store() {
      return get('store')
    },
    get engine() {
      return get('engine')
    },
  }
}
