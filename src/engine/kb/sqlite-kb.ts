import type Database from 'better-sqlite3'
import {
  BM25,
  bm25Idf,
  checkLimit,
  foldCase,
  isIndexedTerm,
  mustEntry,
  normalizeTag,
  queryTerms,
  questionExists,
  toHit,
  unknownEntry,
  type KbEntry,
  type KbHit,
  type KbInput,
  type KbListOptions,
  type KbSearchOptions,
  type KnowledgeBase,
} from './knowledge-base.js'

// Search runs one of two ways. With a term of 3+ characters, the trigram index finds the
// candidates and bm25() ranks them (question weighted 5:1: the rank set in migration 3); any
// 1-2 character terms filter those candidates by substring. A query of short terms only
// (退款, 密码 发票) cannot use bm25(): each term is looked up as the indexed trigrams starting with
// it (the index pads every text so there always is one), which gives the candidates, and they
// are ranked here with the same bm25 formula over substring counts.

/** A short term starting more trigrams than this (a single common letter) is matched by scanning. */
const MAX_TRIGRAMS_PER_TERM = 64

interface Row {
  id: number
  question: string
  answer: string
  tags: string
  created_at: number
  updated_at: number
}

type Scored = {id: number; score: number}

export class SqliteKnowledgeBase implements KnowledgeBase {
  private readonly statements = new Map<string, Database.Statement>()

  constructor(private readonly db: Database.Database) {
    // SQLite's lower() folds ASCII only; short terms with other cased letters use this.
    db.function('kb_fold', {deterministic: true}, (s: unknown) => (typeof s === 'string' ? foldCase(s) : s))
  }

  async add(input: KbInput): Promise<KbEntry> {
    const e = mustEntry(input)
    this.mustBeNew(e.question)
    const now = Date.now()
    const info = this.sql('INSERT INTO kb_entries (question, answer, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(e.question, e.answer, JSON.stringify(e.tags), now, now)
    return this.must(Number(info.lastInsertRowid))
  }

  async update(id: number, changes: Partial<KbInput>): Promise<KbEntry> {
    const old = this.must(id)
    const e = mustEntry({question: changes.question ?? old.question, answer: changes.answer ?? old.answer, tags: changes.tags ?? old.tags})
    this.mustBeNew(e.question, id)
    this.sql('UPDATE kb_entries SET question = ?, answer = ?, tags = ?, updated_at = ? WHERE id = ?').run(e.question, e.answer, JSON.stringify(e.tags), Date.now(), id)
    return this.must(id)
  }

  async remove(id: number): Promise<KbEntry> {
    const old = this.must(id)
    this.sql('DELETE FROM kb_entries WHERE id = ?').run(id)
    return old
  }

  async get(id: number): Promise<KbEntry | undefined> {
    const row = this.sql('SELECT * FROM kb_entries WHERE id = ?').get(id) as Row | undefined
    return row && toEntry(row)
  }

  async list(opts: KbListOptions = {}): Promise<KbEntry[]> {
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    const limit = opts.limit ?? -1
    return (this.sql(`SELECT * FROM kb_entries e WHERE ${TAG_FILTER} ORDER BY id LIMIT @limit`).all({tag, limit}) as Row[]).map(toEntry)
  }

  async count(opts: {tag?: string} = {}): Promise<number> {
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    return (this.sql(`SELECT count(*) AS n FROM kb_entries e WHERE ${TAG_FILTER}`).get({tag}) as {n: number}).n
  }

  async importEntries(inputs: readonly KbInput[]): Promise<{added: number; updated: number}> {
    const entries = inputs.map((i) => mustEntry(i))
    const find = this.sql('SELECT id FROM kb_entries WHERE question = ?')
    const insert = this.sql('INSERT INTO kb_entries (question, answer, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
    const change = this.sql('UPDATE kb_entries SET answer = ?, tags = ?, updated_at = ? WHERE id = ?')
    return this.db.transaction(() => {
      const now = Date.now()
      let added = 0
      let updated = 0
      for (const e of entries) {
        const known = find.get(e.question) as {id: number} | undefined
        if (known) (change.run(e.answer, JSON.stringify(e.tags), now, known.id), updated++)
        else (insert.run(e.question, e.answer, JSON.stringify(e.tags), now, now), added++)
      }
      return {added, updated}
    })()
  }

  async search(query: string, opts: KbSearchOptions = {}): Promise<KbHit[]> {
    const terms = queryTerms(query)
    const limit = checkLimit(opts.limit)
    const tag = opts.tag === undefined ? null : normalizeTag(opts.tag)
    if (terms.length === 0) return []
    const long = terms.filter(isIndexedTerm)
    const short = terms.filter((t) => !isIndexedTerm(t))
    const ranked = long.length > 0 ? this.rankByIndex(long, short, tag, limit) : this.rankShortTerms(short, tag, limit)
    if (ranked.length === 0) return []
    const rows = new Map((this.sql('SELECT * FROM kb_entries WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ranked.map((r) => r.id))) as Row[]).map((r) => [r.id, r]))
    return ranked.flatMap(({id, score}) => {
      const row = rows.get(id)
      return row ? [toHit(toEntry(row), terms, score)] : []
    })
  }

  private rankByIndex(long: string[], short: string[], tag: string | null, limit: number): Scored[] {
    const filters = short.map((t, i) => ` AND ${contains(t, `@s${i}`)}`).join('')
    const sql = `SELECT e.id, -kb_fts.rank AS score FROM kb_fts JOIN kb_entries e ON e.id = kb_fts.rowid
      WHERE kb_fts MATCH @match AND ${TAG_FILTER}${filters}
      ORDER BY kb_fts.rank, e.id LIMIT @limit`
    return this.sql(sql).all({match: long.map(ftsString).join(' AND '), tag, limit, ...named('s', short)}) as Scored[]
  }

  private rankShortTerms(terms: string[], tag: string | null, limit: number): Scored[] {
    const stats = this.sql('SELECT entries, chars FROM kb_stats').get() as {entries: number; chars: number}
    const groups = terms.map((t) => this.trigramsStarting(t))
    if (stats.entries === 0 || groups.some((g) => g?.length === 0)) return []
    const match = groups.flatMap((g) => (g ? [anyOf(g)] : [])).join(' AND ')
    // The substring conditions decide; the index only narrows the rows they are tried on.
    const rows = this.sql(
      `SELECT e.id, length(e.question) + length(e.answer)${terms.map((t, i) => `, ${occurrences(t, 'e.question', `@s${i}`)}, ${occurrences(t, 'e.answer', `@s${i}`)}`).join('')}
       FROM kb_entries e
       WHERE ${match ? 'e.id IN (SELECT rowid FROM kb_fts WHERE kb_fts MATCH @match) AND ' : ''}${TAG_FILTER}
         ${terms.map((t, i) => ` AND ${contains(t, `@s${i}`)}`).join('')}`,
    )
      .raw(true)
      .all({tag, ...(match ? {match} : {}), ...named('s', terms)}) as number[][]
    // A lone term without a tag filter is in exactly the rows found. A term too common to look
    // up is in about every entry: it gets the lowest weight.
    const df = groups.map((g) => {
      if (terms.length === 1 && tag === null) return rows.length
      return g ? (this.sql('SELECT count(*) AS n FROM kb_fts WHERE kb_fts MATCH ?').get(anyOf(g)) as {n: number}).n : stats.entries
    })
    const idf = df.map((d) => bm25Idf(stats.entries, d))
    const avgLen = stats.chars / stats.entries || 1
    return rows
      .map((r) => {
        let score = 0
        for (let i = 0; i < terms.length; i++) {
          const f = BM25.questionWeight * r[2 + 2 * i]! + BM25.answerWeight * r[3 + 2 * i]!
          score += (idf[i]! * f * (BM25.k1 + 1)) / (f + BM25.k1 * (1 - BM25.b + (BM25.b * r[1]!) / avgLen))
        }
        return {id: r[0]!, score}
      })
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, limit)
  }

  /**
   * The indexed trigrams a 1-2 character term starts: [] if none (no entry contains it), or
   * undefined when the index cannot be used for it. The index folds case its own way, which
   * matches ours for ASCII and for scripts without case; other terms are only scanned for.
   */
  private trigramsStarting(term: string): string[] | undefined {
    if (!/^[\x00-\x7f]*$/.test(term) && term.toUpperCase() !== term) return undefined
    const found = this.sql('SELECT term FROM kb_vocab WHERE term >= @t AND term < @t || char(1114111) LIMIT @n')
      .pluck()
      .all({t: term, n: MAX_TRIGRAMS_PER_TERM + 1}) as string[]
    return found.length > MAX_TRIGRAMS_PER_TERM ? undefined : found
  }

  private mustBeNew(question: string, except?: number): void {
    const other = this.sql('SELECT id FROM kb_entries WHERE question = ? AND id IS NOT ?').get(question, except ?? null) as {id: number} | undefined
    if (other) throw questionExists(other.id)
  }

  private must(id: number): KbEntry {
    const row = this.sql('SELECT * FROM kb_entries WHERE id = ?').get(id) as Row | undefined
    if (!row) throw unknownEntry(id)
    return toEntry(row)
  }

  private sql(text: string): Database.Statement {
    let s = this.statements.get(text)
    if (s) return s
    // Search SQL has one shape per kind of query: in a long-running engine, keep only the recent ones.
    if (this.statements.size >= 200) this.statements.clear()
    this.statements.set(text, (s = this.db.prepare(text)))
    return s
  }
}

const TAG_FILTER = '(@tag IS NULL OR EXISTS (SELECT 1 FROM json_each(e.tags) WHERE value = @tag))'

/** Inside double quotes nothing is FTS5 syntax: AND, NEAR, *, ( and column names are just text. */
function ftsString(text: string): string {
  return `"${text.replaceAll('"', '""')}"`
}

function anyOf(trigrams: readonly string[]): string {
  return `(${trigrams.map(ftsString).join(' OR ')})`
}

function named(prefix: string, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((v, i) => [`${prefix}${i}`, v]))
}

/** The column as the (already folded) term must be compared with: folding costs, so only when needed. */
function folded(term: string, column: string): string {
  if (term.toUpperCase() === term) return column
  return /^[\x00-\x7f]*$/.test(term) ? `lower(${column})` : `kb_fold(${column})`
}

function contains(term: string, param: string): string {
  return `(instr(${folded(term, 'e.question')}, ${param}) > 0 OR instr(${folded(term, 'e.answer')}, ${param}) > 0)`
}

function occurrences(term: string, column: string, param: string): string {
  return `(length(${column}) - length(replace(${folded(term, column)}, ${param}, ''))) / ${[...term].length}`
}

function toEntry(r: Row): KbEntry {
  return {id: r.id, question: r.question, answer: r.answer, tags: JSON.parse(r.tags) as string[], createdAt: r.created_at, updatedAt: r.updated_at}
}
