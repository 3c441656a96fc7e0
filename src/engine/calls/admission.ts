import type {Channel} from '../ari/port.js'
import {isNotFound} from '../ari/port.js'
import {newId, safeId} from '../util/ids.js'
import {nameKey} from '../util/names.js'
import type {CallerContact, IvrOutcome} from '../ivr/interpreter.js'
import type {Flow} from '../ivr/flow.js'
import {parseFlow} from '../ivr/parse-flow.js'
import {PromptBook} from '../prompts/prompt-store.js'
import {runIvr} from './ivr-runner.js'
import {CallSession} from './call-session.js'
import type {EngineCore} from './core.js'
import {CUSTOMER_RING_S, type ContactLookup} from './engine-types.js'
import {callerIdString, cap, clampPriority, dialString} from './caller-id.js'
import {enqueue, voicemail} from './queueing.js'
import {endSession} from './call-end.js'
import {leaveWithPrompt} from './leaving-prompt.js'
import {shedIfOverloaded} from './overload.js'
import {outboundAllowed} from './outbound-check.js'

// The front door: a new call is screened (blacklist, contact), then runs its IVR or goes straight to a queue.

export async function onInbound(core: EngineCore, channel: Channel, did: string): Promise<void> {
  const now = core.clock.now()
  const caller = {number: cap(channel.caller?.number ?? ''), name: cap(channel.caller?.name ?? '')}
  const session = new CallSession(newId('call'), channel.id, caller, cap(did), now)
  session.priority = clampPriority(channel.channelvars?.CALLCTL_PRIORITY)
  session.localCaller = (channel.name ?? '').startsWith('Local/')
  core.sessions.set(session.id, session)
  core.channels.set(channel.id, {session, role: 'caller'})
  core.ari.bindCall?.(session.id, channel.id)
  core.events.append({
    type: 'call.started',
    callId: session.id,
    data: {direction: 'inbound', number: caller.number, name: caller.name, did: session.did, channel: channel.id, priority: session.priority},
  })
  if (await shedIfOverloaded(core, session)) return
  await admit(core, session, {answered: false, screened: false})
}

/**
 * The front door: blacklist, routing decision, answer, screen pop, then the IVR or
 * straight to a queue. The call is answered only once it is known to go somewhere that
 * needs media: on a real trunk a call is billed from its answer, so a number nobody
 * serves is refused unanswered (unallocated: SIP 404 to the carrier), not told so.
 */
export async function admit(core: EngineCore, session: CallSession, o: {answered: boolean; screened: boolean}): Promise<void> {
  const door = core.opts.frontDoor
  const channelId = session.channelId
  try {
    if (!o.screened) {
      // The store away (a PostgreSQL outage) lets a caller in unscreened rather than drop the call.
      const listed = await door?.blacklist?.match(session.caller.number, core.clock.now()).catch((err: unknown) => storeAway(core, 'the blacklist', err))
      if (listed) return await refuseListed(core, session, listed.reason)
    }
    const flow = await flowFor(core, session.did)
    const queue = flow ? null : queueForDid(core, session.did)
    if (!flow && !queue) {
      core.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'no-queue', did: session.did}})
      if (o.answered) return await leaveWithPrompt(core, session, 'ss-noservice', 'rejected')
      session.state = 'leaving'
      await core.hangup(channelId, 'unallocated')
      endSession(core, session, 'rejected')
      return
    }
    // Straight to a queue: answered late (caller-line.ts); an IVR talks at once.
    if (!o.answered && flow) await core.ari.answer(channelId)
    else if (!o.answered) session.unanswered = true
    if (session.ended) return
    if (!o.screened) await findContact(core, session)
    if (session.ended) return
    if (flow) {
      session.prompts = flow.prompts
      const outcome = await runIvr(session, flow.flow, flow.version, {
        ari: core.ari,
        clock: core.clock,
        events: core.events,
        prompts: flow.prompts,
        lookupContact: async (s) => (await findContact(core, s)) ?? null,
      })
      if (!outcome || session.ended) return
      return afterIvr(core, session, outcome)
    }
    enqueue(core, session, queue!, {})
  } catch (err) {
    if (isNotFound(err) || session.ended) return // the caller hung up while we set up: callerLegGone handles it
    throw err
  }
}

export async function refuseListed(core: EngineCore, session: CallSession, reason: string): Promise<void> {
  core.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'blacklisted', detail: reason, number: session.caller.number}})
  if (core.opts.frontDoor?.blacklistMode === 'busy') {
    session.state = 'leaving'
    await core.hangup(session.channelId, 'busy')
    endSession(core, session, 'blacklisted')
    return
  }
  await core.ari.answer(session.channelId)
  await leaveWithPrompt(core, session, 'ss-noservice', 'blacklisted')
}

/** Screen pop: the caller's contact (CRM or local) goes with the call; a VIP moves up the line. */
export async function findContact(core: EngineCore, session: CallSession): Promise<CallerContact | null> {
  const lookup = core.opts.frontDoor?.lookupContact
  if (!lookup || !session.caller.number) return null
  const r = await lookup(session.caller.number).catch((err: unknown) => ({source: 'none', contact: null, error: String(err)}) as ContactLookup)
  if (!r.contact) {
    if (r.error) core.events.append({type: 'call.contact', callId: session.id, data: {source: r.source, found: false, error: r.error}})
    return null
  }
  const c = r.contact
  session.contact = {source: r.source, name: c.name, tier: c.tier, vip: c.vip, notes: c.notes, language: c.language, company: c.company}
  if (c.vip) session.priority = Math.max(session.priority, core.opts.frontDoor?.vipPriority ?? 10)
  core.events.append({
    type: 'call.contact',
    callId: session.id,
    data: {source: r.source, found: true, name: c.name, tier: c.tier, vip: c.vip, notes: c.notes, ...(r.error ? {error: r.error} : {})},
  })
  return c
}

/** The flow live for this number (or the default flow), parsed once per deployed version. */
export async function flowFor(core: EngineCore, did: string): Promise<{flow: Flow; version: number; prompts: PromptBook} | null> {
  const door = core.opts.frontDoor
  if (!door?.flows) return null
  let deployed: Awaited<ReturnType<typeof door.flows.live>>
  try {
    deployed = (await door.flows.live(did)) ?? (await door.flows.live('*'))
  } catch (err) {
    // The store away: the flow this number ran last (parsed and kept), else straight to its queue.
    storeAway(core, 'the IVR flows', err)
    const kept = core.flowCache.get(did) ?? core.flowCache.get('*')
    return kept ? {...kept, prompts: lastPrompts.get(core) ?? new PromptBook([], null)} : null
  }
  if (!deployed) return null
  let cached = core.flowCache.get(deployed.did)
  const prompts = (await door.prompts?.()) ?? new PromptBook([], null)
  lastPrompts.set(core, prompts)
  if (!cached || cached.version !== deployed.id) {
    // Validated at deploy; parse without the prompt check so a removed prompt cannot stop calls.
    cached = {version: deployed.id, flow: parseFlow(deployed.source, `flow ${deployed.name}`)}
    core.flowCache.set(deployed.did, cached)
  }
  return {...cached, prompts}
}

/** The prompts the last flow ran with: kept for calls while the store is away. */
const lastPrompts = new WeakMap<EngineCore, PromptBook>()

/** A read the front door could not make: logged once a minute at most, the call goes on without it. */
const storeAwaySaid = new WeakMap<EngineCore, number>()
function storeAway(core: EngineCore, what: string, err: unknown): null {
  const now = Date.now()
  if ((storeAwaySaid.get(core) ?? 0) + 60_000 < now) {
    storeAwaySaid.set(core, now)
    core.log.warn(`cannot read ${what} from the store; calls go on without it until it answers`, {error: err instanceof Error ? err.message : String(err)})
  }
  return null
}

export function afterIvr(core: EngineCore, session: CallSession, o: IvrOutcome): void {
  switch (o.action) {
    case 'queue':
      session.priority = Math.max(session.priority, o.priority)
      session.requiredSkills = o.skills
      session.tags = o.tags
      // A flow file may spell 客服 in another normal form than the queue was created with.
      const queue = core.acd.queues.has(o.queue) ? o.queue : [...core.acd.queues.keys()].find((q) => nameKey(q) === nameKey(o.queue))
      if (!queue) {
        core.log.warn(`IVR sent a call to queue "${o.queue}", which does not exist`, {call: session.id})
        core.events.append({type: 'call.rejected', callId: session.id, data: {reason: 'no-queue', queue: o.queue}})
        void leaveWithPrompt(core, session, 'ss-noservice', 'rejected')
        return
      }
      enqueue(core, session, queue, {})
      return
    case 'voicemail':
      void voicemail(core, session, o.prompt, 'ivr')
      return
    case 'transfer':
      void transferToNumber(core, session, o.number)
      return
    case 'hangup':
      if (o.prompt.length === 0) {
        session.state = 'leaving'
        void core.hangup(session.channelId)
        endSession(core, session, 'ivr-hangup')
      } else void leaveWithPrompt(core, session, o.prompt, 'ivr-hangup')
  }
}

/** Sends the caller to an external number through the trunk and bridges them. */
export async function transferToNumber(core: EngineCore, session: CallSession, number: string): Promise<void> {
  if (!outboundAllowed(core, session.queue, number, {callId: session.id, by: 'ivr'})) return void leaveWithPrompt(core, session, 'cannot-complete-as-dialed', 'transfer-refused')
  session.state = 'transferring'
  const channelId = `${session.id}.x${session.callbackAttempts + 1}`
  core.channels.set(channelId, {session, role: 'external'})
  session.externalChannelId = channelId
  core.events.append({type: 'call.transferred', callId: session.id, data: {to: number, kind: 'blind'}})
  try {
    await core.ari.startMoh(session.channelId).catch(() => undefined)
    await core.ari.originate({
      endpoint: dialString(core.opts.dialString ?? 'Local/{number}@callctl-sim-callee', number),
      app: core.ari.app,
      appArgs: `external,${session.id}`,
      callerId: callerIdString(session.caller),
      timeout: core.opts.customerRingTimeout ?? CUSTOMER_RING_S,
      channelId,
    })
  } catch {
    core.channels.delete(channelId)
    void leaveWithPrompt(core, session, 'cannot-complete-as-dialed', 'transfer-failed')
  }
}

export async function onExternalAnswered(core: EngineCore, channel: Channel): Promise<void> {
  const session = core.channels.get(channel.id)?.session
  if (!session || session.state !== 'transferring' || session.externalChannelId !== channel.id) return void core.hangup(channel.id)
  session.bridgeId = `${session.id}.b`
  session.connectedAt = core.clock.now()
  try {
    await core.ari.createBridge('mixing', session.bridgeId, session.id)
    await core.ari.stopMoh(session.channelId).catch(() => undefined)
    await core.ari.addToBridge(session.bridgeId, [session.channelId, channel.id])
  } catch (err) {
    if (!isNotFound(err) && !session.ended) throw err
  }
  // Either side may hang up while the bridge is being made; the teardown's destroy can then
  // reach Asterisk before the create, so the bridge is destroyed again here.
  if (session.ended) void core.destroyBridge(session)
}

/** Either side of an external transfer left: the other goes too. */
export function externalLegGone(core: EngineCore, session: CallSession, channelId: string): void {
  if (session.externalChannelId !== channelId || session.ended) return
  if (!session.connectedAt) return void leaveWithPrompt(core, session, 'number-not-answering', 'transfer-no-answer')
  void core.hangup(session.channelId)
  void core.destroyBridge(session)
  endSession(core, session, 'transferred')
}

export function queueForDid(core: EngineCore, did: string): string | undefined {
  if (core.acd.queues.has(did)) return did
  for (const [name, settings] of core.acd.queues) if (settings.dids.includes(did)) return name
  // A queue named 客服 is dialled by its ASCII id (the dialplan's extensions are ASCII).
  for (const name of core.acd.queues.keys()) if (safeId(name) === did) return name
  const fallback = core.opts.defaultQueue
  return fallback && core.acd.queues.has(fallback) ? fallback : undefined
}
