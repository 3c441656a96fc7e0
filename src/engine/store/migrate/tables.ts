import {folded} from '../../kb/pg-kb.js'
import {copyText, copyTextArray} from '../pg/copy-stream.js'
import {pgText} from '../pg/repo-access.js'

// The tables `db migrate` copies from SQLite into PostgreSQL, in an order the foreign keys
// accept, each with its columns as both stores name them. Values go over as COPY text:
// whole numbers as they are, text with U+0000 made U+FFFD (pgText: PostgreSQL cannot hold
// it, and the repositories store it so). The knowledge base differs in form: its tags are
// a JSON array in SQLite and text[] in PostgreSQL, and PostgreSQL keeps the case-folded
// text its search reads (pg-kb.ts), computed here as the repository computes it.

type Kind = 'int' | 'real' | 'text'

export interface TableCopy {
  table: string
  /** The columns read from SQLite, in order, and their kinds. */
  columns: readonly (readonly [string, Kind])[]
  /** The columns written to PostgreSQL (default: the same). */
  target?: readonly string[]
  /** The order rows are read in (the primary key). */
  orderBy: string
  /** An identity column whose sequence must be moved past the copied ids. */
  identity?: string
  /** One SQLite row as a COPY text line (default: each value by its kind). */
  line?: (row: unknown[]) => string
}

const text = (name: string) => [name, 'text'] as const
const int = (name: string) => [name, 'int'] as const
const real = (name: string) => [name, 'real'] as const

/** Everything but the event log, in the order they are copied: referenced tables first. */
export const TABLES: readonly TableCopy[] = [
  {table: 'queues', columns: [text('name'), text('settings'), int('created_at'), int('updated_at')], orderBy: 'name'},
  {table: 'agents', columns: [text('id'), text('name'), text('endpoint'), text('skills'), int('created_at'), int('updated_at')], orderBy: 'id'},
  {table: 'agent_queues', columns: [text('agent'), text('queue'), int('penalty')], orderBy: 'agent, queue'},
  {table: 'agent_presence', columns: [text('agent'), text('status'), text('reason'), int('since')], orderBy: 'agent'},
  {
    table: 'contacts',
    columns: [int('id'), text('number'), text('name'), text('tier'), text('language'), text('company'), text('notes'), text('extra'), int('updated_at')],
    orderBy: 'id',
    identity: 'id',
  },
  {table: 'blacklist', columns: [text('number'), text('reason'), int('until'), int('created_at')], orderBy: 'number'},
  {table: 'ivr_flows', columns: [int('id'), text('did'), text('name'), text('source'), int('deployed_at')], orderBy: 'id', identity: 'id'},
  {table: 'prompts', columns: [text('name'), text('language'), text('file'), text('source'), text('text'), int('duration_ms'), int('created_at')], orderBy: 'name, language'},
  {
    table: 'kb_entries',
    columns: [int('id'), text('question'), text('answer'), text('tags'), int('created_at'), int('updated_at')],
    target: ['id', 'question', 'answer', 'tags', 'created_at', 'updated_at', 'folded'],
    orderBy: 'id',
    identity: 'id',
    line: (r) => {
      const question = pgText(String(r[1]))
      const answer = pgText(String(r[2]))
      const tags = parseTags(r[3])
      return `${copyText(r[0] as number)}\t${copyText(question)}\t${copyText(answer)}\t${copyTextArray(tags)}\t${copyText(r[4] as number)}\t${copyText(r[5] as number)}\t${copyText(folded({question, answer}))}\n`
    },
  },
  {
    table: 'recordings',
    columns: [text('name'), text('call_id'), text('queue'), text('agent'), text('number'), int('started_at'), int('ended_at'), int('duration_ms'), text('format'), text('state'), text('host_path'), int('size_bytes'), text('error')],
    orderBy: 'name',
  },
  {table: 'phones', columns: [text('id'), text('agent'), text('transport'), int('created_at'), int('updated_at')], orderBy: 'id'},
  {
    table: 'users',
    columns: [text('name'), text('role'), text('agent'), text('token_hash'), text('old_token_hash'), int('token_issued_at'), int('created_at'), int('updated_at')],
    orderBy: 'name',
  },
  {
    table: 'tickets',
    columns: [
      int('seq'), text('id'), text('subject'), text('description'), text('status'), text('priority'), text('category'), text('assignee_agent'), text('assignee_queue'),
      text('contact'), text('number'), text('calls'), text('comments'), int('due_ts'), int('created_at'), text('created_by'), int('updated_at'), int('resolved_at'), int('reopens'),
    ],
    orderBy: 'seq',
  },
  {table: 'ticket_calls', columns: [text('call_id'), text('ticket')], orderBy: 'call_id, ticket'},
  // After the recordings: their triggers then find no summary row to rewrite, and each
  // row's recording files go over as SQLite kept them.
  {
    table: 'call_rows',
    columns: [
      int('first_id'), text('call_id'), int('started_at'), int('answered_at'), int('ended_at'), text('direction'), text('caller_number'), text('caller_name'), text('did'), text('ivr_keys'),
      text('queue'), text('queues'), real('priority'), real('entry_position'), real('wait_s'), text('agents_tried'), text('agent'), real('talk_s'), real('hold_s'), real('wrap_up_s'),
      text('transfers'), text('outcome'), text('disconnect'), real('survey_score'), text('agents'), text('recording'), text('csv_middle'), text('csv_last'),
    ],
    orderBy: 'first_id',
  },
  // The queue-visit summary, with its checkpoint in projections (reports/visit-rows.ts).
  {
    table: 'queue_visits',
    columns: [
      int('first_id'), int('seq'), int('started_at'), text('call_id'), text('queue'), int('entered_at'), int('overflow_in'), int('left_at'), int('left_as'), int('left_alone'), real('wait_ms'),
      int('completed_at'), real('talk_ms'), real('hold_ms'), int('wrap_from'), int('wrap_to'), int('wrap_lost'), int('callback_requested_at'), int('callback_completed_at'),
      int('overflow_out_at'), int('contact_at'), text('customer'), int('answered'), text('agent'), int('inbound'), int('last_at'), int('next_contact_at'), int('simple'),
    ],
    orderBy: 'first_id, seq',
  },
  {table: 'projections', columns: [text('name'), int('checkpoint'), int('updated_at')], orderBy: 'name'},
]

/** The event log, copied last, under the events lock. */
export const EVENTS: TableCopy = {
  table: 'events',
  columns: [int('id'), int('ts'), text('type'), text('call_id'), text('queue'), text('agent'), text('data'), text('origin')],
  orderBy: 'id',
  identity: 'id',
}

/** Every table a migration fills, to check that the target is empty and to count both sides. */
export const ALL_TABLES: readonly TableCopy[] = [...TABLES, EVENTS]

/** The COPY text line of a row, each value by its kind. */
export function copyLine(t: TableCopy, row: unknown[]): string {
  if (t.line) return t.line(row)
  let out = ''
  for (let i = 0; i < t.columns.length; i++) {
    const v = row[i]
    const kind = t.columns[i]![1]
    if (i > 0) out += '\t'
    if (v === null || v === undefined) out += '\\N'
    else if (kind === 'text') out += copyText(pgText(typeof v === 'string' ? v : String(v)))
    // A whole-number column that another tool gave a fraction keeps its nearest whole number (bigint takes no other).
    else if (kind === 'int') out += copyText(typeof v === 'number' ? (Number.isInteger(v) ? v : Math.round(v)) : typeof v === 'bigint' ? Number(v) : Number(v))
    else out += copyText(Number(v))
  }
  return out + '\n'
}

function parseTags(v: unknown): string[] {
  try {
    const parsed = JSON.parse(String(v ?? '[]')) as unknown
    return Array.isArray(parsed) ? parsed.map((t) => pgText(String(t))) : []
  } catch {
    return []
  }
}
