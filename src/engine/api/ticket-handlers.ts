import type {Engine} from '../calls/engine.js'
import {chooseDisposition, deskCall, isAgentsDeskCall, saveNote, type DeskCall} from '../calls/desk-work.js'
import {normaliseNumber} from '../contacts/phone-number.js'
import {repositoriesOf} from '../store/repositories.js'
import {DEFAULT_SLA, isOverdue, type Sla, type Ticket} from '../tickets/ticket.js'
import type {TicketQuery} from '../tickets/ticket-store.js'
import {unknownTicket} from '../tickets/ticket-store.js'
import {addTicket, assigneeFilter, assignTicket, commentTicket, linkCall, setTicketStatus, updateTicket, type TicketContext} from '../tickets/tickets.js'
import type {Principal} from '../users/roles.js'
import {ApiError, type Handlers} from './server.js'
import type {TICKET_METHODS} from './ticket-contract.js'

// Notes, dispositions and tickets over the API (ticket-contract.ts). The access policy
// lets an agent in (ticket-access.ts: 'handler'); what is its own is decided here, where
// the engine's calls and the tickets table are: its live call or its last call, and the
// tickets assigned to it or its queues or linked to a call it took. Anything else is
// refused as forbidden, an unknown call or ticket alike (as the policy refuses another
// agent's call), so an agent learns nothing of what is not its own.

export interface TicketOptions {
  sla: Sla
  defaultCountry: string
}

type TicketMethod = keyof typeof TICKET_METHODS

export type TicketView = Ticket & {overdue: boolean}

export function ticketHandlers(engine: Engine, o: Partial<TicketOptions> = {}): Pick<Handlers, TicketMethod> {
  // Read when a request comes, not before: the engine may still be starting.
  const country = () => o.defaultCountry ?? engine.core.opts.outbound?.defaultCountry ?? 'CN'
  const ctx = (): TicketContext => ({tickets: repositoriesOf(engine.core.store).tickets, store: engine.core.store, sla: o.sla ?? DEFAULT_SLA, defaultCountry: country(), origin: engine.core.origin, now: () => engine.core.clock.now()})
  const view = (t: Ticket): TicketView => ({...t, overdue: isOverdue(t, engine.core.clock.now())})
  const by = (p: {by?: string}, who: Principal) => p.by ?? who.user

  /** The agent's view of the tickets: assigned to it or its queues, or linked to a call it took. */
  const scope = (who: Principal): TicketQuery['visibleTo'] => {
    if (who.role !== 'agent') return undefined
    const agent = who.agent ?? ''
    return {agent, queues: [...(engine.core.acd.agents.get(agent)?.queues.keys() ?? [])]}
  }
  /** The ticket if the principal may see it; an agent is refused another's (or an unknown one). */
  const mine = async (id: string, who: Principal, method: TicketMethod): Promise<string> => {
    const visibleTo = scope(who)
    if (visibleTo && (await ctx().tickets.count({id, visibleTo})) === 0) {
      throw new ApiError('forbidden', `role agent may call ${method} only on tickets of its agent ${visibleTo.agent}, its queues or its calls`)
    }
    return id
  }
  /** A call the principal may write about: an agent's own live or last call; for the others any live or last call. */
  const ownCall = (id: string, who: Principal, method: TicketMethod): DeskCall => {
    const c = deskCall(engine.core, id, who.role === 'agent' ? (who.agent ?? '') : undefined)
    if (who.role === 'agent' && (!c || !isAgentsDeskCall(c, who.agent ?? ''))) {
      throw new ApiError('forbidden', `role agent may call ${method} only on the live or last call of its agent ${who.agent}`)
    }
    if (!c) throw new ApiError('unknown_call', `Call ${JSON.stringify(id.slice(0, 64))} is neither live nor an agent's last call`, 'A disposition is for the live call or the last call of an agent (in wrap-up).')
    return c
  }
  /** Admins and supervisors may note an older call too: it must be in the log. */
  const anyCall = async (id: string, who: Principal, method: TicketMethod): Promise<DeskCall> => {
    const c = deskCall(engine.core, id)
    if (c || who.role === 'agent') return ownCall(id, who, method)
    await engine.core.events.flush()
    const facts: DeskCall = {callId: id, queue: null, agent: null, number: '', contact: null, live: null, last: null}
    let found = false
    for await (const e of engine.core.store.events({callId: id, types: ['call.started', 'call.connected', 'call.contact']})) {
      found = true
      if (e.type === 'call.started') facts.number = String(e.data.number ?? '')
      if (e.type === 'call.connected') (facts.agent = e.agent), (facts.queue = e.queue ?? facts.queue)
      if (e.type === 'call.contact' && e.data.found === true) facts.contact = normaliseNumber(facts.number, country())
    }
    if (!found) throw new ApiError('unknown_call', `No call ${JSON.stringify(id.slice(0, 64))}`, 'Call ids are listed by callctl calls and callctl report calls.')
    return facts
  }

  return {
    'call.note': async (p, _conn, who) => {
      const call = await anyCall(p.call, who, 'call.note')
      const r = saveNote(engine.core, call, {...(p.note !== undefined ? {note: p.note} : {}), text: p.text, by: by(p, who)})
      // Saved as typed: the answer comes once the note is in the store.
      await engine.core.events.flush()
      return {callId: call.callId, note: r.note}
    },
    'call.disposition': async (p, _conn, who) => {
      const r = chooseDisposition(engine.core, ownCall(p.call, who, 'call.disposition'), p.code, by(p, who))
      await engine.core.events.flush()
      return r
    },
    'ticket.add': async (p, _conn, who) => {
      const call = p.call !== undefined ? await anyCall(p.call, who, 'ticket.add') : null
      const me = who.role === 'agent' ? who.agent : null
      const t = await addTicket(
        ctx(),
        {
          subject: p.subject,
          ...(p.description !== undefined ? {description: p.description} : {}),
          ...(p.priority !== undefined ? {priority: p.priority} : {}),
          ...(p.category !== undefined ? {category: p.category} : {}),
          ...(p.dueAt !== undefined ? {dueAt: p.dueAt} : {}),
          // An agent's ticket is its own unless it says whose.
          assignee: p.assignee !== undefined ? p.assignee : me ? {agent: me} : null,
          contact: p.contact ?? call?.contact ?? null,
          number: p.number ?? (call?.number || null),
          calls: call ? [call.callId] : [],
        },
        by(p, who),
      )
      return view(t)
    },
    'ticket.list': async (p, _conn, who) => {
      const query: TicketQuery = {
        ...(p.status ? {status: p.status} : {}),
        ...(p.assignee !== undefined ? {assignee: await assigneeFilter(engine.core.store, p.assignee)} : {}),
        ...(p.overdue ? {overdueAt: engine.core.clock.now()} : {}),
        ...(p.contact !== undefined ? {contact: normaliseNumber(p.contact, country()) ?? p.contact} : {}),
        ...(p.call !== undefined ? {call: p.call} : {}),
        ...(scope(who) ? {visibleTo: scope(who)} : {}),
      }
      const repo = ctx().tickets
      const [tickets, total, overdue] = await Promise.all([repo.list({...query, limit: p.limit ?? 100}), repo.count(query), repo.count({...query, overdueAt: engine.core.clock.now()})])
      return {tickets: tickets.map(view), total, overdue}
    },
    'ticket.get': async (p, _conn, who) => {
      const t = await ctx().tickets.get(await mine(p.ticket, who, 'ticket.get'))
      if (!t) throw unknownTicket(p.ticket)
      return view(t)
    },
    'ticket.update': async (p, _conn, who) => {
      const id = await mine(p.ticket, who, 'ticket.update')
      const {ticket: _t, call, by: _b, ...changes} = p
      let t: Ticket | undefined
      if (call !== undefined) t = await linkCall(ctx(), id, (await anyCall(call, who, 'ticket.update')).callId, by(p, who))
      if (Object.keys(changes).length > 0 || !t) t = await updateTicket(ctx(), id, changes, by(p, who))
      return view(t)
    },
    'ticket.comment': async (p, _conn, who) => view(await commentTicket(ctx(), await mine(p.ticket, who, 'ticket.comment'), p.text, by(p, who))),
    'ticket.assign': async (p, _conn, who) => view(await assignTicket(ctx(), await mine(p.ticket, who, 'ticket.assign'), p.assignee, by(p, who))),
    'ticket.status': async (p, _conn, who) => view(await setTicketStatus(ctx(), await mine(p.ticket, who, 'ticket.status'), p.status, by(p, who))),
  }
}
