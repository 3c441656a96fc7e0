import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {EngineClient} from '../../src/engine/api/client.js'
import {engineHandlers, engineOwnership} from '../../src/engine/api/handlers.js'
import {ApiServer} from '../../src/engine/api/server.js'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inject} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {AriHttp, connectAri, type AriPort} from '../../src/engine/ari/index.js'
import {Engine, type EngineOptions, type FrontDoor} from '../../src/engine/calls/engine.js'
import {storeFrontDoor} from '../../src/engine/front-door.js'
import {callctlPaths, type Paths} from '../../src/engine/util/paths.js'
import {phoneBook} from '../../src/engine/phones/phones.js'
import type {QueueSettings} from '../../src/engine/model.js'
import {callRecords, type CallRecord} from '../../src/engine/reports/call-records.js'
import {originateSimCaller, simAgentEndpoint, type SimAgentSpec, type SimCallerSpec} from '../../src/engine/sim/simulator.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger, type Logger} from '../../src/engine/util/log.js'

export interface TestAgent extends SimAgentSpec {
  queues: string[]
  loggedIn?: boolean
}

export interface Harness {
  app: string
  /** The engine API (started with `api: true`): its URL and token. */
  api: {url: string; token: string; client(): Promise<EngineClient>} | null
  engine: Engine
  ari: AriPort
  rest: AriHttp
  store: SqliteStore
  events(): Promise<StoredEvent[]>
  calls(): Promise<CallRecord[]>
  waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs?: number): Promise<T>
  /** A simulated caller dialling this engine. */
  call(c: Omit<SimCallerSpec, 'app' | 'name'> & {name?: string}): Promise<string>
  /** The folded call record of a caller number, once it exists. */
  callOf(number: string): Promise<CallRecord | undefined>
  /** Waits until the call from this number has ended. */
  ended(number: string, timeoutMs?: number): Promise<CallRecord>
  stop(): Promise<void>
}

export function sandboxCreds(): {url: string; user: string; password: string} {
  const s = inject('sandbox')
  return {url: s.ariUrl, user: s.ariUser, password: readFileSync(s.passwordFile, 'utf8').trim()}
}

/** The environment a `callctl engine start` process of the test's own needs on the shared sandbox. */
export function cliEngineEnv(o: {home: string; app: string; apiPort: number | string}): Record<string, string> {
  const creds = sandboxCreds()
  return {
    CALLCTL_HOME: o.home,
    CALLCTL_ARI_URL: creds.url,
    CALLCTL_ARI_USER: creds.user,
    CALLCTL_ARI_PASSWORD: creds.password,
    CALLCTL_ARI_APP: o.app,
    CALLCTL_API_PORT: String(o.apiPort),
    // The tests' customers are fictional +1555 numbers on no real trunk: the outbound
    // policy (national numbers by default) would refuse them; sip-security tests set their own.
    CALLCTL_OUTBOUND_ALLOW: 'any',
  }
}

/**
 * An engine of the test's own (own Stasis app, own SQLite file) on the shared
 * sandbox Asterisk. Simulated callers reach it by setting CALLCTL_APP to `app`.
 */
/** The test sandbox's CALLCTL_HOME paths (prompts then land inside its chroot). */
export function sandboxPaths() {
  return callctlPaths({...process.env, CALLCTL_HOME: inject('sandbox').home})
}

export async function startTestEngine(opts: {
  queues: Record<string, Partial<QueueSettings>>
  agents: TestAgent[]
  defaultQueue?: string
  engine?: Partial<EngineOptions>
  /** Start the engine's WebSocket API on a free loopback port. */
  api?: boolean
  /** Blacklist, IVR flows and prompts from this engine's store (with extra front-door options). */
  frontDoor?: Partial<FrontDoor> | ((store: SqliteStore) => Partial<FrontDoor>) | true
  /** The logger for the engine, ARI and API (default: warnings and errors on stderr). */
  log?: Logger
  /** Runs on the fresh store after queues and agents are added and before the engine starts (e.g. addPhone, which turns an agent's endpoint into PJSIP/ID). */
  beforeStart?: (store: SqliteStore) => Promise<void> | void
  /** The store's phones as the engine's PhoneBook, as run.ts wires it (secrets under these paths): pushed on connect and watched. */
  phones?: {paths: Paths}
}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-it-'))
  // Like the engine in production: a short busy wait, writes buffered and retried.
  const store = new SqliteStore(join(dir, 'callctl.db'), {busyTimeoutMs: 100})
  for (const [name, settings] of Object.entries(opts.queues)) await addQueue(store, name, settings as Record<string, unknown>)
  for (const a of opts.agents) {
    await addAgent(store, {id: a.id, endpoint: simAgentEndpoint(a), queues: a.queues})
    if (a.loggedIn !== false) await loginAgent(store, a.id)
  }
  await opts.beforeStart?.(store)
  const creds = sandboxCreds()
  const app = `t${Math.random().toString(36).slice(2, 8)}`
  const log = opts.log ?? createLogger({level: (process.env.CALLCTL_TEST_LOG as 'debug') ?? 'warn'})
  const ari = await connectAri({creds, app, log})
  const extra = opts.frontDoor === true ? {} : typeof opts.frontDoor === 'function' ? opts.frontDoor(store) : opts.frontDoor
  const frontDoor = opts.frontDoor ? storeFrontDoor(store, sandboxPaths(), extra) : undefined
  const phonePaths = opts.phones?.paths
  const phones = phonePaths ? await phoneBook(store, phonePaths) : undefined
  const engine = new Engine({ari, store, log, defaultQueue: opts.defaultQueue ?? null, syncIntervalMs: 100, frontDoor, ...(phones ? {phones} : {}), ...opts.engine})
  await engine.start()
  const rest = new AriHttp(creds)
  let api: Harness['api'] = null
  let server: ApiServer | null = null
  if (opts.api) {
    const token = randomBytes(16).toString('hex')
    // Results checked against the contract as well: a handler drifting from it fails the test.
    // Users' tokens, the access policy's view of calls and the auth.* events, as run.ts wires them.
    server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      token,
      handlers: engineHandlers(engine, {app, version: 'test'}),
      log,
      checkResults: true,
      users: repositoriesOf(store).users,
      ownership: engineOwnership(engine),
      audit: (e) => engine.events.append(e),
    })
    const {url} = await server.listen()
    api = {url, token, client: () => EngineClient.connect(url, token)}
  }
  const h: Harness = {
    app,
    api,
    engine,
    ari,
    rest,
    store,
    async events() {
      await engine.events.flush()
      const out: StoredEvent[] = []
      for await (const e of store.events()) out.push(e)
      return out
    },
    async calls() {
      await engine.events.flush()
      return callRecords(store)
    },
    async waitFor(what, fn, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const v = await fn()
        if (v !== undefined && v !== false) return v as never
        if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    call(c) {
      return originateSimCaller(rest, {name: `Caller ${c.number}`, ...c, app})
    },
    async callOf(number) {
      return (await h.calls()).find((c) => c.number === number)
    },
    ended(number, timeoutMs = 60_000) {
      return h.waitFor(`the call from ${number} to end`, async () => {
        const c = await h.callOf(number)
        return c && c.outcome !== 'live' ? c : undefined
      }, timeoutMs)
    },
    async stop() {
      await server?.close()
      await engine.stop()
      await ari.close()
      await store.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
  return h
}

/** Channels and bridges left in the sandbox (every test should leave none). */
export async function leftovers(rest: AriHttp): Promise<{channels: string[]; bridges: string[]}> {
  return {channels: (await rest.listChannels()).map((c) => c.name), bridges: (await rest.listBridges()).map((b) => b.id)}
}

/** After a scenario: hang up whatever it left, check Asterisk is clean, stop the engine. */
export async function finish(h: Harness | undefined): Promise<void> {
  if (!h) return
  for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
  await h.waitFor('no channels left', async () => (await leftovers(h.rest)).channels.length === 0, 10_000)
  await h.stop()
}
