import {connectAri} from './ari/index.js'
import {AriAuthError, type AriPort, type ConnectionState} from './ari/port.js'
import {Engine} from './calls/engine.js'
import type {EngineConfig} from './config/engine-config.js'
import {SqliteStore} from './store/sqlite-store.js'
import type {Store} from './store/store.js'
import {UserError} from './util/errors.js'
import type {Logger} from './util/log.js'

export interface RunningEngine {
  engine: Engine
  ari: AriPort
  store: Store
  stop(): Promise<void>
}

/**
 * Opens the store, connects to Asterisk (retrying while it is unreachable, reporting
 * each attempt) and starts the engine. A refused ARI password is a user error (exit 2)
 * naming the URL and user, never the password.
 */
export async function startEngine(config: EngineConfig, log: Logger, opts: {onConnection?: (s: ConnectionState) => void} = {}): Promise<RunningEngine> {
  const store = new SqliteStore(config.database)
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
  engine = new Engine({ari, store, log, defaultQueue: config.defaultQueue})
  await engine.start()
  return {
    engine,
    ari,
    store,
    async stop() {
      await engine!.stop()
      await ari.close()
      await store.close()
    },
  }
}
