import type {AgentRecord, QueueRecord, QueueSettings} from '../model.js'
import {DEFAULT_QUEUE_SETTINGS} from '../model.js'
import type {EventType, StoredEvent} from './events.js'

// A row of the core tables as both stores read it (same columns, JSON kept as text).

export type Row = Record<string, unknown>

export function toEvent(r: Row): StoredEvent {
  return {
    id: r.id as number,
    ts: r.ts as number,
    type: r.type as EventType,
    callId: (r.call_id as string | null) ?? null,
    queue: (r.queue as string | null) ?? null,
    agent: (r.agent as string | null) ?? null,
    data: JSON.parse(r.data as string) as Record<string, unknown>,
    origin: r.origin as string,
  }
}

export function toQueue(r: Row): QueueRecord {
  // Settings written by an older version lack newer fields: defaults fill them in.
  const settings = {...DEFAULT_QUEUE_SETTINGS, ...(JSON.parse(r.settings as string) as Partial<QueueSettings>)}
  return {name: r.name as string, settings, createdAt: r.created_at as number}
}

export function toAgent(r: Row, queues: Record<string, number>): AgentRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    endpoint: r.endpoint as string,
    skills: JSON.parse(r.skills as string) as Record<string, number>,
    queues,
    createdAt: r.created_at as number,
  }
}
