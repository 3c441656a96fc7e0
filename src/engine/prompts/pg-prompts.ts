import {pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {toPrompt, type PromptRecord, type PromptRepository} from './prompt-store.js'

/** Prompts in PostgreSQL (repo-schema.ts version 2); answers as SqlitePromptRepository does. */
export class PgPromptRepository implements PromptRepository {
  constructor(private readonly db: PgDatabase) {}

  async save(p: PromptRecord): Promise<void> {
    await this.db.write(({client}) =>
      client.query(
        `INSERT INTO prompts (name, language, file, source, text, duration_ms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (name, language) DO UPDATE SET file = excluded.file, source = excluded.source, text = excluded.text, duration_ms = excluded.duration_ms, created_at = excluded.created_at`,
        [pgText(p.name), pgText(p.language), pgText(p.file), p.source, pgText(p.text), p.durationMs, p.createdAt],
      ),
    )
  }

  async list(): Promise<PromptRecord[]> {
    const {rows} = await this.db.pool.query('SELECT name, language, file, source, text, duration_ms, created_at FROM prompts ORDER BY name, language')
    return rows.map(toPrompt)
  }

  async remove(name: string, language?: string): Promise<number> {
    return this.db.write(async ({client}) => {
      const r = language
        ? await client.query('DELETE FROM prompts WHERE name = $1 AND language = $2', [pgText(name), pgText(language)])
        : await client.query('DELETE FROM prompts WHERE name = $1', [pgText(name)])
      return r.rowCount ?? 0
    })
  }
}
