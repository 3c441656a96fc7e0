import {existsSync, readFileSync} from 'node:fs'
import {callctlPaths, checkHome, type Paths} from '../util/paths.js'
import {UserError} from '../util/errors.js'
import {readSecret} from '../util/secrets.js'
import {errorAt, parseYaml, toJS, type LocatedDoc} from './yaml-errors.js'
import {boxesOf, readSandboxState} from '../sandbox/state.js'
import {COUNTRY_HINT, isSupportedCountry} from '../contacts/phone-number.js'
import {DEFAULT_CRM_TIMEOUT_MS, DEFAULT_VIP_TIERS} from '../contacts/lookup.js'
import {defaultOutboundRules} from '../calls/outbound-policy.js'
import type {GuardSettings} from '../sip/sip-guard.js'
import {sipSettings, validateSipSettings, type RawSip} from './sip-config.js'
import {resolveBoxes, validateBoxes, type BoxConfig, type RawBox} from './boxes-config.js'
import {deskSettings, validateDeskSettings, type DeskSettings, type RawDesk} from './desk-config.js'
import {ticketsSettings, validateTicketsSettings, type RawTickets, type TicketsSettings} from './tickets-config.js'
import {channelsSettings, validateChannelsSettings, type ChannelsSettings, type RawChannels} from '../chat/channels/channels-config.js'
import {chatSettings, validateChatSettings, type ChatSettings, type RawChat} from './chat-config.js'

export interface EngineConfig {
  ari: {url: string; user: string; password: string; app: string}
  /** The Asterisk boxes the engine drives: the `asterisk:` list, else the one box of `ari`. */
  boxes: BoxConfig[]
  /** Where the ARI settings came from, for messages (never includes the password). */
  ariSource: string
  database: string
  /** Queue for calls whose dialled number matches no queue; null rejects them. */
  defaultQueue: string | null
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  api: {host: string; port: number}
  /** Calls to customers (callbacks, click-to-call): {number} in the dial string is replaced. */
  outbound: {dialString: string; callerId: string; allow: string[]}
  /** The security of a real SIP box: failed registrations watched, repeat offenders blocked. */
  sip: GuardSettings
  /** The supervisor's own phone, used when monitor/whisper/barge get no --from. */
  supervisor: {endpoint: string | null}
  /**
   * ISO 3166 country for numbers written without a country code (caller IDs, contact
   * files). Default CN: callctl's users are mostly call centers in mainland China.
   */
  defaultCountry: string
  /** Screen pop: optional CRM webhook ({number} becomes the URL-encoded E.164 number) and the tiers that count as VIP. */
  crm: {lookupUrl: string | null; timeoutMs: number; vipTiers: string[]}
  /** Also write an Asterisk-format queue_log to this file, live (QueueMetrics, Asternic); null = off. */
  queueLog: string | null
  /** What agents' desks offer: pause reasons, disposition codes, CRM link, quick replies. */
  desk: DeskSettings
  /** Tickets: due time per priority, and the webhook told of every change (tickets-config.ts). */
  tickets: TicketsSettings
  /** Where the chat channels listen (web widget, WeChat, JSON webhook) and their secrets; null: no chat server (channels-config.ts). */
  channels: ChannelsSettings | null
  /** Chats: routing, the capacity rule across voice and chat, timers, flows (chat-config.ts). */
  chat: ChatSettings
  paths: Paths
}

const TOP_KEYS = ['ari', 'asterisk', 'database', 'defaultQueue', 'logLevel', 'api', 'outbound', 'supervisor', 'defaultCountry', 'crm', 'queueLog', 'sip', 'desk', 'tickets', 'channels', 'chat'] as const
const CRM_KEYS = ['lookupUrl', 'timeoutMs', 'vipTiers'] as const
const CRM_TIMEOUT_RANGE = [50, 30_000] as const
const OUTBOUND_KEYS = ['dialString', 'callerId', 'allow'] as const
const ARI_KEYS = ['url', 'user', 'password', 'passwordFile', 'app'] as const
const API_KEYS = ['host', 'port'] as const
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

interface RawConfig {
  ari?: {url?: string; user?: string; password?: string; passwordFile?: string; app?: string}
  asterisk?: RawBox[]
  database?: string
  defaultQueue?: string | null
  logLevel?: string
  api?: {host?: string; port?: number}
  outbound?: {dialString?: string; callerId?: string; allow?: string[]}
  sip?: RawSip
  supervisor?: {endpoint?: string}
  defaultCountry?: string
  crm?: {lookupUrl?: string | null; timeoutMs?: number; vipTiers?: string[]}
  queueLog?: string | null
  desk?: RawDesk
  tickets?: RawTickets
  channels?: RawChannels | null
  chat?: RawChat
}

/**
 * Engine settings from, in increasing precedence: defaults, the running sandbox (when
 * no ARI URL is configured), the YAML file, and CALLCTL_* environment variables.
 */
export function loadEngineConfig(opts: {file?: string; env?: NodeJS.ProcessEnv; requireAri?: boolean} = {}): EngineConfig {
  const env = opts.env ?? process.env
  const paths = callctlPaths(env)
  const file = opts.file ?? paths.configFile
  checkHome(paths, env)
  let raw: RawConfig = {}
  if (existsSync(file)) raw = validate(parseYaml(readConfigText(file), file))
  else if (opts.file) throw new UserError(`Config file ${file} does not exist`, {suggestion: 'Check the path, or leave out --config to use defaults.', exitCode: 2})

  let url = raw.ari?.url
  let user = raw.ari?.user
  let passwordFile = raw.ari?.passwordFile
  let password = raw.ari?.password
  let source = existsSync(file) ? file : 'defaults'
  if (!url && !env.CALLCTL_ARI_URL) {
    const sandbox = readSandboxState(paths)
    if (sandbox) {
      url = sandbox.ariUrl
      user = user ?? sandbox.ariUser
      passwordFile = passwordFile ?? sandbox.passwordFile
      source = `sandbox (${paths.sandboxDir})`
    }
  }
  url = env.CALLCTL_ARI_URL || url || 'http://127.0.0.1:8088'
  user = env.CALLCTL_ARI_USER || user || 'callctl'
  passwordFile = env.CALLCTL_ARI_PASSWORD_FILE || passwordFile
  password = env.CALLCTL_ARI_PASSWORD || password
  if (env.CALLCTL_ARI_URL) source = 'environment'
  if (!password && opts.requireAri !== false) {
    const pf = passwordFile ?? paths.ariPasswordFile
    if (!existsSync(pf)) {
      throw new UserError(`No ARI password: ${pf} does not exist`, {
        suggestion: 'Run `callctl sandbox up`, or set ari.password / ari.passwordFile in the config, or CALLCTL_ARI_PASSWORD.',
        exitCode: 2,
      })
    }
    password = readSecret(pf)
  }
  const port = Number(env.CALLCTL_API_PORT || raw.api?.port || 8089)
  const sandboxDial = source.startsWith('sandbox') ? 'Local/{number}@callctl-sim-callee' : 'PJSIP/{number}@trunk'
  const dialString = env.CALLCTL_DIAL_STRING || raw.outbound?.dialString || sandboxDial
  const sandboxState = source.startsWith('sandbox') ? readSandboxState(paths) : undefined
  const sandboxSip = sandboxState?.sip
  // The sandbox's boxes (sandbox up --boxes N): driven all at once, unless the config lists its own.
  const sandboxBoxes = sandboxState && !raw.asterisk && (sandboxState.boxes?.length ?? 0) > 1 ? boxesOf(sandboxState).map((b) => ({name: b.name, url: b.ariUrl, sip: `${b.sip.host}:${b.sip.port}`})) : undefined
  return {
    ari: {url, user, password: password ?? '', app: env.CALLCTL_ARI_APP || raw.ari?.app || 'callctl'},
    boxes: resolveBoxes(raw.asterisk ?? sandboxBoxes, {url, user, password: password ?? '', sip: sandboxSip ? {host: sandboxSip.host, port: sandboxSip.port} : null}, passwordFile ?? paths.ariPasswordFile),
    ariSource: source,
    database: env.CALLCTL_DB || raw.database || paths.database,
    defaultQueue: env.CALLCTL_DEFAULT_QUEUE ?? raw.defaultQueue ?? null,
    logLevel: ((env.CALLCTL_LOG_LEVEL as EngineConfig['logLevel']) || raw.logLevel || 'info') as EngineConfig['logLevel'],
    api: {host: env.CALLCTL_API_HOST || raw.api?.host || '127.0.0.1', port},
    supervisor: {endpoint: env.CALLCTL_SUPERVISOR_ENDPOINT || raw.supervisor?.endpoint || null},
    outbound: {dialString, callerId: env.CALLCTL_OUTBOUND_CALLERID || raw.outbound?.callerId || '', allow: env.CALLCTL_OUTBOUND_ALLOW?.split(',').map((r) => r.trim()).filter(Boolean) ?? raw.outbound?.allow ?? defaultOutboundRules(dialString)},
    sip: sipSettings(raw.sip, source.startsWith('sandbox') ? (readSandboxState(paths) ?? undefined) : undefined, env),
    defaultCountry: envCountry(env) ?? raw.defaultCountry?.toUpperCase() ?? 'CN',
    crm: {
      lookupUrl: crmLookupUrl(env, raw),
      timeoutMs: raw.crm?.timeoutMs ?? DEFAULT_CRM_TIMEOUT_MS,
      vipTiers: raw.crm?.vipTiers ?? [...DEFAULT_VIP_TIERS],
    },
    // CALLCTL_QUEUE_LOG="" switches a configured queue_log off for one run.
    queueLog: (env.CALLCTL_QUEUE_LOG ?? raw.queueLog) || null,
    desk: deskSettings(raw.desk, env),
    tickets: ticketsSettings(raw.tickets, paths, env),
    channels: channelsSettings(raw.channels, paths, env),
    chat: chatSettings(raw.chat, env.CALLCTL_DEFAULT_QUEUE ?? raw.defaultQueue ?? null),
    paths,
  }
}

/** The config's text; a path that names a directory or a file callctl may not read is the user's to fix. */
function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EISDIR' ? 'is a directory, not a YAML file' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read: permission denied' : null
    if (!why) throw err
    throw new UserError(`Config ${file} ${why}`, {
      suggestion: code === 'EISDIR' ? `Give the config file itself (--config, CALLCTL_CONFIG), e.g. ${file.replace(/\/+$/, '')}/config.yaml.` : `Check its permissions (ls -l ${file}).`,
      exitCode: 2,
      code: 'bad_config_path',
    })
  }
}

function validate(d: LocatedDoc): RawConfig {
  const root = toJS(d) as unknown
  if (root === null || root === undefined) return {}
  if (typeof root !== 'object' || Array.isArray(root)) throw errorAt(d, [], 'the config must be a mapping of settings', `Accepted keys: ${TOP_KEYS.join(', ')}.`)
  const r = root as Record<string, unknown>
  checkKeys(d, [], r, TOP_KEYS)
  if (r.ari !== undefined) {
    if (typeof r.ari !== 'object' || r.ari === null || Array.isArray(r.ari)) throw errorAt(d, ['ari'], 'ari must be a mapping', `Accepted keys: ${ARI_KEYS.join(', ')}.`)
    const ari = r.ari as Record<string, unknown>
    checkKeys(d, ['ari'], ari, ARI_KEYS)
    for (const k of ARI_KEYS) if (ari[k] !== undefined && typeof ari[k] !== 'string') throw errorAt(d, ['ari', k], `ari.${k} must be a string`)
    if (typeof ari.url === 'string' && !/^https?:\/\/[^/\s]+/.test(ari.url)) {
      throw errorAt(d, ['ari', 'url'], `ari.url "${ari.url}" is not an http(s) URL`, 'Example: http://127.0.0.1:8088')
    }
    if (typeof ari.app === 'string' && !/^[A-Za-z0-9_.-]+$/.test(ari.app)) throw errorAt(d, ['ari', 'app'], 'ari.app may only contain letters, digits, _ . -')
  }
  if (r.database !== undefined && typeof r.database !== 'string') throw errorAt(d, ['database'], 'database must be a file path or a postgres:// URL')
  if (r.queueLog !== undefined && r.queueLog !== null && typeof r.queueLog !== 'string') throw errorAt(d, ['queueLog'], 'queueLog must be a file path', 'Example: queueLog: /var/log/asterisk/queue_log')
  if (r.defaultQueue !== undefined && r.defaultQueue !== null && typeof r.defaultQueue !== 'string') throw errorAt(d, ['defaultQueue'], 'defaultQueue must be a queue name')
  if (r.logLevel !== undefined && !LOG_LEVELS.includes(r.logLevel as never)) {
    throw errorAt(d, ['logLevel'], `logLevel "${String(r.logLevel)}" is not one of ${LOG_LEVELS.join(', ')}`)
  }
  if (r.api !== undefined) {
    if (typeof r.api !== 'object' || r.api === null) throw errorAt(d, ['api'], 'api must be a mapping', `Accepted keys: ${API_KEYS.join(', ')}.`)
    const api = r.api as Record<string, unknown>
    checkKeys(d, ['api'], api, API_KEYS)
    if (api.port !== undefined && (!Number.isInteger(api.port) || (api.port as number) < 1 || (api.port as number) > 65535)) {
      throw errorAt(d, ['api', 'port'], `api.port must be an integer from 1 to 65535, got ${JSON.stringify(api.port)}`)
    }
    if (api.host !== undefined && typeof api.host !== 'string') throw errorAt(d, ['api', 'host'], 'api.host must be a string')
  }
  if (r.supervisor !== undefined) {
    if (typeof r.supervisor !== 'object' || r.supervisor === null) throw errorAt(d, ['supervisor'], 'supervisor must be a mapping', 'Accepted keys: endpoint.')
    const sup = r.supervisor as Record<string, unknown>
    checkKeys(d, ['supervisor'], sup, ['endpoint'])
    if (sup.endpoint !== undefined && (typeof sup.endpoint !== 'string' || !/^[A-Za-z0-9]+\/\S+$/.test(sup.endpoint))) {
      throw errorAt(d, ['supervisor', 'endpoint'], 'supervisor.endpoint must be a dial string', 'Example: PJSIP/2001')
    }
  }
  if (r.outbound !== undefined) {
    if (typeof r.outbound !== 'object' || r.outbound === null) throw errorAt(d, ['outbound'], 'outbound must be a mapping', `Accepted keys: ${OUTBOUND_KEYS.join(', ')}.`)
    const o = r.outbound as Record<string, unknown>
    checkKeys(d, ['outbound'], o, OUTBOUND_KEYS)
    if (o.dialString !== undefined && (typeof o.dialString !== 'string' || !/^[A-Za-z0-9]+\/\S*\{number\}\S*$/.test(o.dialString))) {
      throw errorAt(d, ['outbound', 'dialString'], 'outbound.dialString must be a dial string containing {number}', 'Example: PJSIP/{number}@my-trunk')
    }
    if (o.callerId !== undefined && typeof o.callerId !== 'string') throw errorAt(d, ['outbound', 'callerId'], 'outbound.callerId must be a string')
  }
  validateContactSettings(d, r)
  validateSipSettings(d, r, checkKeys)
  validateBoxes(d, r, checkKeys)
  validateDeskSettings(d, r, checkKeys)
  validateTicketsSettings(d, r, checkKeys)
  validateChannelsSettings(d, r, checkKeys)
  validateChatSettings(d, r, checkKeys)
  return r as RawConfig
}

function validateContactSettings(d: LocatedDoc, r: Record<string, unknown>): void {
  if (r.defaultCountry !== undefined && (typeof r.defaultCountry !== 'string' || !isSupportedCountry(r.defaultCountry))) {
    throw errorAt(d, ['defaultCountry'], `defaultCountry ${JSON.stringify(r.defaultCountry)} is not a supported ISO country code`, COUNTRY_HINT)
  }
  if (r.crm === undefined || r.crm === null) return
  if (typeof r.crm !== 'object' || Array.isArray(r.crm)) throw errorAt(d, ['crm'], 'crm must be a mapping', `Accepted keys: ${CRM_KEYS.join(', ')}.`)
  const c = r.crm as Record<string, unknown>
  checkKeys(d, ['crm'], c, CRM_KEYS)
  if (c.lookupUrl !== undefined && c.lookupUrl !== null && c.lookupUrl !== '') {
    const problem = crmUrlProblem(c.lookupUrl)
    if (problem) throw errorAt(d, ['crm', 'lookupUrl'], `crm.lookupUrl ${problem}`, 'Example: https://crm.example.com/api/callers/{number}')
  }
  const [min, max] = CRM_TIMEOUT_RANGE
  if (c.timeoutMs !== undefined && (!Number.isInteger(c.timeoutMs) || (c.timeoutMs as number) < min || (c.timeoutMs as number) > max)) {
    throw errorAt(d, ['crm', 'timeoutMs'], `crm.timeoutMs must be an integer from ${min} to ${max} (milliseconds), got ${JSON.stringify(c.timeoutMs)}`)
  }
  if (c.vipTiers !== undefined) {
    if (!Array.isArray(c.vipTiers)) throw errorAt(d, ['crm', 'vipTiers'], 'crm.vipTiers must be a list of tier names', 'Example: vipTiers: [VIP, 贵宾]')
    c.vipTiers.forEach((t, i) => {
      if (typeof t !== 'string' || t.trim() === '') throw errorAt(d, ['crm', 'vipTiers', i], `crm.vipTiers[${i}] must be a non-empty tier name`)
    })
  }
}

function crmUrlProblem(v: unknown): string | null {
  if (typeof v !== 'string' || !/^https?:\/\/[^/\s]+/.test(v)) return `"${String(v)}" is not an http(s) URL`
  if (!v.includes('{number}')) return 'must contain {number}, where the caller number goes'
  return null
}

function envCountry(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.CALLCTL_DEFAULT_COUNTRY
  if (!v) return undefined
  if (!isSupportedCountry(v)) throw new UserError(`CALLCTL_DEFAULT_COUNTRY "${v}" is not a supported ISO country code`, {suggestion: COUNTRY_HINT, exitCode: 2, code: 'invalid_config'})
  return v.toUpperCase()
}

// CALLCTL_CRM_URL="" switches a configured CRM off for one run.
function crmLookupUrl(env: NodeJS.ProcessEnv, raw: RawConfig): string | null {
  const v = env.CALLCTL_CRM_URL
  if (v === undefined) return raw.crm?.lookupUrl || null
  if (v === '') return null
  const problem = crmUrlProblem(v)
  if (problem) throw new UserError(`CALLCTL_CRM_URL ${problem}`, {suggestion: 'Example: https://crm.example.com/api/callers/{number}', exitCode: 2, code: 'invalid_config'})
  return v
}

function checkKeys(d: LocatedDoc, path: (string | number)[], obj: Record<string, unknown>, accepted: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!accepted.includes(k)) {
      const where = [...path, k].join('.')
      throw errorAt(d, [...path, k], `unknown setting "${where}"`, `Accepted here: ${accepted.join(', ')}.`, true)
    }
  }
}
