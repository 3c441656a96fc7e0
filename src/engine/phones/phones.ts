import {addAgent} from '../admin/admin.js'
import {AriTransportError, AriRequestError, type AriRest} from '../ari/port.js'
import type {PhoneBook} from '../calls/engine-types.js'
import {readSandboxState} from '../sandbox/state.js'
import {repositoriesOf} from '../store/repositories.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import type {Paths} from '../util/paths.js'
import {newPhonePassword, readPhoneSecret, removePhoneSecret, writePhoneSecret} from './phone-secret.js'
import type {PhoneRecord, PhoneRepository} from './phone-store.js'
import {applyPhone, unapplyPhone} from './provision.js'

// `callctl phone add|list|show|remove`: the phone in the store (with its 0600 secret) and
// pushed into the configured Asterisk. Asterisk may be down or not configured yet: the
// store is the truth, and the engine pushes every phone again whenever it connects.

export interface PhoneContext {
  store: Store
  paths: Paths
  /** The configured Asterisk's REST interface, or null when none is configured. */
  ari: () => AriRest | null
}

/** Where a phone registers: the sandbox's SIP address when this home runs one. */
export interface SipServer {
  host: string
  port: number
  transports: string[]
}

/** Whether Asterisk has the phone now: applied, or why not (the engine applies it when it connects). */
export type Applied = 'applied' | 'asterisk unreachable' | 'no asterisk configured' | 'refused by asterisk' | 'not asked'

export interface PhoneResult {
  phone: PhoneRecord
  created: boolean
  /** The SIP password: shown when the phone is created or its secret reset, else only with --show-secret. */
  password: string | null
  username: string
  server: SipServer | null
  asterisk: Applied
  /** What Asterisk said when it refused (a pjsip.conf endpoint of the same id, a sorcery.conf without astdb). */
  asteriskError: string | null
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/
/** Names of the sandbox's own PJSIP objects: a phone taking one would replace the carrier or a transport. */
const RESERVED = new Set(['carrier', 'interbox', 'global', 'transport-udp', 'transport-tcp', 'anonymous'])

export function checkPhoneId(id: string): string {
  if (!ID.test(id) || RESERVED.has(id.toLowerCase()) || id.toLowerCase().startsWith('callctl')) {
    throw new UserError(`Invalid phone id "${id}"`, {
      suggestion: 'A phone id is its SIP user name and extension: 1-32 letters, digits, _ or -, starting with a letter or digit (e.g. 1001); not carrier, interbox or callctl*.',
      exitCode: 2,
      code: 'invalid_phone',
    })
  }
  return id
}

export interface AddPhoneInput {
  id: string
  agent?: string
  transport?: 'udp' | 'tcp'
  resetSecret?: boolean
}

export async function addPhone(ctx: PhoneContext, input: AddPhoneInput, now = Date.now()): Promise<PhoneResult> {
  const id = checkPhoneId(input.id)
  const phones = repositoriesOf(ctx.store).phones
  const existing = await phones.get(id)
  let agent = existing?.agent ?? null
  if (input.agent !== undefined) {
    const a = await ctx.store.getAgent(input.agent)
    if (!a) throw new UserError(`Agent "${input.agent}" does not exist`, {suggestion: `Add it first: callctl agent add ${input.agent} --sip`, exitCode: 1, code: 'not_found'})
    const other = await phones.byAgent(a.id)
    if (other && other.id !== id) {
      throw new UserError(`Agent "${a.id}" already has phone ${other.id}`, {suggestion: `Remove it first (callctl phone remove ${other.id}), or use that phone.`, exitCode: 1, code: 'exists'})
    }
    agent = a.id
  }
  const record: PhoneRecord = {id, agent, transport: input.transport ?? existing?.transport ?? null, createdAt: existing?.createdAt ?? now, updatedAt: now}
  let password = readPhoneSecret(ctx.paths, id)
  let shown: string | null = null
  if (!password || input.resetSecret) {
    password = newPhonePassword()
    writePhoneSecret(ctx.paths, id, password)
    shown = password
  }
  const changed = !existing || existing.agent !== record.agent || existing.transport !== record.transport
  if (changed) await phones.save(record, {type: existing ? 'phone.updated' : 'phone.added', ts: now, origin: 'cli', agent: record.agent ?? undefined, data: {phone: id, agent: record.agent, transport: record.transport}})
  if (existing && input.resetSecret) await phones.event({type: 'phone.secret_reset', ts: now, origin: 'cli', data: {phone: id}})
  // The agent rings on this phone from now on.
  if (agent) {
    const a = await ctx.store.getAgent(agent)
    if (a && a.endpoint !== `PJSIP/${id}`) await addAgent(ctx.store, {id: agent, endpoint: `PJSIP/${id}`}, {update: true})
  }
  const pushed = await push(ctx, record, password)
  return {phone: record, created: !existing, password: shown, username: id, server: sipServer(ctx.paths), ...pushed}
}

export async function removePhone(ctx: PhoneContext, id: string, now = Date.now()): Promise<PhoneResult> {
  const phones = repositoriesOf(ctx.store).phones
  const existing = await mustPhone(phones, id)
  let asterisk: Applied = 'applied'
  let asteriskError: string | null = null
  const rest = ctx.ari()
  if (!rest) asterisk = 'no asterisk configured'
  else {
    try {
      await unapplyPhone(rest, existing.id)
    } catch (err) {
      ;({asterisk, asteriskError} = failure(err))
    }
  }
  await phones.remove(existing.id, {type: 'phone.removed', ts: now, origin: 'cli', agent: existing.agent ?? undefined, data: {phone: existing.id, agent: existing.agent}})
  removePhoneSecret(ctx.paths, existing.id)
  return {phone: existing, created: false, password: null, username: existing.id, server: sipServer(ctx.paths), asterisk, asteriskError}
}

export interface PhoneRow extends PhoneRecord {
  /** Asterisk's view of the endpoint: online once registered and answering; null when Asterisk was not asked or not reachable. */
  state: 'online' | 'offline' | 'unknown' | 'missing' | null
  /** From a running engine (it hears registrations as they happen); null without one. */
  contact: string | null
  userAgent: string | null
  rttMs: number | null
  /** When the phone entered its state, as the engine saw it. */
  since: number | null
}

/** What a running engine knows of a phone's registration (the API's phones.status). */
export interface LiveContact {
  endpoint: string
  state: PhoneRow['state']
  contact: string | null
  userAgent: string | null
  rttMs: number | null
  since: number
}

export async function listPhones(ctx: PhoneContext, live: readonly LiveContact[] = []): Promise<PhoneRow[]> {
  const rows = await repositoriesOf(ctx.store).phones.list()
  const rest = ctx.ari()
  const states = new Map<string, PhoneRow['state']>()
  if (rest) {
    try {
      await Promise.all(
        rows.map(async (p) => {
          try {
            states.set(p.id, (await rest.getEndpoint('PJSIP', p.id)).state ?? 'unknown')
          } catch (err) {
            if (err instanceof AriRequestError && err.status === 404) states.set(p.id, 'missing')
            else throw err
          }
        }),
      )
    } catch (err) {
      if (!(err instanceof AriTransportError)) throw err
    }
  }
  const heard = new Map(live.map((c) => [c.endpoint, c]))
  return rows.map((p) => {
    const c = heard.get(`PJSIP/${p.id}`)
    return {...p, state: states.get(p.id) ?? c?.state ?? null, contact: c?.contact ?? null, userAgent: c?.userAgent ?? null, rttMs: c?.rttMs ?? null, since: c?.since ?? null}
  })
}

export async function showPhone(ctx: PhoneContext, id: string, opts: {showSecret?: boolean} = {}): Promise<PhoneResult> {
  const p = await mustPhone(repositoriesOf(ctx.store).phones, id)
  // show reads the store only: it does not say Asterisk has the phone (phone list asks it).
  return {phone: p, created: false, password: opts.showSecret ? readPhoneSecret(ctx.paths, p.id) : null, username: p.id, server: sipServer(ctx.paths), asterisk: 'not asked', asteriskError: null}
}

/** Every phone in the store, pushed again (the engine on connect: converges after an Asterisk restart or wipe). */
export async function applyAllPhones(store: Store, paths: Paths, rest: AriRest, only?: string): Promise<{applied: number; failed: {id: string; error: string}[]}> {
  const failed: {id: string; error: string}[] = []
  let applied = 0
  const agents = new Map((await store.listAgents()).map((a) => [a.id, a]))
  for (const p of await repositoriesOf(store).phones.list()) {
    if (only !== undefined && p.id !== only) continue
    const password = readPhoneSecret(paths, p.id)
    if (!password) {
      failed.push({id: p.id, error: 'its secret file is missing (reset it: callctl phone add ' + p.id + ' --reset-secret)'})
      continue
    }
    try {
      await applyPhone(rest, {id: p.id, password, transport: p.transport, callerName: (p.agent && agents.get(p.agent)?.name) || p.id})
      applied++
    } catch (err) {
      if (err instanceof AriTransportError) throw err
      failed.push({id: p.id, error: (err as Error).message})
    }
  }
  return {applied, failed}
}

/** The store's phones as the engine uses them: read from the store each time it asks. */
export async function phoneBook(store: Store, paths: Paths): Promise<PhoneBook> {
  const phones = repositoriesOf(store).phones
  return {
    ids: async () => (await phones.list()).map((p) => p.id),
    apply: (rest, only) => applyAllPhones(store, paths, rest, only),
  }
}

async function mustPhone(phones: PhoneRepository, id: string): Promise<PhoneRecord> {
  const p = await phones.get(id)
  if (!p) throw new UserError(`Phone "${id}" does not exist`, {suggestion: 'See the phones with: callctl phone list', exitCode: 1, code: 'not_found'})
  return p
}

async function push(ctx: PhoneContext, p: PhoneRecord, password: string): Promise<{asterisk: Applied; asteriskError: string | null}> {
  const rest = ctx.ari()
  if (!rest) return {asterisk: 'no asterisk configured', asteriskError: null}
  try {
    const agent = p.agent ? await ctx.store.getAgent(p.agent) : undefined
    await applyPhone(rest, {id: p.id, password, transport: p.transport, callerName: agent?.name || p.id})
    return {asterisk: 'applied', asteriskError: null}
  } catch (err) {
    return failure(err)
  }
}

function failure(err: unknown): {asterisk: Applied; asteriskError: string | null} {
  if (err instanceof AriTransportError) return {asterisk: 'asterisk unreachable', asteriskError: null}
  if (err instanceof AriRequestError) return {asterisk: 'refused by asterisk', asteriskError: err.message}
  throw err
}

function sipServer(paths: Paths): SipServer | null {
  const s = readSandboxState(paths)
  // Behind the sandbox's proxy phones register at the proxy, which pins each to a box.
  if (s?.proxy) return {host: s.proxy.host, port: s.proxy.port, transports: ['udp', 'tcp']}
  return s?.sip ? {host: s.sip.host, port: s.sip.port, transports: s.sip.transports} : null
}
