import type {Rule} from './access-rule.js'
import {isOnCall} from './access-rule.js'
import type {DESK_METHODS} from './desk-contract.js'

// Who may call the desk's methods (desk-contract.ts); spread into ACCESS_POLICY.

type DeskMethod = keyof typeof DESK_METHODS

export const DESK_RULES: {[M in DeskMethod]: Rule<M>} = {
  'agent.login': {supervisor: true, agent: 'own agent'},
  'desk.current': {supervisor: true, agent: 'own agent'},
  'desk.settings': {supervisor: true, agent: 'all'},
  // An agent reads the history of the customer on its own ringing or live call, nobody else's:
  // by call only (a number would let it look up any customer).
  'contact.history': {
    supervisor: true,
    agent: {
      check: (p, me, engine) => {
        if (p.call === undefined) return `role agent reads a customer's history only by its own call (call), not by number`
        const call = engine.call(p.call)
        return call && isOnCall(call, me.agent) ? null : `role agent may call contact.history only on calls of its agent ${me.agent}`
      },
    },
  },
  'call.dtmf': {supervisor: true, agent: 'own call'},
  'kb.search': {supervisor: true, agent: 'all'},
  'kb.get': {supervisor: true, agent: 'all'},
}
