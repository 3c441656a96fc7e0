// What sqlite3 -csv is timed on, next to the reports: SQL that dumps the same rows from the
// same file. SQLite cannot attribute a wrap-up end (it carries no call id) to its call, so
// the calls query shows the planned wrap-up seconds; otherwise the columns match.

const J = (field: string) => `json_extract(e.data, '$.${field}')`

export function callsSql(from: number, to: number): string {
  const at = (type: string, expr: string) => `MAX(CASE WHEN e.type = '${type}' THEN ${expr} END)`
  const time = (expr: string) => `strftime('%Y-%m-%dT%H:%M:%SZ', ${expr} / 1000, 'unixepoch')`
  return `SELECT s.call_id,
  ${time('s.ts')} AS started_at,
  ${time(`MIN(CASE WHEN e.type = 'call.connected' THEN e.ts END)`)} AS answered_at,
  ${time(at('call.ended', 'e.ts'))} AS ended_at,
  json_extract(s.data, '$.direction') AS direction,
  json_extract(s.data, '$.number') AS caller_number,
  json_extract(s.data, '$.name') AS caller_name,
  json_extract(s.data, '$.did') AS did,
  group_concat(CASE WHEN e.type = 'ivr.keys' THEN ${J('node')} || ':' || ${J('keys')} END, ' ') AS ivr_keys,
  ${at('queue.entered', 'e.queue')} AS queue,
  ${at('queue.entered', J('priority'))} AS priority,
  ${at('queue.entered', J('position'))} AS entry_position,
  MAX(CASE WHEN e.type IN ('call.connected', 'queue.abandoned', 'queue.exited') THEN ${J('waitMs')} END) / 1000.0 AS wait_s,
  group_concat(CASE WHEN e.type = 'agent.ring_noanswer' THEN e.agent END, ' ') AS agents_tried,
  ${at('call.connected', 'e.agent')} AS agent,
  (SUM(CASE WHEN e.type = 'call.completed' THEN ${J('talkMs')} - IFNULL(${J('holdMs')}, 0) END)) / 1000.0 AS talk_s,
  SUM(CASE WHEN e.type = 'call.completed' THEN IFNULL(${J('holdMs')}, 0) END) / 1000.0 AS hold_s,
  ${at('agent.wrapup_started', J('seconds'))} AS wrap_up_s,
  SUM(e.type = 'call.transferred') AS transfers,
  ${at('call.ended', J('cause'))} AS outcome,
  ${at('call.completed', J('by'))} AS disconnect,
  (SELECT IFNULL(r.host_path, r.name || '.' || r.format) FROM recordings r WHERE r.call_id = s.call_id AND r.state != 'failed') AS recording,
  ${at('survey.answered', J('score'))} AS survey_score
FROM events s JOIN events e ON e.call_id = s.call_id
WHERE s.type = 'call.started' AND s.ts >= ${from} AND s.ts < ${to}
GROUP BY s.ts, s.id ORDER BY s.ts, s.id`
}

/**
 * The same rows dumped from the call summary (call_rows) as they lie, times formatted in
 * UTC: what sqlite3 makes of the table `report calls` reads, the fair floor for it.
 */
export function summarySql(from: number, to: number): string {
  const time = (col: string) => `strftime('%Y-%m-%dT%H:%M:%SZ', ${col} / 1000, 'unixepoch') AS ${col}`
  return `SELECT call_id, ${time('started_at')}, ${time('answered_at')}, ${time('ended_at')}, direction, caller_number, caller_name, did, ivr_keys, queue, queues, priority,
  entry_position, wait_s, agents_tried, agent, talk_s, hold_s, wrap_up_s, transfers, outcome, disconnect, recording, survey_score
FROM call_rows WHERE started_at >= ${from} AND started_at < ${to} ORDER BY first_id`
}

/** The raw events of the same calls, unfolded: the floor for reading them at all. */
export function callEventsSql(from: number, to: number): string {
  return `SELECT e.id, e.ts, e.type, e.call_id, e.queue, e.agent, e.data FROM events e WHERE e.id >= (SELECT id FROM events WHERE ts >= ${from} ORDER BY ts LIMIT 1) AND e.ts < ${to} + 3600000 AND e.call_id IS NOT NULL ORDER BY e.id`
}

export function queuesSql(from: number, to: number, minutes: number): string {
  const ms = minutes * 60_000
  return `SELECT strftime('%Y-%m-%dT%H:%M:%SZ', (e.ts / ${ms}) * ${ms / 1000}, 'unixepoch') AS interval_start, e.queue,
  SUM(e.type = 'queue.entered') AS offered,
  SUM(e.type = 'call.connected' AND ${J('outbound')} IS NOT 1) AS answered,
  SUM(e.type = 'queue.abandoned') AS abandoned,
  SUM(e.type = 'queue.abandoned' AND ${J('waitMs')} < 5000) AS short_abandoned,
  SUM(e.type = 'call.connected' AND ${J('waitMs')} <= 20000) AS answered_within_20s,
  AVG(CASE WHEN e.type = 'call.connected' THEN ${J('waitMs')} END) / 1000.0 AS asa_s,
  MAX(CASE WHEN e.type IN ('call.connected', 'queue.abandoned') THEN ${J('waitMs')} END) / 1000.0 AS longest_wait_s,
  SUM(e.type = 'call.completed') AS handled,
  SUM(CASE WHEN e.type = 'call.completed' THEN ${J('talkMs')} END) / 1000.0 AS talk_s
FROM events e
WHERE e.ts >= ${from} AND e.ts < ${to} AND e.queue IS NOT NULL AND e.type IN ('queue.entered', 'call.connected', 'queue.abandoned', 'call.completed')
GROUP BY 1, 2 ORDER BY 1, 2`
}
