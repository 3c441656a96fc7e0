import {AriHttp, type AriRest} from '../ari/index.js'
import {UserError} from '../util/errors.js'
import {loadEngineConfig} from './engine-config.js'

/**
 * The configured Asterisk's REST interface for an admin command that changes Asterisk
 * itself (phones), or null when no Asterisk is configured: the command then changes the
 * store only, and the engine applies it when it connects. A broken config file still fails.
 */
export function configuredAri(configFile: string | undefined): AriRest | null {
  try {
    const c = loadEngineConfig({file: configFile})
    return new AriHttp(c.ari)
  } catch (err) {
    if (err instanceof UserError && /No ARI password/.test(err.message)) return null
    throw err
  }
}
