/** Versioned schema changes, applied in order, each in its own transaction. Never edit a shipped one. */
export interface Migration {
  version: number
  name: string
  sql: string
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
]
