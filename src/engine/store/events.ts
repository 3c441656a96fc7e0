/**
 * The event log's vocabulary. Every state change the engine or an admin makes is one
 * of these, appended once and never rewritten; reports and restarts derive from them.
 */
export const EVENT_TYPES = [
  // calls
  'call.started', // a caller entered the engine {direction, number, name, did, channel}
  'call.rejected', // refused before queueing {reason}
  'call.shed', // refused at the door while Asterisk is overloaded {number, did, p90Ms}
  'queue.entered', // {priority, position}
  'queue.abandoned', // caller hung up while waiting {waitMs, position}
  'queue.system_ended', // the system ended the caller's queue visit, not the caller: a deliberate shutdown (engine or demo) or Asterisk restarting {reason, waitMs, position}; never an abandon
  'agent.ringing', // one ring attempt {endpoint, attempt}
  'agent.ring_noanswer', // {reason: timeout|failed|busy, ringMs}
  'agent.ring_canceled', // the caller left while the agent's phone rang {ringMs}
  'call.connected', // caller and agent bridged {waitMs, ringMs}
  'call.completed', // a connected call ended {by: caller|agent|system, talkMs}
  'call.ended', // the last event of every call {cause}
  'queue.exited', // left the queue without an agent {reason: timeout|full|empty|key, action, to?}
  'queue.announced', // position / expected wait played {position, expectedWaitMs}
  'callback.offered', // the caller pressed the callback key
  'callback.declined', // {reason}
  'callback.requested', // virtual hold: the caller hung up keeping its place {number}
  'callback.attempt', // dialling the customer after the agent answered {attempt, number}
  'callback.attempt_failed', // {attempt, reason}
  'callback.retry_scheduled', // {attempt, inMs}
  'callback.failed', // gave up after the last attempt
  'voicemail.left', // {recording, durationSec}
  'call.contact', // the caller's contact found at the door {source, name, tier, vip}
  'call.transferred', // {kind: blind|consult, to: {agent}|{queue}|{number}, by}
  'call.transfer_failed', // the target could not be reached {kind, reason}
  'call.consult_started', // the caller is held while the agent calls the target {to}
  'call.consult_answered',
  'call.consult_ended', // canceled or failed {reason}
  'call.held', // {by}
  'call.unheld', // {by, holdMs}
  'call.hangup_requested', // by the call's agent (its desk), a supervisor or script {by, side: agent | supervisor}
  'recording.started', // {recording}
  'recording.finished', // {recording, durationMs, sizeBytes}
  'recording.failed', // {recording, error}
  'supervise.started', // the audit trail: {supervision, mode, from, by}
  'supervise.connected',
  'supervise.mode_changed', // {from, to, by}
  'supervise.stopped', // {reason, durationMs, by}
  'ivr.started', // {flow, version}
  'ivr.node', // entered a node {flow, node, kind}
  'ivr.keys', // the key trail {node, keys, result: choice|collected|invalid}
  'ivr.timeout', // no key in time {node}
  'ivr.ended', // {action, queue?, keyTrail}
  'survey.answered', // {score}
  'survey.skipped',
  // agents
  'agent.added', // {endpoint, queues, skills, by?} (by: CALLCTL_TOKEN's user; absent for the local admin)
  'agent.updated', // as agent.added
  'agent.removed', // {by?}
  'agent.member_added', // {penalty}
  'agent.member_removed',
  'agent.login',
  'agent.logout', // {by?} (by: the API user who logged it out)
  'agent.paused', // {reason, by?}
  'agent.unpaused', // {by?}
  'agent.wrapup_started', // {seconds}
  'agent.wrapup_ended', // {how: timer|agent|disposition} (disposition: the code owed was chosen after the wrap-up time had run out)
  'agent.wrapup_extended', // {seconds}
  'agent.unreachable', // the agent's phone is not registered or does not answer qualify pings {phone, reason, contact?}
  'agent.reachable', // the phone is back {phone, unreachableMs}
  'agent.other_call', // the phone is in use on a call the engine did not place, or rings elsewhere {phone, device}
  'agent.other_call_ended', // {phone, durationMs}
  // phones and SIP
  'phone.added', // provisioned in the store (and pushed to Asterisk) {agent, transport}
  'phone.updated', // {agent, transport}
  'phone.removed',
  'phone.secret_reset',
  'phone.registered', // a contact appeared or answered {phone, contact, userAgent?, rttMs?}
  'phone.unregistered', // {phone, contact, how: removed|unreachable}
  'sip.auth_failed', // Asterisk's security log: a failed registration or call {address, account, event}
  'sip.blocked', // an address refused for a while after repeated failures {address, failures, untilTs}
  'sip.unblocked', // {address, by: expiry|admin}
  'call.outbound_refused', // a number not allowed by the outbound patterns {number, by, rule}
  // users and access (the audit trail's "by" is the authenticated user); user.* data always carries {user} (the user's name)
  'user.added', // {role, agent?, by}
  'user.updated', // {changes: {field: {from, to}}, by}
  'user.removed', // {by}
  'user.token_issued', // a new token replaced the old one, which stops working at once {by}
  'user.token_revoked', // {by}
  'auth.failed', // a request with a missing or unknown token {address, reason: missing|unknown|revoked, method, user? (of a revoked token), notRecorded? (failures not written since the last)}
  'auth.refused', // an authenticated user asked for what its role does not allow {user, role, method, reason, notRecorded?}
  // the agent's desk: notes and dispositions belong to the call and the contact
  'call.note', // a note saved as typed; the latest per (call, note) wins {note, text, contact?, number?, by}
  'call.disposition', // the outcome code chosen in wrap-up {code, label, contact?, number?, by}
  // tickets (工单); data always carries {ticket} (its id, e.g. T-000042) and {by}
  'ticket.created', // {ticket, subject, description, priority: low|normal|high|urgent, category, assignee: {agent}|{queue}|null, contact?, number?, calls: [callId], dueTs, status: 'open', by}
  'ticket.updated', // {ticket, changes: {field: {from, to}}, by}  (subject, description, priority, category, dueTs)
  'ticket.status_changed', // {ticket, from, to, by}; a move from solved or closed back to open or pending is a reopen
  'ticket.assigned', // {ticket, from, to, by}; from and to are {agent}|{queue}|null
  'ticket.commented', // {ticket, comment, text, by}
  'ticket.call_linked', // {ticket, by}; the call is the event's callId
  // chats (online service); the conversation id is the event's callId, its queue and agent the columns
  'chat.started', // a customer wrote first (or opened the widget) {channel, customer, name?, number?, flow?}
  'chat.message', // one transcript line {from: customer|bot|agent|system, kind: text|image|buttons|closed|rating-request|system, seq, text?, image?: {url, mime, bytes?}, buttons?: [{key, label}], payload?, agentName?, channelMessageId?, by?}
  'chat.flow_step', // the conversation flow entered a node {flow, node, kind}
  'chat.kb_answered', // the flow answered from the knowledge base {entry, score, question}
  'chat.kb_feedback', // "was this helpful?" {entry, helpful}
  'chat.queued', // handed to a queue {priority, skills?, position, reason: flow|transfer|overflow|requeue (the engine put it back: its agent logged out, its queue removed)}
  'chat.offered', // offered to an agent (its slot reserved until accepted or expired) {channel, autoAccept, timeoutMs}
  'chat.offer_expired', // the agent did not accept in time: back to its place in line, the agent skipped for it a while {afterMs}
  'chat.accepted', // the agent took the conversation {waitMs (queued to accepted), how: agent|auto}
  'chat.transferred', // to an agent or a queue, the transcript going along {from (agent), to: {agent}|{queue}, by}
  'chat.closed', // the last event of a conversation {reason: customer|agent|silence|off-hours|bot|abandoned|system|supervisor|max-wait|no-agents|message-left, by?, durationMs}
  'chat.rated', // the customer's satisfaction rating after the close {score: 1-5}
  'chat.note', // a supervisor's private note to the agent, never shown to the customer {text, by}
  'chat.overflowed', // waited too long, or no agent of the queue able to take chats: moved to another queue, keeping its place by its first arrival {from, to, reason: max-wait|no-agents, waitedMs}; queue = the queue left; a chat.queued {reason: overflow} in `to` follows
  'chat.message_asked', // nobody can answer: the customer is asked to leave a message (what it writes next becomes a ticket) {reason: max-wait|no-agents|off-hours, waitedMs?}; queue = the queue left (off-hours: the queue its ticket goes to)
  'chat.message_left', // the customer's message became a ticket assigned to the queue, the conversation linked {ticket (null if it could not be written), reason}; a chat.closed {reason: message-left} follows
  'chat.typing', // never stored: pushed live to the agent's subscription while the customer types {from: customer}
  // queues
  'queue.added', // {settings, by?} (by: CALLCTL_TOKEN's user; absent for the local admin)
  'queue.updated', // as queue.added
  'queue.removed', // {by?}
  // engine
  'engine.started', // {recovered: counts of calls re-adopted, by kind}
  'engine.asterisk_restarted', // Asterisk's startup time changed: its calls were lost
  'engine.box_lost', // one of several Asterisk boxes was away too long: its calls were closed
  'call.readopted', // taken back after an engine restart {phase}
  'engine.stopped',
  'engine.overloaded', // Asterisk's answers slowed past the threshold (on) or came back (off) {on, p90Ms, shed}
  'ari.connected',
  'ari.disconnected',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export interface NewEvent {
  type: EventType
  /** Milliseconds since the epoch, UTC. */
  ts: number
  callId?: string | null
  queue?: string | null
  agent?: string | null
  data?: Record<string, unknown>
  /** Who wrote it: an engine instance id, or "cli". */
  origin?: string
}

export interface StoredEvent {
  id: number
  type: EventType
  ts: number
  callId: string | null
  queue: string | null
  agent: string | null
  data: Record<string, unknown>
  origin: string
}

/** What a call.started event says of the call, with the defaults an older or partial event gets. */
export function callStarted(e: StoredEvent): {direction: string; number: string; name: string; did: string; priority: number; startedAt: number} {
  const d = e.data
  return {
    direction: String(d.direction ?? 'inbound'),
    number: String(d.number ?? ''),
    name: String(d.name ?? ''),
    did: String(d.did ?? ''),
    priority: Number(d.priority ?? 0),
    startedAt: e.ts,
  }
}
