import {normaliseNumber} from '../contacts/phone-number.js'
import type {DispositionCode} from '../model.js'
import {isSimulatedPhone, simulatedCode} from '../sim/sim-agent.js'
import {listUsers} from '../users/users.js'
import {UserError} from '../util/errors.js'
import {newId} from '../util/ids.js'
import type {CallSession} from './call-session.js'
import type {EngineCore, LastCall} from './core.js'
import {endWrapUp, owesDisposition} from './wrap-up.js'

// What an agent writes about a call from its desk: notes, saved as typed, and the
// disposition (the call's outcome code). Both are events of the call carrying its
// customer (contact and number), so they belong to the call and to the customer.

/** A note is kept whole up to this many characters (a long one is refused, not cut). */
export const NOTE_MAX = 4000

/** The call a note or a disposition is about, as the agent sees it: live, or its last call (in wrap-up). */
export interface DeskCall {
  callId: string
  queue: string | null
  agent: string | null
  number: string
  contact: string | null
  live: CallSession | null
  last: LastCall | null
  /**
   * Other agents whose part of the call is over (they transferred it) and who still owe its
   * code. Empty in an agent's own view; a choice made from outside (a supervisor's) releases them too.
   */
  owedBy?: string[]
}

/**
 * A live call of the engine, or the last call of an agent who took it; undefined for anything else.
 * `asAgent`: the view of that agent. An agent that transferred the call has left it: its part
 * is its last call (the code it owes), whoever has the call now.
 */
export function deskCall(core: EngineCore, callId: string, asAgent?: string): DeskCall | undefined {
  const s = core.sessions.get(callId)
  if (asAgent !== undefined) {
    const mine = core.lastCalls.get(asAgent)
    if (mine?.callId === callId && s?.agentId !== asAgent) return lastCallView(asAgent, mine)
  }
  // An agent's own choice is about its own part only: it settles no one else's code.
  const owing = asAgent !== undefined ? [] : [...core.lastCalls].filter(([, last]) => last.callId === callId && last.owes).map(([agent]) => agent)
  // Nobody on the call now (transferred to a number, or back in line) and an agent owes its
  // code: the call to dispose of is that agent's part.
  if (owing.length > 0 && !s?.agentId) return {...lastCallView(owing[0]!, core.lastCalls.get(owing[0]!)!), owedBy: owing.slice(1)}
  if (s) {
    const number = s.isCallback ? s.callbackNumber! : s.direction === 'outbound' ? (s.outboundNumber ?? '') : s.caller.number
    const contact = s.contact ? normaliseNumber(number, core.opts.outbound?.defaultCountry ?? 'CN') : null
    return {callId, queue: s.queue, agent: s.agentId, number, contact, live: s, last: null, owedBy: owing.filter((a) => a !== s.agentId)}
  }
  for (const [agent, last] of core.lastCalls) {
    if (last.callId === callId) return {...lastCallView(agent, last), owedBy: owing.filter((a) => a !== agent)}
  }
  return undefined
}

function lastCallView(agent: string, last: LastCall): DeskCall {
  return {callId: last.callId, queue: last.queue, agent, number: last.number, contact: last.contact, live: null, last, owedBy: []}
}

/** Whether this call is the agent's own to write about: the live call it is on, or its last call. */
export function isAgentsDeskCall(call: DeskCall, agent: string): boolean {
  if (call.live) return call.live.agentId === agent
  return call.agent === agent
}

/**
 * Saves a note: a new one (note absent: its id is returned) or a new text for one of the
 * call's notes. The latest text per (call, note) wins; an empty text empties the note.
 */
export function saveNote(core: EngineCore, call: DeskCall, o: {note?: string; text: string; by: string}): {note: string} {
  if (o.text.length > NOTE_MAX) throw new UserError(`The note is ${o.text.length} characters long (at most ${NOTE_MAX})`, {suggestion: 'Split it into several notes.', exitCode: 2, code: 'note_too_long'})
  if (o.note === undefined && o.text.trim() === '') throw new UserError('The note is empty', {suggestion: 'Type the note text.', exitCode: 2, code: 'empty_note'})
  const note = o.note ?? newId('note')
  core.events.append({
    type: 'call.note',
    callId: call.callId,
    queue: call.queue,
    agent: call.agent,
    data: {note, text: o.text, ...customer(call), by: o.by},
  })
  return {note}
}

/** The codes of the call's queue (empty: the queue asks for none). */
export function dispositionCodes(core: EngineCore, queue: string | null): DispositionCode[] {
  return queue ? (core.acd.queues.get(queue)?.dispositions ?? []) : []
}

const FREE_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/

/**
 * Chooses the call's disposition (a later choice replaces an earlier one). A queue with
 * codes takes only its codes; a call of a queue without codes (or of no queue: outbound)
 * takes any short code. Choosing the code an agent owes makes it ready at once when its
 * wrap-up time has run out (held, wrap-up.ts); a choice from outside the agents' own views
 * (a supervisor's) covers every agent that left the call owing its code (owedBy).
 */
export function chooseDisposition(core: EngineCore, call: DeskCall, code: string, by: string): {callId: string; code: string; label: string; released: boolean} {
  const codes = dispositionCodes(core, call.queue)
  let label = code
  if (codes.length > 0) {
    const found = codes.find((c) => c.code === code)
    if (!found) {
      throw new UserError(`"${code.slice(0, 32)}" is not a disposition code of queue ${call.queue}`, {
        suggestion: `Codes: ${codes.map((c) => `${c.code} (${c.label}, key ${c.key})`).join(', ')}`,
        exitCode: 2,
        code: 'unknown_disposition',
      })
    }
    label = found.label
  } else if (!FREE_CODE.test(code)) {
    throw new UserError(`Invalid disposition code "${code.slice(0, 32)}"`, {suggestion: 'Use 1-32 ASCII letters, digits, _ . - (e.g. resolved).', exitCode: 2, code: 'unknown_disposition'})
  }
  core.events.append({
    type: 'call.disposition',
    callId: call.callId,
    queue: call.queue,
    agent: call.agent,
    data: {code, label, ...customer(call), by},
  })
  if (call.live) call.live.disposition = code
  // Every part of the call the choice covers: the agent's last call, and the agents that left it owing its code.
  const parts: [string, LastCall][] = call.last && call.agent !== null ? [[call.agent, call.last]] : []
  for (const agent of call.owedBy ?? []) {
    const last = core.lastCalls.get(agent)
    if (last?.callId === call.callId) parts.push([agent, last])
  }
  let released = false
  for (const [agent, last] of parts) {
    last.disposition = code
    const owed = last.owes
    last.owes = false
    if (owed && core.wrapUpTimers.get(agent)?.held === true) released = endWrapUp(core, agent, 'disposition') || released
  }
  return {callId: call.callId, code, label, released}
}

/**
 * A simulated agent (its phone in the simulator's dialplan: callctl simulate, the demo) has
 * no desk to choose its code from: it chooses one as its wrap-up starts (by "simulator"),
 * so a queue with codes does not hold it in wrap-up for good after its first call.
 */
export function simulatedAgentDisposes(core: EngineCore, agentId: string): void {
  const last = core.lastCalls.get(agentId)
  const endpoint = core.acd.agents.get(agentId)?.endpoint
  if (!last?.owes || endpoint === undefined || !isSimulatedPhone(endpoint)) return
  const codes = dispositionCodes(core, last.queue)
  if (codes.length === 0) return
  // Its last call, not the live session (still there while the call ends): the code owed is the last call's.
  const call = lastCallView(agentId, last)
  // A person working the agent through a desk (a user of the agent role bound to it) chooses
  // the code there, whatever phone it rings: the desk's own tests use simulated phones.
  void listUsers(core.store)
    .then((users) => {
      if (users.some((u) => u.role === 'agent' && u.agent === agentId)) return
      const now = core.lastCalls.get(agentId)
      if (now?.owes && now.callId === last.callId) chooseDisposition(core, call, simulatedCode(codes, last.callId), 'simulator')
    })
    .catch((err: unknown) => core.log.warn('a simulated agent could not choose its disposition', {agent: agentId, error: String(err)}))
}

/** Refuses agent.ready while the agent owes a disposition: one line naming the call and the codes. */
export function mustNotOweDisposition(core: EngineCore, agentId: string): void {
  if (!owesDisposition(core, agentId)) return
  const last = core.lastCalls.get(agentId)!
  const codes = dispositionCodes(core, last.queue)
  throw new UserError(`Agent "${agentId}" must choose a disposition for call ${last.callId} before being ready`, {
    suggestion: `Choose one of queue ${last.queue}'s codes: callctl call disposition ${last.callId} ${codes[0]?.code ?? 'CODE'} (codes: ${codes.map((c) => `${c.key} ${c.code}`).join(', ')})`,
    exitCode: 1,
    code: 'disposition_required',
  })
}

function customer(call: DeskCall): {contact?: string; number?: string} {
  return {...(call.contact ? {contact: call.contact} : {}), ...(call.number ? {number: call.number} : {})}
}
