import {loginAgent} from '../admin/admin.js'
import type {Engine} from '../calls/engine.js'
import {dispositionCodes} from '../calls/desk-work.js'
import {deskSettings, type DeskSettings} from '../config/desk-config.js'
import {normaliseNumber} from '../contacts/phone-number.js'
import {DEFAULT_VIP_TIERS} from '../contacts/lookup.js'
import {customerHistory} from '../desk/history.js'
import {checkLimit, unknownEntry} from '../kb/knowledge-base.js'
import {repositoriesOf} from '../store/repositories.js'
import {ApiError, type Handlers} from './server.js'

export interface DeskOptions {
  settings: DeskSettings
  defaultCountry: string
  vipTiers: readonly string[]
}

const DAY_MS = 86_400_000
/** The pop waits for the history: past this, it shows what was found and how far back it looked. */
const HISTORY_BUDGET_MS = 400

type DeskMethod = 'agent.login' | 'desk.current' | 'desk.settings' | 'contact.history' | 'call.dtmf' | 'kb.search' | 'kb.get'

/** What an agent's desk asks of the engine besides call control (see desk-contract.ts). */
export function deskHandlers(engine: Engine, o: Partial<DeskOptions> = {}): Pick<Handlers, DeskMethod> {
  const settings = o.settings ?? deskSettings(undefined, {})
  const country = o.defaultCountry ?? 'CN'
  const vipTiers = new Set((o.vipTiers ?? DEFAULT_VIP_TIERS).map((t) => t.toLowerCase()))
  const store = () => engine.core.store
  return {
    'agent.login': (p) => loginAgent(store(), p.agent, p.queue ? [p.queue] : []),
    'desk.current': (p) => {
      const calls = engine.agentSnapshot(p.agent).calls
      const call = calls.find((c) => c.agent === p.agent) ?? calls.find((c) => c.ringing.includes(p.agent)) ?? null
      const last = engine.core.lastCalls.get(p.agent)
      if (!last) return {call, last: null}
      const code = last.disposition
      const label = code === null ? null : (dispositionCodes(engine.core, last.queue).find((d) => d.code === code)?.label ?? code)
      return {call, last: {callId: last.callId, queue: last.queue, number: last.number, disposition: code === null ? null : {code, label: label!}, owes: last.owes}}
    },
    'desk.settings': () => settings,
    'contact.history': async (p) => {
      let number = p.number
      let callTags: string[] = []
      // A chat's customer has a history too when it gave its number (the access policy owns conversations as calls).
      const chat = p.call !== undefined && !engine.core.sessions.has(p.call) ? engine.chat.get(p.call) : undefined
      if (chat) {
        if (!chat.number) throw new ApiError('bad_request', `The customer of conversation ${p.call} gave no number`, 'Ask the customer for its number; the history is found by number.')
        number = chat.number
      } else if (p.call !== undefined) {
        const s = engine.core.sessions.get(p.call)
        if (!s) throw new ApiError('unknown_call', `No live call ${JSON.stringify(p.call)}`, 'List live calls with: callctl calls')
        number = s.direction === 'outbound' ? (s.outboundNumber ?? s.caller.number) : s.caller.number
        callTags = [...s.tags]
      }
      if (number === undefined) throw new ApiError('bad_request', 'call or number: required', 'Give the live call whose caller it is, or a number.')
      const e164 = normaliseNumber(number, country)
      // Events of calls that ended a moment ago may still be on their way to the store.
      await engine.events.flush()
      const [found, history] = await Promise.all([
        // A number no numbering plan knows (a test range, a short code) is looked up as it came.
        repositoriesOf(store()).contacts.get(e164 ?? number),
        customerHistory(store(), {
          number,
          normalise: (n) => normaliseNumber(n, country),
          exceptCall: p.call ?? null,
          limit: p.limit ?? 5,
          since: engine.core.clock.now() - settings.historyDays * DAY_MS,
          now: engine.core.clock.now(),
          budgetMs: HISTORY_BUDGET_MS,
        }),
      ])
      const contact = found
        ? {
            number: found.number,
            name: found.name,
            tier: found.tier,
            vip: vipTiers.has(found.tier.toLowerCase()),
            company: found.company,
            language: found.language,
            notes: found.notes,
            tags: (found.extra.tags ?? '').split(/[,;]/).map((t) => t.trim()).filter(Boolean),
          }
        : null
      return {number: e164 ?? number, contact, callTags, ...history}
    },
    'call.dtmf': (p) => engine.control.dtmf(p.call, p.digits),
    'kb.search': async (p) => ({hits: await repositoriesOf(store()).kb.search(p.query, {limit: checkLimit(p.limit ?? 5), ...(p.tag ? {tag: p.tag} : {})})}),
    'kb.get': async (p) => {
      const e = await repositoriesOf(store()).kb.get(p.id)
      if (!e) throw unknownEntry(p.id)
      return {id: e.id, question: e.question, answer: e.answer, tags: e.tags}
    },
  }
}
