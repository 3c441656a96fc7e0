import {DEFAULT_QUEUE_SETTINGS, type AgentRecord, type Presence, type PresenceStatus, type QueueRecord, type QueueSettings} from '../model.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {SKILL_NAME, skillKey} from '../routing/skills.js'
import {safeId} from '../util/ids.js'
import {nameKey} from '../util/names.js'
import {checkEndpoint, checkLabel, checkName, checkPauseReason, checkQueueSettings, isAgentId} from './validate.js'

// Configuration changes made by admins (CLI, scripts). Each writes the record and its
// event in one transaction; a running engine picks the event up and applies it.

const ORIGIN = 'cli'

function ev(type: NewEvent['type'], fields: Partial<NewEvent> = {}): NewEvent {
  return {type, ts: Date.now(), origin: ORIGIN, ...fields}
}

/** The user a configuration change is made as (CALLCTL_TOKEN's), in its event; none for the local admin, as before. */
export function byField(by: string | undefined): {by?: string} {
  return by !== undefined ? {by} : {}
}

export async function addQueue(store: Store, typed: string, settings: Record<string, unknown>, opts: {update?: boolean; didsChecked?: boolean; by?: string} = {}): Promise<QueueRecord> {
  const checkedName = checkName('queue', typed)
  const checked = checkQueueSettings(settings)
  // Checked and written in one transaction: two scripts adding queues at once must not both
  // find the name or the DID free (a DID claimed twice routes to whichever loads first).
  return store.saveQueueChecked((queues) => {
    const existing = sameQueue(queues, checkedName)
    // The name as first created: 客服１ typed later changes the queue 客服1, it does not rename it.
    const name = existing?.name ?? checkedName
    if (existing && !opts.update) {
      const spelled = existing.name === checkedName ? '' : ` (you typed "${typed}", which is the same name)`
      throw new UserError(`Queue "${name}" already exists${spelled}`, {suggestion: `Change it with: callctl queue add ${name} --update ...`, exitCode: 1, code: 'exists'})
    }
    if (!existing) {
      // Two names with one Asterisk id would take each other's calls (the id is the dialplan extension).
      const clash = queues.find((q) => safeId(q.name) === safeId(name))
      if (clash) {
        throw new UserError(`Queue name "${name}" would share the Asterisk id "${safeId(name)}" with queue "${clash.name}"`, {suggestion: 'Choose another name.', exitCode: 1, code: 'exists'})
      }
    }
    if (checked.dids && !opts.didsChecked) {
      const owners = didOwners(queues, name)
      const taken = checked.dids.find((d) => owners.has(d))
      if (taken !== undefined) throw didTaken(taken, owners.get(taken)!)
    }
    const queue: QueueRecord = {
      name,
      settings: {...DEFAULT_QUEUE_SETTINGS, ...(existing?.settings ?? {}), ...checked} as QueueSettings,
      createdAt: existing?.createdAt ?? Date.now(),
    }
    return {queue, event: ev(existing ? 'queue.updated' : 'queue.added', {queue: name, data: {settings: queue.settings, ...byField(opts.by)}})}
  })
}

/** Which queue each DID belongs to, leaving out the queue being changed. */
export function didOwners(queues: readonly QueueRecord[], except?: string): Map<string, string> {
  const owners = new Map<string, string>()
  for (const q of queues) if (q.name !== except) for (const d of q.settings.dids) owners.set(d, q.name)
  return owners
}

/** A DID routes calls to one queue: a second claim would never receive a call. */
export function didTaken(did: string, owner: string, where = ''): UserError {
  return new UserError(`${where}DID ${did} already belongs to queue "${owner}"`, {
    suggestion: `A DID routes to one queue. Take it off "${owner}" first (callctl queue add ${owner} --update --did ...), or use another number.`,
    exitCode: 1,
    code: 'did_taken',
  })
}

export async function removeQueue(store: Store, name: string, by?: string): Promise<QueueRecord> {
  const q = await mustQueue(store, name)
  // q.name: the queue as created, whichever normal form the name was typed in.
  await store.removeQueue(q.name, ev('queue.removed', {queue: q.name, data: byField(by)}))
  return q
}

/** The queue a typed name means: the same text, or the same name in another normal form (NFC/NFKC). */
function sameQueue(queues: readonly QueueRecord[], name: string): QueueRecord | undefined {
  const key = nameKey(name)
  return queues.find((q) => q.name === name) ?? queues.find((q) => nameKey(q.name) === key)
}

/** The queue a typed name means (sameQueue), or undefined when there is none. */
export async function findQueue(store: Pick<Store, 'getQueue' | 'listQueues'>, name: string): Promise<QueueRecord | undefined> {
  return (await store.getQueue(name)) ?? sameQueue(await store.listQueues(), name)
}

export async function mustQueue(store: Store, name: string): Promise<QueueRecord> {
  const q = await findQueue(store, name)
  if (q) return q
  const names = (await store.listQueues()).map((x) => x.name)
  throw new UserError(`Queue "${name}" does not exist. Existing queues: ${names.length ? names.join(', ') : '(none)'}`, {
    suggestion: `Create it with: callctl queue add ${name}`,
    exitCode: 1,
    code: 'unknown_queue',
  })
}

export async function mustAgent(store: Store, id: string): Promise<AgentRecord> {
  const a = await store.getAgent(id)
  if (a) return a
  const ids = (await store.listAgents()).map((x) => x.id)
  throw new UserError(`Agent "${id}" does not exist. Existing agents: ${ids.length ? ids.slice(0, 20).join(', ') + (ids.length > 20 ? ', …' : '') : '(none)'}`, {
    // A name typed for an id (王芳) cannot be added as one, and PJSIP/ID rings nothing
    // unless a phone is provisioned: --sip makes both in one step.
    suggestion: isAgentId(id)
      ? `Add it with: callctl agent add ${id} --sip (a phone callctl provisions), or --endpoint DIAL-STRING for a phone of your own`
      : `Agent ids are ASCII (e.g. 1001; the person's name goes in --name): see callctl agent list`,
    exitCode: 1,
    code: 'unknown_agent',
  })
}

/** "sales", "sales:2" → [queue, penalty]. */
export function parseMembership(spec: string): [string, number] {
  const m = /^([^:]+)(?::(\d+))?$/.exec(spec.trim())
  if (!m) throw new UserError(`Invalid queue membership "${spec}"`, {suggestion: 'Use QUEUE or QUEUE:PENALTY, e.g. sales:1', exitCode: 2})
  return [m[1]!, m[2] === undefined ? 0 : Number(m[2])]
}

const SKILL_ITEM = new RegExp(`${SKILL_NAME.source}(?::(\\d{1,2}))?$`, 'u')

/** "billing:3 english:1", "billing:3,english" or "粤语:3，英语" → {billing: 3, english: 1}. */
export function parseSkills(spec: string): Record<string, number> {
  const out: Record<string, number> = {}
  // NFKC: the full-width comma, colon and space of a Chinese input method are separators too.
  for (const part of skillKey(spec).split(/[\s,]+/).filter(Boolean)) {
    const m = SKILL_ITEM.exec(part)
    if (!m) throw new UserError(`Invalid skill "${part}"`, {suggestion: 'Use NAME:LEVEL with LEVEL 1-99, e.g. billing:3 english:1 粤语:2', exitCode: 2, code: 'invalid_skills'})
    out[part.slice(0, part.length - (m[1] === undefined ? 0 : m[1].length + 1))] = m[1] === undefined ? 1 : Number(m[1])
  }
  return out
}

export interface AgentInput {
  id: string
  name?: string
  /** Required for a new agent; left out on --update, the phone stays as it was. */
  endpoint?: string
  queues?: string[]
  skills?: string
}

/**
 * Adds an agent, or with `update` changes the fields given and only those: --name alone
 * keeps the phone, queues and skills as they were.
 */
export async function addAgent(store: Store, input: AgentInput, opts: {update?: boolean; by?: string} = {}): Promise<AgentRecord> {
  checkName('agent', input.id)
  if (input.endpoint !== undefined) checkEndpoint(input.endpoint)
  const name = input.name === undefined ? undefined : checkLabel('agent name', input.name, 100)
  const existing = await store.getAgent(input.id)
  if (existing && !opts.update) {
    throw new UserError(`Agent "${input.id}" already exists`, {suggestion: `Change it with: callctl agent add ${input.id} --update ...`, exitCode: 1, code: 'exists'})
  }
  const endpoint = input.endpoint ?? existing?.endpoint
  if (endpoint === undefined) {
    throw new UserError(`Agent "${input.id}" needs a phone`, {suggestion: `Give its dial string: callctl agent add ${input.id} --endpoint PJSIP/${input.id}`, exitCode: 2, code: 'missing_endpoint'})
  }
  const queues: Record<string, number> = input.queues === undefined ? {...(existing?.queues ?? {})} : {}
  for (const spec of input.queues ?? []) {
    const [q, penalty] = parseMembership(spec)
    queues[(await mustQueue(store, q)).name] = penalty
  }
  const record: AgentRecord = {
    id: input.id,
    name: name ?? existing?.name ?? input.id,
    endpoint,
    skills: input.skills === undefined ? existing?.skills ?? {} : parseSkills(input.skills),
    queues,
    createdAt: existing?.createdAt ?? Date.now(),
  }
  await store.saveAgent(record, ev(existing ? 'agent.updated' : 'agent.added', {agent: record.id, data: {endpoint: record.endpoint, queues, skills: record.skills, ...byField(opts.by)}}))
  return record
}

export async function removeAgent(store: Store, id: string, by?: string): Promise<AgentRecord> {
  const a = await mustAgent(store, id)
  await store.removeAgent(id, ev('agent.removed', {agent: id, data: byField(by)}))
  return a
}

export interface AgentListing extends AgentRecord {
  presence: PresenceStatus
  pauseReason: string | null
  presenceSince: number | null
}

export async function listAgents(store: Store): Promise<AgentListing[]> {
  const presence = new Map((await store.listPresence()).map((p) => [p.agent, p]))
  return (await store.listAgents()).map((a) => {
    const p = presence.get(a.id)
    return {...a, presence: p?.status ?? 'offline', pauseReason: p?.reason ?? null, presenceSince: p?.since ?? null}
  })
}

async function currentPresence(store: Store, id: string): Promise<Presence | undefined> {
  return (await store.listPresence()).find((p) => p.agent === id)
}

/** Logs the agent in; with queues, also makes it a member of each (penalty kept or given). */
export async function loginAgent(store: Store, id: string, queues: string[] = [], by?: string): Promise<AgentListing> {
  const agent = await mustAgent(store, id)
  const members: [string, number][] = []
  for (const spec of queues) {
    const [q, penalty] = parseMembership(spec)
    members.push([(await mustQueue(store, q)).name, penalty])
  }
  for (const [q, penalty] of members) {
    if (agent.queues[q] !== penalty) await store.setMembership(id, q, penalty, ev('agent.member_added', {agent: id, queue: q, data: {penalty, ...(by ? {by} : {})}}))
  }
  const now = Date.now()
  const p = await currentPresence(store, id)
  if (!p || p.status === 'offline') {
    await store.setPresence({agent: id, status: 'available', reason: null, since: now}, ev('agent.login', {agent: id, data: {queues: members.map(([q]) => q), ...(by ? {by} : {})}}))
  }
  return mustListing(store, id)
}

/** `by`: the user who asked, for the audit trail (an API request's authenticated user). */
export async function logoutAgent(store: Store, id: string, typedQueue?: string, by?: string): Promise<AgentListing> {
  const agent = await mustAgent(store, id)
  if (typedQueue) {
    const queue = Object.keys(agent.queues).find((q) => nameKey(q) === nameKey(typedQueue)) ?? typedQueue
    if (!Object.hasOwn(agent.queues, queue)) {
      throw new UserError(`Agent "${id}" is not a member of queue "${queue}". Its queues: ${Object.keys(agent.queues).join(', ') || '(none)'}`, {exitCode: 1})
    }
    await store.removeMembership(id, queue, ev('agent.member_removed', {agent: id, queue, ...(by ? {data: {by}} : {})}))
    return mustListing(store, id)
  }
  const p = await currentPresence(store, id)
  if (p && p.status !== 'offline') {
    await store.setPresence({agent: id, status: 'offline', reason: null, since: Date.now()}, ev('agent.logout', {agent: id, ...(by ? {data: {by}} : {})}))
  }
  return mustListing(store, id)
}

export async function pauseAgent(store: Store, id: string, typedReason: string, by?: string): Promise<AgentListing> {
  await mustAgent(store, id)
  const p = await currentPresence(store, id)
  if (!p || p.status === 'offline') {
    throw new UserError(`Agent "${id}" is logged out, so it cannot be paused`, {suggestion: `Log it in first: callctl agent login ${id}`, exitCode: 1, code: 'offline'})
  }
  const reason = checkPauseReason(typedReason)
  if (p.status !== 'paused' || p.reason !== reason) {
    await store.setPresence({agent: id, status: 'paused', reason, since: Date.now()}, ev('agent.paused', {agent: id, data: {reason, ...(by ? {by} : {})}}))
  }
  return mustListing(store, id)
}

export async function unpauseAgent(store: Store, id: string, by?: string): Promise<AgentListing> {
  await mustAgent(store, id)
  const p = await currentPresence(store, id)
  if (p?.status === 'paused') {
    await store.setPresence({agent: id, status: 'available', reason: null, since: Date.now()}, ev('agent.unpaused', {agent: id, ...(by ? {data: {by}} : {})}))
  }
  return mustListing(store, id)
}

async function mustListing(store: Store, id: string): Promise<AgentListing> {
  return (await listAgents(store)).find((a) => a.id === id)!
}
