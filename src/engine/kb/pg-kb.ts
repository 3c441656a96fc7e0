import type pg from 'pg'
import {containsPattern, int, pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {
  BM25,
  checkLimit,
  foldCase,
  isIndexedTerm,
  mustEntry,
  normalizeTag,
  queryTerms,
  questionExists,
  toHit,
  unknownEntry,
  type CheckedEntry,
  type KbEntry,
  type KbHit,
  type KbInput,
  type KbListOptions,
  type KbSearchOptions,
  type KnowledgeBase,
} from './knowledge-base.js'

// The knowledge base in PostgreSQL (repo-schema.ts version 3). An entry matches when every
// query term is a substring of its case-folded question or answer (the `folded` column,
// folded by callctl): the same rule SQLite's trigram index and short-term scan implement,
// so both stores return the same entries for the same query. pg_trgm's GIN index narrows
// the rows for terms of 3+ characters; shorter ones are scanned.
//
// Ranking can differ from SQLite's. Both use bm25 with a question match weighing five
// answer matches, but SQLite ranks a query with a 3+ character term by FTS5's bm25 over
// trigram tokens (overlapping occurrences, lengths in trigrams, its own idf per phrase),
// while here every query is ranked as SQLite ranks its short-term queries: occurrences
// counted by substring, lengths in characters. Equal or near scores may come in another
// order; what both guarantee (and test/unit/kb.test.ts asserts on both) is the set of
// hits, a question match above an answer-only match, and more occurrences above fewer
// between entries of similar length.

const COLUMNS = 'id, question, answer, tags, created_at, updated_at'

export class PgKnowledgeBase implements KnowledgeBase {
  constructor(private readonly db: PgDatabase) {}

  async add(input: KbInput): Promise<KbEntry> {
    const e = stored(mustEntry(input))
    await this.mustBeNew(e.question)
    const now = Date.now()
    const {rows} = await this.db
      .write(({client}) =>
        client.query(`INSERT INTO kb_entries (question, answer, tags, created_at, updated_at, folded) VALUES ($1, $2, $3, $4, $4, $5) RETURNING ${COLUMNS}`, [
          e.question,
          e.answer,
          e.tags,
          now,
          folded(e),
        ]),
      )
      .catch((err: unknown) => this.duplicate(err, e.question))
    return toEntry(rows[0]!)
  }

  async update(id: number, changes: Partial<KbInput>): Promise<KbEntry> {
    const old = await this.must(id)
    const e = stored(mustEntry({question: changes.question ?? old.question, answer: changes.answer ?? old.answer, tags: changes.tags ?? old.tags}))
    await this.mustBeNew(e.question, id)
    const {rows} = await this.db
      .write(({client}) =>
        client.query(`UPDATE kb_entries SET question = $1, answer = $2, tags = $3, updated_at = $4, folded = $5 WHERE id = $6 RETURNING ${COLUMNS}`, [
          e.question,
          e.answer,
          e.tags,
          Date.now(),
          folded(e),
          id,
        ]),
      )
      .catch((err: unknown) => this.duplicate(err, e.question, id))
    if (!rows[0]) throw unknownEntry(id)
    return toEntry(rows[0])
  }

  async remove(id: number): Promise<KbEntry> {
    const {rows} = await this.db.write(({client}) => client.query(`DELETE FROM kb_entries WHERE id = $1 RETURNING ${COLUMNS}`, [id]))
    if (!rows[0]) throw unknownEntry(id)
    return toEntry(rows[0])
  }

  async get(id: number): Promise<KbEntry | undefined> {
    if (!Number.isSafeInteger(id)) return undefined
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM kb_entries WHERE id = $1`, [id])
    return rows[0] ? toEntry(rows[0]) : undefined
  }

  async list(opts: KbListOptions = {}): Promise<KbEntry[]> {
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    const {rows} = await this.db.pool.query(`SELECT ${COLUMNS} FROM kb_entries e WHERE ${tagFilter('$1')} ORDER BY id LIMIT $2`, [tag, opts.limit ?? null])
    return rows.map(toEntry)
  }

  async count(opts: {tag?: string} = {}): Promise<number> {
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    const {rows} = await this.db.pool.query(`SELECT count(*) AS n FROM kb_entries e WHERE ${tagFilter('$1')}`, [tag])
    return int(rows[0]!.n)
  }

  async importEntries(inputs: readonly KbInput[]): Promise<{added: number; updated: number}> {
    const entries = inputs.map((i) => stored(mustEntry(i)))
    const result = await this.db.write(async ({client}) => {
      const now = Date.now()
      const {rows} = await client.query('SELECT question FROM kb_entries WHERE question = ANY($1::text[]) FOR UPDATE', [entries.map((e) => e.question)])
      const known = new Set(rows.map((r) => r.question as string))
      // One row per question, as if imported one after another (a single upsert may not touch a row twice).
      const byQuestion = new Map<string, CheckedEntry>()
      let added = 0
      let updated = 0
      for (const e of entries) {
        if (known.has(e.question) || byQuestion.has(e.question)) updated++
        else added++
        byQuestion.set(e.question, e)
      }
      const list = [...byQuestion.values()]
      if (list.length > 0) {
        // Tags go as JSON: unnest() would flatten an array of arrays.
        await client.query(
          `INSERT INTO kb_entries (question, answer, tags, created_at, updated_at, folded)
           SELECT q, a, ARRAY(SELECT jsonb_array_elements_text(t::jsonb)), $5, $5, f
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS i(q, a, t, f)
           ON CONFLICT (question) DO UPDATE SET answer = excluded.answer, tags = excluded.tags, updated_at = excluded.updated_at, folded = excluded.folded`,
          [list.map((e) => e.question), list.map((e) => e.answer), list.map((e) => JSON.stringify(e.tags)), list.map(folded), now],
        )
      }
      return {added, updated}
    })
    // The trigram index takes new rows into a pending list, which every search reads whole
    // until a vacuum merges it (on 10,000 entries just imported: 8 ms for a rare term instead
    // of 2). Merged now, in bulk; only the index's owner may, for anyone else autovacuum will.
    await this.db.pool.query("SELECT gin_clean_pending_list('kb_entries_folded')").catch(() => undefined)
    return result
  }

  async search(query: string, opts: KbSearchOptions = {}): Promise<KbHit[]> {
    const terms = queryTerms(query)
    const limit = checkLimit(opts.limit)
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    if (terms.length === 0) return []
    const args: unknown[] = []
    const arg = (v: unknown) => (args.push(v), `$${args.length}`)
    // A term of 1-2 characters has no trigram: the index would be read whole for it (hundreds
    // of ms on 10,000 entries) where a scan takes a few, so its LIKE is on an expression the
    // planner cannot take the index for.
    const has = terms.map((t) => `${isIndexedTerm(t) ? 'folded' : "(folded || '')"} LIKE ${arg(containsPattern(t))}`)
    const {questionWeight: qw, answerWeight: aw, k1, b} = BM25
    // Per term: its frequency (question occurrences weighted), computed once per entry.
    const freq = terms
      .map((t, i) => {
        const term = `${arg(t)}::text`
        const inQuestion = `((length(x.q) - length(replace(x.q, ${term}, ''))) / length(${term}))`
        const inEntry = `((length(e.folded) - length(replace(e.folded, ${term}, ''))) / length(${term}))`
        return `(${qw} * ${inQuestion} + ${aw} * (${inEntry} - ${inQuestion}))::float8 AS f${i}`
      })
      .join(', ')
    const score = terms
      .map((_, i) => `greatest(1e-6, ln((s.n - e.df${i} + 0.5) / (e.df${i} + 0.5))) * f.f${i} * ${k1 + 1} / (f.f${i} + ${k1} * (${1 - b} + ${b} * x.len / s.avg))`)
      .join(' + ')
    // One pass over the entries holding any term gives each term's document frequency (over
    // all tags, as SQLite's: a count over the pass) and the entries holding every term, which
    // are then ranked. The statistics row is read as scalars: one row for the planner however
    // many dead versions its updates left (as a join it estimated thousands of rows, and a
    // cost that had the query JIT-compiled: 350 ms for a 5 ms search).
    const {rows} = await this.query(
      terms.every(isIndexedTerm),
      `SELECT e.id, e.question, e.answer, e.tags, ${score} AS score
       FROM (
         SELECT *${terms.map((_, i) => `, count(*) FILTER (WHERE h${i}) OVER ()::float8 AS df${i}`).join('')}
         FROM (SELECT id, question, answer, tags, folded${has.map((h, i) => `, ${h} AS h${i}`).join('')} FROM kb_entries WHERE ${has.join(' OR ')}) any_term
       ) e
         CROSS JOIN (SELECT (SELECT entries::float8 FROM kb_stats) AS n, (SELECT coalesce(nullif(chars::float8 / nullif(entries, 0), 0), 1) FROM kb_stats) AS avg) s
         CROSS JOIN LATERAL (SELECT split_part(e.folded, E'\\n', 1) AS q, length(e.question) + length(e.answer) AS len) x
         CROSS JOIN LATERAL (SELECT ${freq}) f
       WHERE ${terms.map((_, i) => `e.h${i}`).join(' AND ')} AND ${tagFilter(arg(tag))}
       ORDER BY score DESC, e.id LIMIT ${arg(limit)}`,
      args,
    )
    return rows.map((r) => toHit({id: int(r.id), question: r.question as string, answer: r.answer as string, tags: r.tags as string[]}, terms, Number(r.score)))
  }

  /**
   * A search, on the trigram index when `indexed`. The planner prices a LIKE on a long text
   * like any operator, so for a term in a few percent of the entries it scans them all
   * (two terms: 17 ms on 10,000 entries) rather than recheck the index's candidates (3 ms).
   */
  private async query(indexed: boolean, text: string, args: unknown[]): Promise<pg.QueryResult> {
    if (!indexed) return this.db.pool.query(text, args)
    const client = await this.db.pool.connect()
    let broken = false
    try {
      // jit off too: a disabled scan is priced 10^10, enough to have the plan compiled (300+ ms).
      await client.query('BEGIN READ ONLY; SET LOCAL enable_seqscan = off; SET LOCAL jit = off')
      const result = await client.query(text, args)
      await client.query('COMMIT')
      return result
    } catch (err) {
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      )
      throw err
    } finally {
      client.release(broken)
    }
  }

  private async mustBeNew(question: string, except?: number): Promise<void> {
    const {rows} = await this.db.pool.query('SELECT id FROM kb_entries WHERE question = $1 AND id IS DISTINCT FROM $2', [question, except ?? null])
    if (rows[0]) throw questionExists(int(rows[0].id))
  }

  /** A unique violation from a concurrent add of the same question, as the UserError mustBeNew gives. */
  private async duplicate(err: unknown, question: string, except?: number): Promise<never> {
    if ((err as {code?: string}).code === '23505') await this.mustBeNew(question, except)
    throw err
  }

  private async must(id: number): Promise<KbEntry> {
    const e = await this.get(id)
    if (!e) throw unknownEntry(id)
    return e
  }
}

function tagFilter(param: string): string {
  return `(${param}::text IS NULL OR e.tags @> ARRAY[${param}::text])`
}

/** The entry as PostgreSQL can hold it (see pgText). */
function stored(e: CheckedEntry): CheckedEntry {
  return {question: pgText(e.question), answer: pgText(e.answer), tags: e.tags}
}

/** What search matches against; a query term never holds the line feed between the two. */
export function folded(e: {question: string; answer: string}): string {
  return `${foldCase(e.question)}\n${foldCase(e.answer)}`
}

function toEntry(r: Record<string, unknown>): KbEntry {
  return {id: int(r.id), question: r.question as string, answer: r.answer as string, tags: r.tags as string[], createdAt: int(r.created_at), updatedAt: int(r.updated_at)}
}
