import {ApiServer} from './api/server.js'
import {engineHandlers} from './api/handlers.js'
import {clearEndpoint, writeEndpoint} from './api/connect.js'
import {connectAri} from './ari/index.js'
import {AriAuthError, type AriPort, type ConnectionState} from './ari/port.js'
import {Engine} from './calls/engine.js'
import type {EngineConfig} from './config/engine-config.js'
import {SqliteStore} from './store/sqlite-store.js'
import {contactLookup, sqliteFrontDoor} from './front-door.js'
import {recordingDir} from './recordings/location.js'
import {LiveQueueLog} from './reports/queue-log-live.js'
import {Recorder} from './recordings/recorder.js'
import type {Store} from './store/store.js'
import {UserError} from './util/errors.js'
import type {Logger} from './util/log.js'
import {ensureSecret} from './util/secrets.js'
import {keepCallRows} from './reports/call-rows.js'

export interface RunningEngine {
  engine: Engine
  ari: AriPort
  store: Store
  /** The engine API's WebSocket URL. */
  apiUrl: string
  stop(): Promise<void>
}

export const VERSION = '0.1.0'

/**
 * Opens the store, connects to Asterisk (retrying while it is unreachable, reporting
 * each attempt) and starts the engine. A refused ARI password is a user error (exit 2)
 * naming the URL and user, never the password.
 */
export async function startEngine(config: EngineConfig, log: Logger, opts: {onConnection?: (s: ConnectionState) => void; apiPort?: number} = {}): Promise<RunningEngine> {
  // A short busy wait: the engine buffers and retries its writes rather than freeze calls on a lock.
  const store = new SqliteStore(config.database, {busyTimeoutMs: 100})
  let engine: Engine | undefined
  const onConnection = (s: ConnectionState) => {
    opts.onConnection?.(s)
    if (s.state === 'unreachable') {
      log.warn(`Asterisk at ${config.ari.url} is unreachable (${s.error}); retrying${s.retryInMs ? ` in ${(s.retryInMs / 1000).toFixed(1)} s` : ''}`, {attempt: s.attempt})
      engine?.events.append({type: 'ari.disconnected', data: {error: s.error}})
    } else if (s.state === 'connected') {
      log.info(`connected to Asterisk at ${config.ari.url} as app "${config.ari.app}"`)
      engine?.events.append({type: 'ari.connected', data: {url: config.ari.url}})
    } else if (s.state === 'failed') {
      log.error(`lost Asterisk for good: ${s.error}`)
    }
  }
  let ari: AriPort
  try {
    ari = await connectAri({creds: {url: config.ari.url, user: config.ari.user, password: config.ari.password}, app: config.ari.app, log, onConnection})
  } catch (err) {
    await store.close()
    if (err instanceof AriAuthError) {
      throw new UserError(`Asterisk at ${err.url} refused ARI user "${err.user}": wrong user or password`, {
        suggestion: `Check ari.user and the password (from ${config.ariSource}); the sandbox keeps its password in ${config.paths.ariPasswordFile}.`,
        exitCode: 2,
        code: 'ari_auth',
      })
    }
    throw err
  }
  const recorder = new Recorder({ari, db: store.db, log, hostDir: recordingDir(config.paths, config.ari.url), events: {append: (e) => engine!.events.append(e)}})
  engine = new Engine({
    ari,
    store,
    log,
    defaultQueue: config.defaultQueue,
    dialString: config.outbound.dialString,
    outboundCallerId: config.outbound.callerId,
    frontDoor: sqliteFrontDoor(store, config.paths, {
      lookupContact: contactLookup(store, {
        defaultCountry: config.defaultCountry,
        crm: config.crm.lookupUrl ? {url: config.crm.lookupUrl, timeoutMs: config.crm.timeoutMs} : null,
        vipTiers: config.crm.vipTiers,
        log,
      }),
    }),
    recorder,
  })
  // Before start: the calls the engine re-adopts or closes after a restart are in the queue_log too.
  let queueLog: LiveQueueLog | null = null
  if (config.queueLog) {
    try {
      queueLog = await LiveQueueLog.start({file: config.queueLog, store, log, source: {events: engine.events, callbackKey: (q) => engine!.acd.queues.get(q)?.callbackKey ?? ''}})
    } catch (err) {
      await ari.close()
      await store.close()
      throw new UserError(`Cannot write the queue_log ${config.queueLog}: ${(err as Error).message}`, {suggestion: 'Fix queueLog in the config (or CALLCTL_QUEUE_LOG), or leave it out.', exitCode: 2, code: 'queue_log'})
    }
  }
  await engine.start()
  const summary = keepCallRows(store.db, log)
  const api = new ApiServer({
    host: config.api.host,
    port: opts.apiPort ?? config.api.port,
    token: ensureSecret(config.paths.apiTokenFile),
    handlers: engineHandlers(engine, {app: config.ari.app, version: VERSION}),
    log,
  })
  let apiUrl: string
  try {
    apiUrl = (await api.listen()).url
  } catch (err) {
    summary.stop()
    await queueLog?.stop()
    await engine.stop()
    await ari.close()
    await store.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UserError(`The engine API port ${config.api.host}:${opts.apiPort ?? config.api.port} is in use (another engine?)`, {
        suggestion: 'Stop the other engine, or set api.port in the config (CALLCTL_API_PORT).',
        exitCode: 2,
        code: 'port_in_use',
      })
    }
    throw err
  }
  writeEndpoint(config.paths, {url: apiUrl, pid: process.pid, app: config.ari.app, startedAt: new Date().toISOString()})
  log.info(`engine API listening on ${apiUrl}`)
  return {
    engine,
    ari,
    store,
    apiUrl,
    async stop() {
      clearEndpoint(config.paths, process.pid)
      await api.close()
      summary.stop()
      await queueLog?.stop()
      await engine!.stop()
      await ari.close()
      await store.close()
    },
  }
}
