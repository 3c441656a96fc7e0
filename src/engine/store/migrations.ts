// Hand-written, not a migration tool (knex, umzug, db-migrate): the schema is one list of
// SQL strings compiled into the binary, applied by sqlite-store.ts at open, each in one
// transaction with its row in schema_migrations. A tool would add migration files on disk
// to ship and find, and a dependency, for a runner of ~15 lines.
// PostgreSQL (PRODUCT.md tier 4) will take the same list through its own runner.

/** Versioned schema changes, applied in order, each in its own transaction. Never edit a shipped one. */
export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * A call's recording files as \`report calls\` shows them, space separated in the order
 * they started: the path on this machine when known, else NAME.FORMAT in Asterisk's
 * spool; failed ones left out. Kept in call_rows by migration 6's triggers, and read by
 * the summary as it writes a call (reports/call-rows.ts).
 */
export function recordingFiles(callId: string): string {
  return `COALESCE((SELECT group_concat(f, ' ') FROM (SELECT COALESCE(host_path, name || '.' || format) AS f
          FROM recordings WHERE call_id = ${callId} AND state != 'failed' ORDER BY started_at, name)), '')`
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'event log, queues, agents, memberships, presence',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        call_id TEXT,
        queue TEXT,
        agent TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        origin TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX events_ts ON events(ts);
      CREATE INDEX events_call ON events(call_id) WHERE call_id IS NOT NULL;
      CREATE INDEX events_type_ts ON events(type, ts);

      CREATE TABLE queues (
        name TEXT PRIMARY KEY,
        settings TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        skills TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE agent_queues (
        agent TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        queue TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE,
        penalty INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (agent, queue)
      );

      CREATE TABLE agent_presence (
        agent TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        reason TEXT,
        since INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'contacts, blacklist, IVR flows, prompts',
    sql: `
      CREATE TABLE contacts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        number TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        company TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        extra TEXT NOT NULL DEFAULT '{}',
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE blacklist (
        number TEXT PRIMARY KEY,
        reason TEXT NOT NULL DEFAULT '',
        until INTEGER,
        created_at INTEGER NOT NULL
      );

      -- Every deployed version is kept; the newest per DID is live. did '*' is the default flow.
      CREATE TABLE ivr_flows (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        did TEXT NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        deployed_at INTEGER NOT NULL
      );
      CREATE INDEX ivr_flows_did ON ivr_flows(did, id);

      CREATE TABLE prompts (
        name TEXT NOT NULL,
        language TEXT NOT NULL,
        file TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT,
        duration_ms INTEGER,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (name, language)
      );
    `,
  },
  {
    version: 3,
    name: 'knowledge base with trigram full-text index',
    sql: `
      -- tags: JSON array of lower-case strings. The question is the natural key an import updates by.
      CREATE TABLE kb_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        question TEXT NOT NULL UNIQUE,
        answer TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- The index sees each text followed by two spaces. A trigram index holds every
      -- 3-character substring, so it finds terms of 3+ characters; with the padding, every
      -- occurrence of a 1-2 character term (退款) also starts some indexed trigram, even at the
      -- very end of a text, and the terms starting with it can be looked up in kb_vocab.
      CREATE VIEW kb_fts_source AS SELECT id, question || '  ' AS question, answer || '  ' AS answer FROM kb_entries;
      CREATE VIRTUAL TABLE kb_fts USING fts5(
        question, answer,
        content = 'kb_fts_source', content_rowid = 'id',
        tokenize = 'trigram'
      );
      CREATE VIRTUAL TABLE kb_vocab USING fts5vocab(kb_fts, 'row');
      -- ORDER BY rank then means bm25 with a question match weighing five answer matches.
      INSERT INTO kb_fts (kb_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)');

      -- Entry count and total length, for ranking the searches bm25() cannot rank.
      CREATE TABLE kb_stats (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        entries INTEGER NOT NULL,
        chars INTEGER NOT NULL
      );
      INSERT INTO kb_stats (id, entries, chars) VALUES (1, 0, 0);

      CREATE TRIGGER kb_entries_ai AFTER INSERT ON kb_entries BEGIN
        INSERT INTO kb_fts (rowid, question, answer) VALUES (new.id, new.question || '  ', new.answer || '  ');
        UPDATE kb_stats SET entries = entries + 1, chars = chars + length(new.question) + length(new.answer);
      END;
      CREATE TRIGGER kb_entries_ad AFTER DELETE ON kb_entries BEGIN
        INSERT INTO kb_fts (kb_fts, rowid, question, answer) VALUES ('delete', old.id, old.question || '  ', old.answer || '  ');
        UPDATE kb_stats SET entries = entries - 1, chars = chars - length(old.question) - length(old.answer);
      END;
      -- Not "UPDATE OF question, answer": that would miss a change of id, and the index must
      -- be told exactly the old values to remove or it silently drifts.
      CREATE TRIGGER kb_entries_au AFTER UPDATE ON kb_entries BEGIN
        INSERT INTO kb_fts (kb_fts, rowid, question, answer) VALUES ('delete', old.id, old.question || '  ', old.answer || '  ');
        INSERT INTO kb_fts (rowid, question, answer) VALUES (new.id, new.question || '  ', new.answer || '  ');
        UPDATE kb_stats SET chars = chars - length(old.question) - length(old.answer) + length(new.question) + length(new.answer);
      END;
    `,
  },
  {
    version: 4,
    name: 'call recordings',
    sql: `
      -- One row per ARI recording (name = the stored recording's name in Asterisk).
      -- state: recording | done | failed. host_path: the file on this machine, when the
      -- engine could reach Asterisk's spool; otherwise the file is fetched over ARI.
      CREATE TABLE recordings (
        name TEXT PRIMARY KEY,
        call_id TEXT NOT NULL,
        queue TEXT,
        agent TEXT,
        number TEXT NOT NULL DEFAULT '',
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        duration_ms INTEGER,
        format TEXT NOT NULL,
        state TEXT NOT NULL,
        host_path TEXT,
        size_bytes INTEGER,
        error TEXT
      );
      CREATE INDEX recordings_started ON recordings(started_at);
      CREATE INDEX recordings_call ON recordings(call_id);
    `,
  },
  {
    version: 5,
    name: 'call summaries',
    sql: `
      -- One row per ended call: its line in \`report calls\`, kept as calls end by the engine
      -- (reports/call-rows.ts) so a report reads a row per call instead of folding its
      -- events. Derived from the events and rebuildable from them: the checkpoint in
      -- projections says up to which call.started event (id) every call has its row.
      -- Times are epoch ms (formatted in the report's zone); durations are seconds.
      CREATE TABLE call_rows (
        first_id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at INTEGER,
        direction TEXT NOT NULL,
        caller_number TEXT NOT NULL,
        caller_name TEXT NOT NULL,
        did TEXT NOT NULL,
        ivr_keys TEXT NOT NULL,
        queue TEXT NOT NULL,
        queues TEXT NOT NULL,
        priority INTEGER NOT NULL,
        entry_position INTEGER,
        wait_s REAL,
        agents_tried TEXT NOT NULL,
        agent TEXT NOT NULL,
        talk_s REAL,
        hold_s REAL,
        wrap_up_s REAL,
        transfers TEXT NOT NULL,
        outcome TEXT NOT NULL,
        disconnect TEXT,
        survey_score INTEGER,
        -- Agents who answered or let it ring (the --agent filter), space separated.
        agents TEXT NOT NULL
      );
      CREATE TABLE projections (
        name TEXT PRIMARY KEY,
        checkpoint INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'call summaries as CSV text, with their recordings',
    sql: `
      -- The summary again (it is derived: the engine rebuilds it from the log), now with
      -- the call's cells as CSV text (csv_middle: direction .. disconnect, csv_last: the
      -- survey score), encoded once when the call is summarized, and its recording files
      -- as the report shows them (the path on this machine when known, else NAME.FORMAT in
      -- Asterisk's spool; failed ones left out), kept current by the triggers below when a
      -- recording finishes, fails or is purged. \`report calls\` then writes a summarized
      -- call as one string plus the cells that depend on the report (its zone) instead of
      -- encoding 24 cells per row.
      DELETE FROM call_rows;
      DELETE FROM projections WHERE name = 'call_rows';
      ALTER TABLE call_rows ADD COLUMN recording TEXT NOT NULL DEFAULT '';
      ALTER TABLE call_rows ADD COLUMN csv_middle TEXT NOT NULL DEFAULT '';
      ALTER TABLE call_rows ADD COLUMN csv_last TEXT NOT NULL DEFAULT '';
      CREATE INDEX call_rows_call ON call_rows(call_id);
      CREATE TRIGGER call_rows_recording_added AFTER INSERT ON recordings BEGIN
        UPDATE call_rows SET recording = ${recordingFiles('NEW.call_id')} WHERE call_id = NEW.call_id;
      END;
      CREATE TRIGGER call_rows_recording_changed AFTER UPDATE ON recordings BEGIN
        UPDATE call_rows SET recording = ${recordingFiles('NEW.call_id')} WHERE call_id = NEW.call_id;
      END;
      CREATE TRIGGER call_rows_recording_removed AFTER DELETE ON recordings BEGIN
        UPDATE call_rows SET recording = ${recordingFiles('OLD.call_id')} WHERE call_id = OLD.call_id;
      END;
    `,
  },
  {
    version: 7,
    name: 'SIP phones provisioned by callctl',
    sql: `
      -- The phones callctl provisions into Asterisk (PJSIP endpoint, auth and AOR of the
      -- same id). The password is not here: it is a 0600 secret file beside the other
      -- secrets, so a copy of the database does not carry it.
      CREATE TABLE phones (
        id TEXT PRIMARY KEY,
        agent TEXT,
        transport TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'users, their roles and API tokens',
    sql: `
      -- Each person who uses the engine's API: role admin, supervisor or agent (and for an
      -- agent, the agent it acts as). Tokens are kept as their SHA-256 only (users/tokens.ts);
      -- old_token_hash is the token replaced or revoked last, so its use is told as revoked.
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        agent TEXT,
        token_hash TEXT UNIQUE,
        old_token_hash TEXT,
        token_issued_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX users_old_token ON users(old_token_hash);
    `,
  },
  {
    version: 9,
    name: 'tickets',
    sql: `
      -- Tickets (工单): derived from the ticket.* events, each row written in the
      -- transaction that appends its events (tickets/ticket-store.ts folds them). seq is the
      -- number in the id (T-000042). calls and comments are JSON arrays; ticket_calls indexes
      -- the calls, so a call (or an agent's calls) finds its tickets. Notes and dispositions
      -- need no table: they are call.note and call.disposition events, found by call id.
      CREATE TABLE tickets (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        category TEXT NOT NULL DEFAULT '',
        assignee_agent TEXT,
        assignee_queue TEXT,
        contact TEXT,
        number TEXT,
        calls TEXT NOT NULL DEFAULT '[]',
        comments TEXT NOT NULL DEFAULT '[]',
        due_ts INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL,
        resolved_at INTEGER,
        reopens INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX tickets_status_due ON tickets(status, due_ts);
      CREATE INDEX tickets_agent ON tickets(assignee_agent) WHERE assignee_agent IS NOT NULL;
      CREATE INDEX tickets_queue ON tickets(assignee_queue) WHERE assignee_queue IS NOT NULL;
      CREATE INDEX tickets_contact ON tickets(contact) WHERE contact IS NOT NULL;
      CREATE TABLE ticket_calls (
        call_id TEXT NOT NULL,
        ticket TEXT NOT NULL,
        PRIMARY KEY (call_id, ticket)
      );
    `,
  },
  {
    version: 10,
    name: 'queue-visit summaries',
    sql: `
      -- One row per queue visit (and a row for other facts of a call on a queue that its
      -- visit's row had no place for): what \`report queues\` counts for the queue, each fact
      -- with its time, kept by the engine as calls end (reports/queue-visits.ts folds them,
      -- reports/visit-rows.ts writes them) so the report reads a row per visit instead of
      -- every event of the period. One row per call also carries the call as a contact for
      -- first-contact resolution (contact_at .. inbound). Derived from the log: the
      -- checkpoint in projections ('queue_visits') says up to which call.started event (id)
      -- every call has its rows; 'queue_visits_span' how long after its start a call's rows
      -- reach. Times are epoch ms; left_as: 1 answered, 2 abandoned, 3 exited, 4 system-ended,
      -- 5 left for another queue's answer or abandon, 0 still waiting. next_contact_at: the
      -- same customer's next inbound call, set when that call's rows are written (the index
      -- finds the contact it follows). simple: a plain visit a report sums in SQL (the others
      -- it reads whole, by the partial index).
      CREATE TABLE queue_visits (
        first_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        queue TEXT NOT NULL,
        entered_at INTEGER,
        overflow_in INTEGER NOT NULL,
        left_at INTEGER,
        left_as INTEGER NOT NULL,
        left_alone INTEGER NOT NULL,
        wait_ms REAL,
        completed_at INTEGER,
        talk_ms REAL NOT NULL,
        hold_ms REAL NOT NULL,
        wrap_from INTEGER,
        wrap_to INTEGER,
        wrap_lost INTEGER NOT NULL,
        callback_requested_at INTEGER,
        callback_completed_at INTEGER,
        overflow_out_at INTEGER,
        contact_at INTEGER,
        customer TEXT,
        answered INTEGER NOT NULL,
        agent TEXT,
        inbound INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        next_contact_at INTEGER,
        simple INTEGER NOT NULL,
        PRIMARY KEY (first_id, seq)
      );
      CREATE INDEX queue_visits_other ON queue_visits(first_id) WHERE simple = 0;
      CREATE INDEX queue_visits_customer ON queue_visits(customer, contact_at) WHERE contact_at IS NOT NULL AND inbound = 1 AND customer <> '';
    `,
  },
]
