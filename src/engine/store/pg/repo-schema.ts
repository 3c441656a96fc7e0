/** A versioned PostgreSQL schema change, applied in order in its own transaction (pg-migrations.ts). Never edit a shipped one. */
export interface PgMigration {
  version: number
  name: string
  sql: string
}

/**
 * PostgreSQL schema versions 2..n: the repositories' tables (contacts, blacklist, flows,
 * prompts, knowledge base, recordings, phones, call summaries). Applied after the core
 * (version 1, pg-migrations.ts), in order.
 */
export const REPO_MIGRATIONS: PgMigration[] = []
