import {DEFAULT_QUEUE_SETTINGS, type AgentRecord, type Presence, type PresenceStatus, type QueueRecord, type QueueSettings} from '../model.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {checkEndpoint, checkName, checkQueueSettings} from './validate.js'

// Configuration changes made by admins (CLI, scripts). Each writes the record and its
// event in one transaction; a running engine picks the event up and applies it.

const ORIGIN = 'cli'

function ev(type: NewEvent['type'], fields: Partial<NewEvent> = {}): NewEvent {
  return {type, ts: Date.now(), origin: ORIGIN, ...fields}
}

export async function addQueue(store: Store, name: string, settings: Record<string, unknown>, opts: {update?: boolean; didsChecked?: boolean} = {}): Promise<QueueRecord> {
  checkName('queue', name)
  const checked = checkQueueSettings(settings)
  const existing = await store.getQueue(name)
  if (existing && !opts.update) {
    throw new UserError(`Queue "${name}" already exists`, {suggestion: `Change it with: callctl queue add ${name} --update ...`, exitCode: 1, code: 'exists'})
  }
  if (checked.dids && !opts.didsChecked) {
    const owners = didOwners(await store.listQueues(), name)
    const taken = checked.dids.find((d) => owners.has(d))
    if (taken !== undefined) throw didTaken(taken, owners.get(taken)!)
  }
  const record: QueueRecord = {
    name,
    settings: {...DEFAULT_QUEUE_SETTINGS, ...(existing?.settings ?? {}), ...checked} as QueueSettings,
    createdAt: existing?.createdAt ?? Date.now(),
  }
  await store.saveQueue(record, ev(existing ? 'queue.updated' : 'queue.added', {queue: name, data: {settings: record.settings}}))
  return record
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

export async function removeQueue(store: Store, name: string): Promise<QueueRecord> {
  const q = await mustQueue(store, name)
  await store.removeQueue(name, ev('queue.removed', {queue: name}))
  return q
}

export async function mustQueue(store: Store, name: string): Promise<QueueRecord> {
  const q = await store.getQueue(name)
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
    suggestion: `Add it with: callctl agent add ${id} --endpoint PJSIP/${id}`,
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

/** "billing:3 english:1" or "billing:3,english" → {billing: 3, english: 1}. */
export function parseSkills(spec: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of spec.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9_-]{0,31})(?::(\d{1,2}))?$/.exec(part)
    if (!m) throw new UserError(`Invalid skill "${part}"`, {suggestion: 'Use NAME:LEVEL with LEVEL 1-99, e.g. billing:3 english:1', exitCode: 2})
    out[m[1]!] = m[2] === undefined ? 1 : Number(m[2])
  }
  return out
}

export interface AgentInput {
  id: string
  name?: string
  endpoint: string
  queues?: string[]
  skills?: string
}

export async function addAgent(store: Store, input: AgentInput, opts: {update?: boolean} = {}): Promise<AgentRecord> {
  checkName('agent', input.id)
  checkEndpoint(input.endpoint)
  const existing = await store.getAgent(input.id)
  if (existing && !opts.update) {
    throw new UserError(`Agent "${input.id}" already exists`, {suggestion: `Change it with: callctl agent add ${input.id} --update ...`, exitCode: 1, code: 'exists'})
  }
  const queues: Record<string, number> = input.queues === undefined ? {...(existing?.queues ?? {})} : {}
  for (const spec of input.queues ?? []) {
    const [q, penalty] = parseMembership(spec)
    await mustQueue(store, q)
    queues[q] = penalty
  }
  const record: AgentRecord = {
    id: input.id,
    name: input.name ?? existing?.name ?? input.id,
    endpoint: input.endpoint,
    skills: input.skills === undefined ? existing?.skills ?? {} : parseSkills(input.skills),
    queues,
    createdAt: existing?.createdAt ?? Date.now(),
  }
  await store.saveAgent(record, ev(existing ? 'agent.updated' : 'agent.added', {agent: record.id, data: {endpoint: record.endpoint, queues, skills: record.skills}}))
  return record
}

export async function removeAgent(store: Store, id: string): Promise<AgentRecord> {
  const a = await mustAgent(store, id)
  await store.removeAgent(id, ev('agent.removed', {agent: id}))
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
export async function loginAgent(store: Store, id: string, queues: string[] = []): Promise<AgentListing> {
  const agent = await mustAgent(store, id)
  const members: [string, number][] = []
  for (const spec of queues) {
    const [q, penalty] = parseMembership(spec)
    await mustQueue(store, q)
    members.push([q, penalty])
  }
  for (const [q, penalty] of members) {
    if (agent.queues[q] !== penalty) await store.setMembership(id, q, penalty, ev('agent.member_added', {agent: id, queue: q, data: {penalty}}))
  }
  const now = Date.now()
  const p = await currentPresence(store, id)
  if (!p || p.status === 'offline') {
    await store.setPresence({agent: id, status: 'available', reason: null, since: now}, ev('agent.login', {agent: id, data: {queues: members.map(([q]) => q)}}))
  }
  return mustListing(store, id)
}

export async function logoutAgent(store: Store, id: string, queue?: string): Promise<AgentListing> {
  const agent = await mustAgent(store, id)
  if (queue) {
    if (!Object.hasOwn(agent.queues, queue)) {
      throw new UserError(`Agent "${id}" is not a member of queue "${queue}". Its queues: ${Object.keys(agent.queues).join(', ') || '(none)'}`, {exitCode: 1})
    }
    await store.removeMembership(id, queue, ev('agent.member_removed', {agent: id, queue}))
    return mustListing(store, id)
  }
  const p = await currentPresence(store, id)
  if (p && p.status !== 'offline') {
    await store.setPresence({agent: id, status: 'offline', reason: null, since: Date.now()}, ev('agent.logout', {agent: id}))
  }
  return mustListing(store, id)
}

export async function pauseAgent(store: Store, id: string, reason: string): Promise<AgentListing> {
  await mustAgent(store, id)
  const p = await currentPresence(store, id)
  if (!p || p.status === 'offline') {
    throw new UserError(`Agent "${id}" is logged out, so it cannot be paused`, {suggestion: `Log it in first: callctl agent login ${id}`, exitCode: 1, code: 'offline'})
  }
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(reason)) throw new UserError(`Invalid pause reason "${reason}"`, {suggestion: 'Use a short code such as break, lunch, training, meeting.', exitCode: 2})
  if (p.status !== 'paused' || p.reason !== reason) {
    await store.setPresence({agent: id, status: 'paused', reason, since: Date.now()}, ev('agent.paused', {agent: id, data: {reason}}))
  }
  return mustListing(store, id)
}

export async function unpauseAgent(store: Store, id: string): Promise<AgentListing> {
  await mustAgent(store, id)
  const p = await currentPresence(store, id)
  if (p?.status === 'paused') {
    await store.setPresence({agent: id, status: 'available', reason: null, since: Date.now()}, ev('agent.unpaused', {agent: id}))
  }
  return mustListing(store, id)
}

async function mustListing(store: Store, id: string): Promise<AgentListing> {
  return (await listAgents(store)).find((a) => a.id === id)!
}
