import {UserError} from '../util/errors.js'

// The knowledge base as the rest of callctl sees it. Only sqlite-kb.ts and pg-kb.ts know SQL; the rules
// here (what an entry may hold, how a query splits into terms, what a snippet looks like)
// are shared so another backend (PostgreSQL) answers the same way.

export interface KbEntry {
  id: number
  question: string
  answer: string
  tags: string[]
  createdAt: number
  updatedAt: number
}

export interface KbInput {
  question: string
  answer: string
  tags?: readonly string[] | string
}

export interface KbHit {
  id: number
  question: string
  tags: string[]
  /** Where the entry matched, matches between MARK_OPEN and MARK_CLOSE. */
  snippet: string
  /** Higher is better; comparable within one search only. */
  score: number
}

export interface KbSearchOptions {
  limit?: number
  tag?: string
}

export interface KbListOptions {
  limit?: number
  tag?: string
}

export interface KnowledgeBase {
  add(input: KbInput): Promise<KbEntry>
  update(id: number, changes: Partial<KbInput>): Promise<KbEntry>
  remove(id: number): Promise<KbEntry>
  get(id: number): Promise<KbEntry | undefined>
  list(opts?: KbListOptions): Promise<KbEntry[]>
  count(opts?: {tag?: string}): Promise<number>
  /** Entries containing every term of the query, best first. */
  search(query: string, opts?: KbSearchOptions): Promise<KbHit[]>
  /** Adds new questions and replaces the answer and tags of known ones, all or nothing. */
  importEntries(inputs: readonly KbInput[]): Promise<{added: number; updated: number}>
}

export const MARK_OPEN = '«'
export const MARK_CLOSE = '»'
export const MAX_QUERY_LENGTH = 200
export const MAX_QUERY_TERMS = 16
export const MAX_LIMIT = 100
export const DEFAULT_LIMIT = 10
/** The trigram index only finds terms at least this long; shorter ones need a scan. */
export const MIN_INDEXED_TERM = 3
const MAX_QUESTION = 500
const MAX_ANSWER = 20_000
const MAX_TAG = 40
const MAX_TAGS = 20

export interface CheckedEntry {
  question: string
  answer: string
  tags: string[]
}

/** The entry as stored, or the reasons it cannot be (import reports them all at once). */
export function checkEntry(input: {question?: unknown; answer?: unknown; tags?: unknown}): {entry?: CheckedEntry; problems: string[]} {
  const problems: string[] = []
  const question = textField('question', input.question, MAX_QUESTION, problems)?.replace(/\s+/g, ' ')
  const answer = textField('answer', input.answer, MAX_ANSWER, problems)?.replace(/\r\n?/g, '\n')
  const tags = parseTags(input.tags, problems)
  return question !== undefined && answer !== undefined && problems.length === 0 ? {entry: {question, answer, tags}, problems} : {problems}
}

export function mustEntry(input: {question?: unknown; answer?: unknown; tags?: unknown}): CheckedEntry {
  const {entry, problems} = checkEntry(input)
  if (entry) return entry
  throw new UserError(`Invalid knowledge base entry: ${problems.join('; ')}`, {
    suggestion: `Give a question and an answer, and tags separated by commas, e.g. --tags billing,refund`,
    exitCode: 2,
    code: 'invalid_entry',
  })
}

/** Trimmed text, or undefined with the reason in `problems`. */
function textField(name: string, value: unknown, max: number, problems: string[]): string | undefined {
  const text = typeof value === 'string' ? value.trim() : undefined
  if (value !== undefined && value !== null && text === undefined) problems.push(`${name} must be text`)
  else if (!text) problems.push(`${name} is empty`)
  else if ([...text].length > max) problems.push(`${name} is longer than ${max} characters`)
  else return text
  return undefined
}

/** "Billing, 退款;billing" → ["billing", "退款"]: tags compare case-insensitively. */
function parseTags(raw: unknown, problems: string[]): string[] {
  if (raw === undefined || raw === null) return []
  const parts = typeof raw === 'string' ? raw.split(/[,;，；、]/) : Array.isArray(raw) ? raw : null
  if (!parts || parts.some((p) => typeof p !== 'string' && typeof p !== 'number')) {
    problems.push('tags must be text separated by commas, or a list')
    return []
  }
  const tags = [...new Set(parts.map((p) => normalizeTag(String(p))).filter((t) => t !== ''))]
  const long = tags.find((t) => [...t].length > MAX_TAG)
  if (long) problems.push(`tag "${long.slice(0, MAX_TAG)}…" is longer than ${MAX_TAG} characters`)
  if (tags.some((t) => /[\p{Cc}]/u.test(t))) problems.push('tags may not contain control characters')
  if (tags.length > MAX_TAGS) problems.push(`more than ${MAX_TAGS} tags`)
  return tags
}

export function normalizeTag(tag: string): string {
  return tag.trim().replace(/\s+/g, ' ').toLowerCase()
}

export function parseEntryId(text: string): number {
  const id = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : NaN
  if (Number.isSafeInteger(id) && id > 0) return id
  throw new UserError(`Invalid entry id "${text}"`, {suggestion: 'Use the number shown by: callctl kb list', exitCode: 2, code: 'invalid_id'})
}

export function unknownEntry(id: number): UserError {
  return new UserError(`Knowledge base entry ${id} does not exist`, {suggestion: 'See the entries with: callctl kb list', exitCode: 1, code: 'unknown_entry'})
}

export function questionExists(id: number): UserError {
  return new UserError(`Knowledge base entry ${id} already has this question`, {
    suggestion: `Remove it first (callctl kb remove ${id}), or import a file with the new answer: an import updates entries by question`,
    exitCode: 1,
    code: 'exists',
  })
}

export function checkLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_LIMIT
  if (Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT) return n
  throw new UserError(`Invalid limit ${limit}`, {suggestion: `Use a whole number from 1 to ${MAX_LIMIT}`, exitCode: 2, code: 'invalid_limit'})
}

/**
 * The distinct terms of a query, case-folded. Whitespace, punctuation, symbols and control
 * characters separate terms, so no quote, *, parenthesis or colon reaches the search engine
 * and a query can never be read as search syntax. A query with no terms left (only
 * punctuation) finds nothing rather than failing.
 */
export function queryTerms(query: string): string[] {
  const trimmed = query.trim()
  if (!trimmed) throw new UserError('The search query is empty', {suggestion: 'Give a word or phrase, e.g. callctl kb search 退款', exitCode: 2, code: 'empty_query'})
  if ([...trimmed].length > MAX_QUERY_LENGTH) {
    throw new UserError(`The search query is longer than ${MAX_QUERY_LENGTH} characters`, {suggestion: 'Search for a few key words instead of a whole text', exitCode: 2, code: 'query_too_long'})
  }
  const terms = [...new Set(foldCase(trimmed).split(/[\s\p{P}\p{S}\p{C}]+/u).filter((t) => t !== ''))]
  if (terms.length > MAX_QUERY_TERMS) {
    throw new UserError(`The search query has more than ${MAX_QUERY_TERMS} words`, {suggestion: 'Search for a few key words; every word must appear in an entry', exitCode: 2, code: 'query_too_long'})
  }
  return terms
}

export function isIndexedTerm(term: string): boolean {
  return [...term].length >= MIN_INDEXED_TERM
}

/** Lower case, one code point at a time, so indexes into the result are indexes into the input. */
export function foldCase(s: string): string {
  let out = ''
  for (const ch of s) {
    const lower = ch.toLowerCase()
    out += lower.length === ch.length ? lower : ch
  }
  return out
}

/**
 * Ranking where the store computes bm25 itself: a term's frequency is its occurrences in
 * the question times QUESTION_WEIGHT plus those in the answer, the length is the entry's
 * characters. The same formula and weights as SQLite's bm25(5.0, 1.0) over trigrams.
 */
export const BM25 = {questionWeight: 5, answerWeight: 1, k1: 1.2, b: 0.75} as const

/** bm25's idf for a term in `df` of `entries` entries; a term in most entries still counts a little. */
export function bm25Idf(entries: number, df: number): number {
  return Math.max(1e-6, Math.log((entries - df + 0.5) / (df + 0.5)))
}

/** A search hit: the snippet comes from the answer when a term is there, else from the question. */
export function toHit(e: {id: number; question: string; answer: string; tags: string[]}, terms: readonly string[], score: number): KbHit {
  const answer = foldCase(e.answer)
  const inAnswer = terms.some((t) => answer.includes(t))
  return {id: e.id, question: e.question, tags: e.tags, snippet: makeSnippet(inAnswer ? e.answer : e.question, terms), score}
}

const SNIPPET_WIDTH = 72

/**
 * The part of `text` (on one line, at most about SNIPPET_WIDTH terminal columns) that holds
 * the most distinct terms, each match marked. Text without a match gives its beginning.
 */
export function makeSnippet(text: string, terms: readonly string[], width = SNIPPET_WIDTH): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const marks = findMatches(foldCase(flat), terms)
  // Windows start a little before each match in turn; both ends only move right, so the
  // matches inside are kept as a sliding range with a count per term.
  let best = {start: 0, distinct: -1, count: 0}
  const perTerm = new Map<string, number>()
  let lo = 0
  let hi = 0
  for (const m of marks) {
    const start = wordStart(flat, backUp(flat, m.start, Math.floor(width / 6)), m.start)
    const end = advance(flat, start, width)
    for (; hi < marks.length && marks[hi]!.start < end; hi++) perTerm.set(marks[hi]!.term, (perTerm.get(marks[hi]!.term) ?? 0) + 1)
    for (; lo < hi && marks[lo]!.start < start; lo++) perTerm.set(marks[lo]!.term, perTerm.get(marks[lo]!.term)! - 1)
    let distinct = 0
    for (const n of perTerm.values()) if (n > 0) distinct++
    if (distinct > best.distinct || (distinct === best.distinct && hi - lo > best.count)) best = {start, distinct, count: hi - lo}
  }
  // A window that reaches the end shows as much as fits before its matches too.
  const start = advance(flat, best.start, width) === flat.length ? Math.min(best.start, backUp(flat, flat.length, width)) : best.start
  const end = advance(flat, start, width)
  let out = start > 0 ? '…' : ''
  let at = start
  for (const m of mergeRanges(marks.filter((x) => x.end > start && x.start < end))) {
    const s = Math.max(m.start, start)
    const e = Math.min(m.end, end)
    out += flat.slice(at, s) + MARK_OPEN + flat.slice(s, e) + MARK_CLOSE
    at = e
  }
  return out + flat.slice(at, end) + (end < flat.length ? '…' : '')
}

interface Match {
  start: number
  end: number
  term: string
}

function findMatches(folded: string, terms: readonly string[]): Match[] {
  const out: Match[] = []
  for (const term of terms) {
    // Bounded so a one-letter term in a long answer stays cheap.
    let n = 0
    for (let i = folded.indexOf(term); i >= 0 && n++ < 200; i = folded.indexOf(term, i + term.length)) {
      out.push({start: i, end: i + term.length, term})
    }
  }
  return out.sort((a, b) => a.start - b.start || b.end - a.end)
}

function mergeRanges(sorted: readonly Match[]): {start: number; end: number}[] {
  const out: {start: number; end: number}[] = []
  for (const m of sorted) {
    const last = out.at(-1)
    if (last && m.start <= last.end) last.end = Math.max(last.end, m.end)
    else out.push({start: m.start, end: m.end})
  }
  return out
}

/** Start up to `columns` columns before `index`, not inside a surrogate pair. */
function backUp(s: string, index: number, columns: number): number {
  let i = index
  let used = 0
  while (i > 0) {
    const step = isLowSurrogate(s.charCodeAt(i - 1)) && i > 1 ? 2 : 1
    used += columns_(s.codePointAt(i - step)!)
    if (used > columns) break
    i -= step
  }
  return i
}

/** Begin at a word rather than in one, where the text has spaces and one starts before the match. */
function wordStart(s: string, start: number, match: number): number {
  if (start === 0 || s[start - 1] === ' ') return start
  const space = s.indexOf(' ', start)
  return space >= 0 && space < match ? space + 1 : start
}

/** The index `columns` columns after `start`, on a code point boundary. */
function advance(s: string, start: number, columns: number): number {
  let i = start
  let used = 0
  while (i < s.length) {
    const cp = s.codePointAt(i)!
    used += columns_(cp)
    if (used > columns) break
    i += cp > 0xffff ? 2 : 1
  }
  return i
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

// CJK and full-width forms take two terminal columns.
function columns_(cp: number): number {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd) ? 2 : 1
}
