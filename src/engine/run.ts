import {ApiServer, type Connection, type Handler} from './api/server.js'
import type {ApiErrorBody} from './api/protocol.js'
import {AsteriskLink, type AsteriskLinkView} from './asterisk-link.js'
import {acquireEngineLock, type EngineLock} from './engine-lock.js'
import {replaySpilledEvents, spillEvents} from './unwritten-events.js'
import {watchStore, type StoreLoss} from './store-watch.js'
import {engineHandlers, engineOwnership} from './api/handlers.js'
import type {Principal} from './users/roles.js'
import {clearEndpoint, writeEndpoint} from './api/connect.js'
import {connectAri} from './ari/index.js'
import {AriAuthError, type AriPort, type ConnectionState} from './ari/port.js'
import {Engine} from './calls/engine.js'
import type {EngineConfig} from './config/engine-config.js'
import {maskDatabase} from './store/database-url.js'
import {openStore} from './store/open-store.js'
import {SqliteStore} from './store/sqlite-store.js'
import {contactLookup, storeFrontDoor} from './front-door.js'
import {recordingDir} from './recordings/location.js'
import {LiveQueueLog} from './reports/queue-log-live.js'
import {Recorder} from './recordings/recorder.js'
import type {Store} from './store/store.js'
import {UserError} from './util/errors.js'
import type {Logger} from './util/log.js'
import {ensureSecret} from './util/secrets.js'
import {keepCallRows} from './reports/call-rows.js'
import {startTicketWebhook} from './tickets/ticket-webhook.js'
import {phoneBook} from './phones/phones.js'
import {repositoriesOf} from './store/repositories.js'
import {SipGuard} from './sip/sip-guard.js'
import {connectBoxes} from './boxes/connect-boxes.js'
import {BoxRouter} from './boxes/box-router.js'
import {followBoxes} from './boxes/box-link.js'
import {hostname} from 'node:os'
import {sandboxPortOwner} from './sandbox/port-owner.js'
import {sandboxAppMismatch} from './sandbox/app-mismatch.js'
import {isPostgresUrl} from './store/database-url.js'
import {PgStore} from './store/pg/pg-store.js'
import {holderName, Lease, type LeaderView} from './leadership/lease.js'
import {DEFAULT_LEASE_MS, Leadership, waitToLead} from './leadership/leadership.js'
import {refuseTakenChatPort, startChannels, type RunningChannels} from './chat/channels/start-channels.js'
import {startUploadRetention, uploadsIn} from './chat/upload-retention.js'
import {loadChatFlows} from './chat/flows/load-flows.js'

export interface RunningEngine {
  engine: Engine
  ari: AriPort
  store: Store
  /** The engine API's WebSocket URL. */
  apiUrl: string
  link: AsteriskLink
  /** The chat server (web widget, WeChat, JSON webhook), when channels: is configured. */
  channels: RunningChannels | null
  status(): EngineStatusView
  /**
   * Idempotent; bounded in time whatever state Asterisk and the store are in. Calls stay
   * in Asterisk for the next engine, unless `endCalls` says why to end them (system-ended).
   */
  stop(o?: {endCalls?: string; stepDown?: boolean}): Promise<void>
  /** Resolves if the database file is removed or replaced under the engine: stop it, then start again. */
  storeLost: Promise<StoreLoss>
  /**
   * Resolves (with why) when an engine on a shared PostgreSQL store stops leading: stop it
   * with `stepDown` (its unwritten events are the old leader's view and are dropped, not
   * kept for a replay), then start again, to stand by.
   */
  leadershipLost: Promise<string>
}

export const VERSION = '0.1.0'

/** The longest a stop waits for the store to take the last events before spilling them to a file. */
const STOP_WRITE_MS = 5_000

export interface StartOptions {
  onConnection?: (s: ConnectionState) => void
  apiPort?: number
  /** The engine lock, when the caller took it earlier (the demo, before it writes its setup). */
  lock?: EngineLock
  /** Stops a start still waiting for Asterisk (or standing by): startEngine then rejects. */
  abort?: AbortSignal
  /** How long a leader's lease lasts without renewal (shared PostgreSQL store); CALLCTL_LEASE_MS. */
  leaseMs?: number
}

/**
 * Takes the engine's lock, binds its API port and checks its chat port, then opens the
 * store, connects to Asterisk (retrying for as long as it is unreachable) and starts the
 * engine. The lock and the ports come first: a second engine refuses before it touches Asterisk, where
 * connecting and leaving would have unregistered the app of the engine already
 * running. A refused ARI password is a user error (exit 2) naming the URL and user,
 * never the password.
 */
export async function startEngine(config: EngineConfig, log: Logger, opts: StartOptions = {}): Promise<RunningEngine> {
  // On a shared PostgreSQL store the leadership row decides who touches Asterisk (a
  // second engine stands by), not a file in one machine's callctl home.
  const lock = opts.lock ?? (isPostgresUrl(config.database) ? {file: '', release() {}} : acquireEngineLock(config.paths, config.ari.app, process.pid, config.boxes.map((b) => b.url)))
  const undo: (() => Promise<void> | void)[] = [() => lock.release()]
  const unwind = async () => {
    for (const fn of undo.reverse()) await fn()
  }
  try {
    return await start(config, log, opts, lock, undo)
  } catch (err) {
    await unwind()
    throw err
  }
}

async function start(config: EngineConfig, log: Logger, opts: StartOptions, lock: EngineLock, undo: (() => Promise<void> | void)[]): Promise<RunningEngine> {
  /** Set by a stop that ends the calls (the demo's): why they were ended. */
  let endCalls: string | undefined
  /** Set by a stop after the lead was lost. */
  let stepDown = false
  const startedAt = Date.now()
  const port = opts.apiPort ?? config.api.port
  // Filled in once the engine runs; until then only engine.status answers.
  const handlers: Record<string, Handler> = {}
  const api = new ApiServer({host: config.api.host, port, token: ensureSecret(config.paths.apiTokenFile), tokenFile: config.paths.apiTokenFile, handlers, log})
  api.notReady = {code: 'engine_starting', message: 'The engine is starting (connecting to Asterisk)', suggestion: 'Try again in a moment; callctl engine status shows the link.'}
  let apiUrl: string
  try {
    apiUrl = (await api.listen()).url
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const owner = sandboxPortOwner(config.paths, port)
      throw new UserError(`The engine API port ${config.api.host}:${port} is in use ${owner ? `by ${owner}` : '(another engine?)'}`, {
        suggestion: owner ? `Set api.port in the config (CALLCTL_API_PORT) to a free port, or move the sandbox: callctl sandbox up --port 18088` : 'Stop the other engine, or set api.port in the config (CALLCTL_API_PORT).',
        exitCode: 2,
        code: 'port_in_use',
      })
    }
    throw err
  }
  undo.push(() => api.close())
  // The chat port too, before the endpoint file, the store and Asterisk: an engine that
  // cannot serve chat writes nothing to the shared log.
  if (config.channels) await refuseTakenChatPort(config.channels, config.channels.web.port === port ? `this engine's own API (api.port, CALLCTL_API_PORT)` : sandboxPortOwner(config.paths, config.channels.web.port))
  const announce = () => {
    writeEndpoint(config.paths, {url: apiUrl, pid: process.pid, app: config.ari.app, startedAt: new Date(startedAt).toISOString()})
    undo.push(() => clearEndpoint(config.paths, process.pid))
  }
  // A standby does not announce itself: clients of this home would reach it instead of the leader.
  if (!isPostgresUrl(config.database)) announce()

  // A short busy wait: the engine buffers and retries its writes rather than freeze calls on a lock.
  const store = await openStore(config.database, {busyTimeoutMs: 100, log, applicationName: `callctl-engine:${holderName(hostname(), process.pid)}`.slice(0, 63)})
  undo.push(() => store.close())
  // Users' tokens work from here on; the admin token file worked from the start.
  api.users = repositoriesOf(store).users
  const sqlite = store instanceof SqliteStore ? store : null
  // A file removed under the engine: SQLite only (a PostgreSQL database is not a path).
  const watch = sqlite && config.database !== ':memory:' ? watchStore(sqlite, log) : null
  if (watch) {
    // Last before the store closes: what the engine wrote is saved back to the path.
    undo.push(async () => {
      watch.stop()
      await watch.saveIfLost()
    })
  }
  // Declared before standing by: a standby answers engine.status too.
  let engine: Engine | undefined
  // Several boxes: one link over all of them (up while any box is); each box's own
  // comings and goings are logged with its URL by connect-boxes.
  const linkUrl = config.boxes.length > 1 ? config.boxes.map((b) => b.url).join(', ') : config.ari.url
  const link = new AsteriskLink({
    url: linkUrl,
    log,
    onOutage: (error) => engine?.events.append({type: 'ari.disconnected', data: {error}}),
    onBack: (downMs) => engine?.events.append({type: 'ari.connected', data: {url: linkUrl, downMs}}),
  })
  /** The chat server, once the engine serves. */
  let channels: RunningChannels | null = null
  /** Several boxes: their states for engine status (set once connected). */
  let boxStates: (() => NonNullable<EngineStatusView['boxes']>) | null = null
  const status = (): EngineStatusView => ({
    app: config.ari.app,
    version: VERSION,
    pid: process.pid,
    startedAt: new Date(startedAt).toISOString(),
    uptimeS: Math.round((Date.now() - startedAt) / 1000),
    api: apiUrl,
    database: maskDatabase(config.database),
    serving: engine !== undefined && api.notReady === null,
    link: link.current,
    origin: engine?.origin ?? null,
    liveCalls: engine?.liveCalls ?? 0,
    pendingEvents: engine?.events.pending ?? 0,
    unauthorizedRequests: api.unauthorizedRequests,
    agents: engine ? agentCounts(engine) : {total: 0, loggedIn: 0, idle: 0, busy: 0, paused: 0},
    ...(boxStates ? {boxes: boxStates()} : {}),
    ...(channels ? {chat: channels.url} : {}),
  })
  // Several engines on one PostgreSQL store: stand by until this one leads.
  let leadership: Leadership | null = null
  let leaderSeen: LeaderView | null = null
  /** A standby's polls failing: the database does not answer (since when, why). */
  let databaseDown: {since: number; error: string} | null = null
  if (store instanceof PgStore) {
    const leaseMs = opts.leaseMs ?? (Number(process.env.CALLCTL_LEASE_MS) || DEFAULT_LEASE_MS)
    const lease = new Lease({url: config.database, key: config.ari.app, holder: holderName(hostname(), process.pid), leaseMs})
    undo.push(() => lease.close())
    const refuse = () => (api.notReady = standbyRefusal(leaderSeen, databaseDown))
    refuse()
    handlers['engine.status'] = (): EngineStatusView => ({
      ...status(),
      role: 'standby',
      leader: leaderSeen && {holder: leaderSeen.holder, api: leaderSeen.apiUrl, epoch: leaderSeen.epoch, live: leaderSeen.live},
      ...(databaseDown ? {databaseDown} : {}),
    })
    const claim = await waitToLead({
      lease,
      log,
      apiUrl,
      leaseMs,
      abort: opts.abort,
      onLeader: (v) => ((leaderSeen = v), refuse()),
      onDatabase: (error) => ((databaseDown = error === null ? null : (databaseDown ?? {since: Date.now(), error})), refuse()),
    })
    store.setFence(claim.fence)
    const lead = new Leadership({lease, claim, log, apiUrl, leaseMs})
    leadership = lead
    store.onFenced = (err) => lead.lose(err.message)
    // Last on the way out (undo runs in reverse): the lease ends once this engine has stopped acting.
    undo.push(() => lead.release())
    api.notReady = {code: 'engine_starting', message: 'The engine is starting (connecting to Asterisk)', suggestion: 'Try again in a moment; callctl engine status shows the link.'}
    announce()
    log.info(`leading app "${config.ari.app}" (epoch ${claim.fence.epoch}); connecting to Asterisk`)
  }
  await replaySpilledEvents(config.paths.home, store, log)

  handlers['engine.status'] = (): EngineStatusView => {
    const down = leadership?.databaseDown
    return {...status(), ...(leadership ? {role: 'leader' as const, epoch: leadership.epoch} : {}), ...(down ? {databaseDown: down} : {})}
  }
  log.info(`engine API bound on ${apiUrl}; connecting to Asterisk`)

  let ari: AriPort
  try {
    const common = {
      app: config.ari.app,
      log,
      abort: opts.abort,
      ...(leadership ? {gate: () => leadership.refusal()} : {}),
      onConnection: (s: ConnectionState) => {
        link.update(s)
        opts.onConnection?.(s)
      },
    }
    // Several boxes: one queue line over all of them (boxes/box-router.ts).
    ari =
      config.boxes.length > 1
        ? await connectBoxes(config.boxes, {...common, onConnection: undefined})
        : await connectAri({...common, creds: {url: config.ari.url, user: config.ari.user, password: config.ari.password}})
    if (ari instanceof BoxRouter) {
      const router = ari
      followBoxes(router, link, opts.onConnection)
      // A box that has not answered since the start is listed down from then.
      boxStates = () => {
        const joined = router.boxStates()
        const waiting = config.boxes.filter((b) => !joined.some((j) => j.name === b.name)).map((b) => ({name: b.name, up: false, downSince: startedAt}))
        return [...joined, ...waiting].sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
      }
    }
  } catch (err) {
    if (err instanceof AriAuthError) {
      throw new UserError(`Asterisk at ${err.url} refused ARI user "${err.user}": wrong user or password`, {
        suggestion: `Check ari.user and the password (from ${config.ariSource}); the sandbox keeps its password in ${config.paths.ariPasswordFile}.`,
        exitCode: 2,
        code: 'ari_auth',
      })
    }
    throw err
  }
  undo.push(() => ari.close())
  // Another WebSocket took our Stasis app: its calls no longer reach this engine.
  ari.on('ApplicationReplaced', () => {
    if (leadership) return leadership.lose(`Asterisk gave app "${config.ari.app}" to another connection (another engine leads)`)
    log.error(`Asterisk gave app "${config.ari.app}" to another connection: this engine receives no new calls. Another engine (another host or CALLCTL_HOME) runs the same app; stop it, then restart this one.`)
  })
  log.info(`serving app "${config.ari.app}" on Asterisk at ${config.ari.url}`)
  const mismatch = sandboxAppMismatch(config)
  if (mismatch) log.warn(mismatch)
  // Several boxes: each records into its own spool, the one of the box where the call's bridge is.
  const spoolOf = (name: string) => {
    const box = ari instanceof BoxRouter ? config.boxes.find((b) => b.name === (ari as BoxRouter).boxOf(name)) : undefined
    return box ? recordingDir(config.paths, box.url) : null
  }
  const recorder = new Recorder({ari, recordings: repositoriesOf(store).recordings, log, hostDir: recordingDir(config.paths, config.ari.url), ...(ari instanceof BoxRouter ? {hostDirOf: spoolOf} : {}), events: {append: (e) => engine!.events.append(e)}})
  undo.push(() => recorder.stop())
  engine = new Engine({
    ari,
    store,
    log,
    defaultQueue: config.defaultQueue,
    dialString: config.outbound.dialString,
    outboundCallerId: config.outbound.callerId,
    outbound: {allow: config.outbound.allow, defaultCountry: config.defaultCountry},
    frontDoor: storeFrontDoor(store, config.paths, {
      lookupContact: contactLookup(store, {
        defaultCountry: config.defaultCountry,
        crm: config.crm.lookupUrl ? {url: config.crm.lookupUrl, timeoutMs: config.crm.timeoutMs} : null,
        vipTiers: config.crm.vipTiers,
        log,
      }),
    }),
    recorder,
    phones: await phoneBook(store, config.paths),
    chat: {settings: config.chat, flows: loadChatFlows(config.chat), kb: () => repositoriesOf(store).kb},
  })
  const running = engine
  // A message a chat customer leaves when nobody can answer becomes a ticket (chat/wait-limits.ts).
  engine.chat.openTicketsWith(() => ({tickets: repositoriesOf(store).tickets, store, sla: config.tickets.sla, defaultCountry: config.defaultCountry, origin: running.origin, now: () => running.core.clock.now()}))
  // Before start: the calls the engine re-adopts or closes after a restart are in the queue_log too.
  let queueLog: LiveQueueLog | null = null
  if (config.queueLog) {
    try {
      queueLog = await LiveQueueLog.start({file: config.queueLog, store, log, source: {events: engine.events, callbackKey: (q) => running.acd.queues.get(q)?.callbackKey ?? ''}})
    } catch (err) {
      throw new UserError(`Cannot write the queue_log ${config.queueLog}: ${(err as Error).message}`, {suggestion: 'Fix queueLog in the config (or CALLCTL_QUEUE_LOG), or leave it out.', exitCode: 2, code: 'queue_log'})
    }
    undo.push(() => queueLog?.stop())
  }
  await engine.start()
  undo.push(() => stopEngine(running, config, log, endCalls, stepDown))
  const summary = keepCallRows(store, log)
  undo.push(() => summary.stop())
  // Ticket changes told to an outside system, from the log (the CLI's changes too).
  const webhook = config.tickets.webhook ? await startTicketWebhook(config.tickets.webhook, store, repositoriesOf(store).tickets, log) : null
  if (webhook) undo.push(() => webhook.stop())
  const guard = new SipGuard({settings: config.sip, rest: ari, store, append: (e) => running.events.append(e), log})
  await guard.start().catch((err: unknown) => log.warn('could not start watching SIP security events', {error: String(err)}))
  undo.push(() => guard.stop())

  const served = engineHandlers(engine, {app: config.ari.app, version: VERSION, desk: {settings: config.desk, defaultCountry: config.defaultCountry, vipTiers: config.crm.vipTiers}, tickets: {sla: config.tickets.sla, defaultCountry: config.defaultCountry}})
  const snapshot = served.snapshot!
  Object.assign(handlers, served, {
    'engine.status': handlers['engine.status'],
    // The link goes with every snapshot, so `calls` and the dashboard can say Asterisk is away.
    // And each box's state when there are several, so the dashboard can say which one is away.
    snapshot: async (params: Record<string, unknown>, conn: Connection, who: Principal) => ({...((await snapshot(params, conn, who)) as object), link: link.current, ...(boxStates ? {boxes: boxStates()} : {})}),
  })
  api.ownership = engineOwnership(engine)
  api.audit = (e) => running.events.append(e)
  // The chat channels once the engine serves: a customer's first message finds the chat core running.
  if (config.channels) {
    const running = await startChannels(config.channels, engine.chat, log)
    channels = running
    undo.push(() => running.stop())
    // Widget images older than chat.uploadsRetention go, at start and daily; not those of open conversations.
    const retention = startUploadRetention({uploads: running.uploads, keepMs: config.chat.uploadsRetentionMs, live: () => uploadsIn(engine.chat.list().map((v) => engine.chat.transcript(v.id))), log})
    undo.push(() => retention.stop())
  }
  api.notReady = null
  // Said once the engine serves (tests and scripts wait for this line).
  log.info(`engine API listening on ${apiUrl}`)

  let stopping: Promise<void> | null = null
  return {
    engine,
    ari,
    store,
    apiUrl,
    link,
    channels,
    status,
    storeLost: watch?.lost ?? new Promise<StoreLoss>(() => {}),
    leadershipLost: leadership?.lost ?? new Promise<string>(() => {}),
    stop(o = {}) {
      endCalls ??= o.endCalls
      stepDown ||= o.stepDown === true
      // Once, in reverse order of start: API, summary, engine (last events written or
      // spilled), queue_log, ARI, store, endpoint file, lock.
      stopping ??= (async () => {
        // The API first: clients see the engine go rather than talk to a stopping one.
        await api.close()
        clearEndpoint(config.paths, process.pid)
        for (const fn of undo.reverse()) {
          try {
            await fn()
          } catch (err) {
            log.error('stop step failed', {error: err instanceof Error ? err.stack : String(err)})
          }
        }
      })()
      return stopping
    },
  }
}

/** Stops the engine; events the store would not take in time go to a file the next start replays. */
async function stopEngine(engine: Engine, config: EngineConfig, log: Logger, endCalls: string | undefined, stepDown: boolean): Promise<void> {
  // Stepping down: the store refuses this engine's writes, so none is waited for.
  await engine.stop(stepDown ? 0 : STOP_WRITE_MS, {endCalls})
  const left = engine.events.takeUnwritten()
  if (left.length === 0) return
  if (stepDown) {
    // What this engine saw after it lost the lead is not the log's: the new leader's is.
    log.warn(`dropped ${left.length} events this engine could not write before stepping down (the new leader recovers the calls from Asterisk and the log)`)
    return
  }
  try {
    const file = spillEvents(config.paths.home, left)
    log.error(`the store did not take the last ${left.length} events; kept them in ${file} for the next start`)
  } catch (err) {
    log.error(`LOST ${left.length} events: the store did not take them and ${config.paths.home} is not writable`, {error: String(err)})
  }
}

function agentCounts(engine: Engine): EngineStatusView['agents'] {
  const agents = engine.snapshot().agents
  const count = (...states: string[]) => agents.filter((a) => states.includes(a.state)).length
  return {total: agents.length, loggedIn: agents.length - count('offline'), idle: count('idle'), busy: count('ringing', 'on-call', 'wrap-up'), paused: count('paused')}
}

/**
 * What a standby answers every request but engine.status: the leader it last saw, and
 * whether clients can find it (through the database) at all.
 */
function standbyRefusal(leader: LeaderView | null, down: {error: string} | null): ApiErrorBody {
  const leads = leader?.holder ? `${leader.holder} leads${leader.apiUrl ? ` (API ${leader.apiUrl})` : ''}` : 'another engine leads'
  if (!down) return {code: 'standby', message: `This engine stands by: ${leads}`, suggestion: 'Try again: clients find the leader through the database; callctl engine status names it.'}
  const at = leader?.apiUrl ? /^wss?:\/\/\[?([^\]/]+?)\]?:(\d+)/.exec(leader.apiUrl) : null
  return {
    code: 'standby',
    message: `This engine stands by and the database does not answer (${down.error}), where clients look up the leader; when last seen, ${leads}`,
    suggestion: at ? `Ask the leader directly: CALLCTL_API_HOST=${at[1]} CALLCTL_API_PORT=${at[2]} (with a token it takes), or wait for the database.` : 'Wait for the database, or ask the leader on its own host.',
  }
}

/** What `engine status` shows (the API's engine.status). */
export interface EngineStatusView {
  app: string
  version: string
  pid: number
  startedAt: string
  uptimeS: number
  api: string
  database: string
  /** False while the engine is still connecting to Asterisk for the first time. */
  serving: boolean
  link: AsteriskLinkView
  origin: string | null
  liveCalls: number
  pendingEvents: number
  /** API requests refused for a missing or wrong token since start (the log has one line per connection, at most 10 a minute). */
  unauthorizedRequests: number
  agents: {total: number; loggedIn: number; idle: number; busy: number; paused: number}
  /** On a shared PostgreSQL store: whether this engine leads or stands by, and the leadership's epoch. */
  role?: 'leader' | 'standby'
  epoch?: number
  /** On a shared PostgreSQL store: the database does not answer this engine (since, epoch ms, and why). */
  databaseDown?: {since: number; error: string}
  /** A standby's view of who leads. */
  leader?: {holder: string | null; api: string | null; epoch: number; live: boolean} | null
  /** Several Asterisk boxes: each and whether it serves. */
  boxes?: {name: string; up: boolean; downSince: number | null}[]
  /** The chat server's URL (the widget is at /chat/), when channels: is configured. */
  chat?: string
}
