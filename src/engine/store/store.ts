import type {AgentRecord, Presence, QueueRecord} from '../model.js'
import type {EventType, NewEvent, StoredEvent} from './events.js'

export interface EventQuery {
  /** Inclusive lower bound on ts (ms). */
  since?: number
  /** Exclusive upper bound on ts (ms). */
  until?: number
  /** Only events with a larger id (for tailing). */
  afterId?: number
  types?: readonly EventType[]
  callId?: string
  limit?: number
}

/**
 * Durable state: the append-only event log and the configuration tables. Every
 * configuration change is written together with the event that records it, in one
 * transaction. Methods are async so a PostgreSQL store can serve several engines.
 */
export interface Store {
  appendEvents(events: readonly NewEvent[]): Promise<void>
  events(query?: EventQuery): AsyncIterable<StoredEvent>
  lastEventId(): Promise<number>
  /** Calls started since `since` (ms) that have no call.ended yet. */
  openCallIds(since: number): Promise<string[]>

  /** Whether any event in [since, until) names this queue or agent: one known from the past though removed since. */
  seenInEvents(kind: 'queue' | 'agent', name: string, range: {since?: number | undefined; until?: number | undefined}): Promise<boolean>

  listQueues(): Promise<QueueRecord[]>
  getQueue(name: string): Promise<QueueRecord | undefined>
  saveQueue(queue: QueueRecord, event: NewEvent): Promise<void>
  /**
   * Saves the queue that `decide` makes from every queue as the store holds them, with its
   * event, in one transaction no other queue change enters between the read and the write:
   * what decide checked (the name is free, no other queue has the DID) still holds when the
   * record is written, however many processes add queues at once. decide throws to refuse,
   * and nothing is written.
   */
  saveQueueChecked(decide: (queues: readonly QueueRecord[]) => {queue: QueueRecord; event: NewEvent}): Promise<QueueRecord>
  removeQueue(name: string, event: NewEvent): Promise<void>

  listAgents(): Promise<AgentRecord[]>
  getAgent(id: string): Promise<AgentRecord | undefined>
  /** Saves the agent and replaces its queue memberships with agent.queues. */
  saveAgent(agent: AgentRecord, event: NewEvent): Promise<void>
  removeAgent(id: string, event: NewEvent): Promise<void>
  setMembership(agent: string, queue: string, penalty: number, event: NewEvent): Promise<void>
  removeMembership(agent: string, queue: string, event: NewEvent): Promise<void>

  listPresence(): Promise<Presence[]>
  setPresence(presence: Presence, event: NewEvent): Promise<void>

  close(): Promise<void>
}
