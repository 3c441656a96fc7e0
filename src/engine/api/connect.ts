import {existsSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {UserError} from '../util/errors.js'
import type {Paths} from '../util/paths.js'
import {EngineClient} from './client.js'
import type {EngineEndpoint} from './protocol.js'
import {findLeader} from '../leadership/lease.js'
import {isPostgresUrl} from '../store/database-url.js'

export function endpointFile(paths: Paths): string {
  return join(paths.home, 'engine.json')
}

export function writeEndpoint(paths: Paths, e: EngineEndpoint): void {
  const f = endpointFile(paths)
  writeFileSync(f + '.tmp', JSON.stringify(e, null, 2) + '\n', {mode: 0o600})
  renameSync(f + '.tmp', f)
}

export function clearEndpoint(paths: Paths, pid: number): void {
  const f = endpointFile(paths)
  try {
    if ((JSON.parse(readFileSync(f, 'utf8')) as EngineEndpoint).pid === pid) rmSync(f, {force: true})
  } catch {
    // already gone
  }
}

/**
 * Connects to the engine: on a shared PostgreSQL store the leader registered there (so a
 * client follows a takeover by connecting again); otherwise the engine this
 * CALLCTL_HOME's engine announced, or the configured address.
 */
export async function connectToEngine(paths: Paths, fallback: {host: string; port: number}, shared?: {database: string; app: string}): Promise<EngineClient> {
  let url = `ws://${fallback.host}:${fallback.port}/`
  const leader = shared && isPostgresUrl(shared.database) ? await findLeader(shared.database, shared.app).catch(() => null) : null
  const f = endpointFile(paths)
  if (leader?.live && leader.apiUrl) url = leader.apiUrl
  else if (existsSync(f)) {
    try {
      url = (JSON.parse(readFileSync(f, 'utf8')) as EngineEndpoint).url
    } catch {
      // unreadable: use the configured address
    }
  }
  return EngineClient.connect(url, apiToken(paths))
}

/**
 * The token a client sends: CALLCTL_TOKEN when set (a user's token: callctl user token
 * NAME), else the admin token file the engine wrote in this CALLCTL_HOME (0600, for the
 * engine's host).
 */
export function apiToken(paths: Paths, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CALLCTL_TOKEN?.trim()
  if (fromEnv) return fromEnv
  if (!existsSync(paths.apiTokenFile)) {
    throw new UserError(`No API token: CALLCTL_TOKEN is not set and there is no ${paths.apiTokenFile} (the engine has not been started from this CALLCTL_HOME)`, {
      suggestion: 'Set CALLCTL_TOKEN to your token (an admin gives one with: callctl user token NAME), or start the engine here: callctl engine start',
      code: 'engine_unreachable',
    })
  }
  return readFileSync(paths.apiTokenFile, 'utf8').trim()
}

/** Runs fn with a connection to the running engine and closes it afterwards. */
export async function withEngine<T>(configFile: string | undefined, fn: (client: EngineClient) => Promise<T>): Promise<T> {
  const {loadEngineConfig} = await import('../config/engine-config.js')
  const config = loadEngineConfig({file: configFile, requireAri: false})
  const client = await connectToEngine(config.paths, config.api, {database: config.database, app: config.ari.app})
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}
