import type {AgentListing} from '../engine/api/contract.js'
import {safeText} from '../engine/util/text.js'

export function describePresence(a: AgentListing): string {
  const queues = Object.keys(a.queues)
  const state = a.presence === 'paused' ? `paused (${a.pauseReason})` : a.presence === 'available' ? 'logged in' : 'logged out'
  return `Agent ${safeText(a.id)} is ${state}${queues.length ? `; queues: ${queues.map((q) => safeText(q)).join(', ')}` : ''}.`
}
