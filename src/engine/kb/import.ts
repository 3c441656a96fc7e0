import {readFileSync, statSync} from 'node:fs'
import {extname} from 'node:path'
import {parse} from 'csv-parse/sync'
import {isMap, isSeq} from 'yaml'
import {parseYaml, positionOf, toJS} from '../config/yaml-errors.js'
import {UserError} from '../util/errors.js'
import {safeText} from '../util/text.js'
import {checkEntry, type KbInput, type KnowledgeBase} from './knowledge-base.js'

// FAQ files from spreadsheets (CSV) or hand-written (YAML). A file is imported whole or not
// at all: every bad row is reported with its line, and one bad row keeps all the others out.

const MAX_FILE_BYTES = 50 * 1024 * 1024
// An unclosed quote swallows the rest of the file; stop it long before that.
const MAX_RECORD_CHARS = 256 * 1024
const FIELDS = ['question', 'answer', 'tags'] as const
const SHOWN_BAD_ROWS = 5

export type KbFileFormat = 'csv' | 'yaml'

export interface BadRow {
  /** Line where the record starts (the CSV header is line 1). */
  line: number
  reason: string
}

export interface KbImportReport {
  file: string
  format: KbFileFormat
  entries: number
  /** With dryRun: 0, nothing is written. */
  added: number
  updated: number
  dryRun: boolean
}

export class KbImportError extends UserError {
  constructor(
    readonly file: string,
    readonly bad: readonly BadRow[],
  ) {
    const shown = bad.slice(0, SHOWN_BAD_ROWS).map((b) => `line ${b.line}: ${b.reason}`)
    if (bad.length > SHOWN_BAD_ROWS) shown.push(`and ${bad.length - SHOWN_BAD_ROWS} more`)
    super(`${file}: ${bad.length} bad row${bad.length === 1 ? '' : 's'}, nothing imported. ${shown.join('; ')}`, {
      suggestion: 'Fix those lines and import the file again (an import is all or nothing)',
      exitCode: 2,
      code: 'invalid_rows',
    })
    this.name = 'KbImportError'
  }
}

interface Row {
  line: number
  input: KbInput
}

/** A record as read: its fields, or why it could not be read as an entry. */
type Raw = {line: number; reason: string} | {line: number; input: Record<string, unknown>}

export async function importKbFile(kb: KnowledgeBase, path: string, opts: {dryRun?: boolean} = {}): Promise<KbImportReport> {
  const format = formatOf(path)
  let size: number
  try {
    size = statSync(path).size
  } catch (e) {
    throw new UserError(`Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {suggestion: 'Check the path and its permissions.', exitCode: 2, code: 'unreadable'})
  }
  if (size > MAX_FILE_BYTES) throw new UserError(`${path} is larger than ${MAX_FILE_BYTES / 1048576} MB`, {suggestion: 'Split the file and import the parts.', exitCode: 2})
  return importKb(kb, readFileSync(path), {file: path, format, dryRun: opts.dryRun})
}

export async function importKb(kb: KnowledgeBase, bytes: Uint8Array, opts: {file: string; format: KbFileFormat; dryRun?: boolean}): Promise<KbImportReport> {
  const text = decodeUtf8(bytes, opts.file)
  const rows = opts.format === 'csv' ? readCsv(text, opts.file) : readYaml(text, opts.file)
  const report = {file: opts.file, format: opts.format, entries: rows.length, added: 0, updated: 0, dryRun: opts.dryRun ?? false}
  if (report.dryRun) return report
  return {...report, ...(await kb.importEntries(rows.map((r) => r.input)))}
}

export function formatOf(path: string): KbFileFormat {
  const ext = extname(path).toLowerCase()
  if (ext === '.csv') return 'csv'
  if (ext === '.yaml' || ext === '.yml') return 'yaml'
  throw new UserError(`Cannot tell the format of ${path}`, {suggestion: 'Name the file .csv (columns question,answer,tags) or .yaml (a list of {question, answer, tags})', exitCode: 2, code: 'unknown_format'})
}

function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    // TextDecoder drops a UTF-8 byte order mark itself; fatal rejects GBK and other encodings.
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new UserError(`${file} is not UTF-8 text`, {suggestion: `Save it as UTF-8 (Excel: "CSV UTF-8"), or convert it: iconv -f GBK -t UTF-8 ${file}`, exitCode: 2, code: 'not_utf8'})
  }
}

function readCsv(text: string, file: string): Row[] {
  let records: {record: string[]; raw: string; info: {lines: number}}[]
  try {
    records = parse(text, {info: true, raw: true, relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS, record_delimiter: ['\r\n', '\n', '\r']})
  } catch (e) {
    const err = e as Error & {lines?: number}
    throw new UserError(`${file}${err.lines ? `:${err.lines}` : ''}: not valid CSV: ${safeText(err.message, 200)}`, {suggestion: 'Quote cells that contain commas, quotes or line breaks ("like ""this"""), and close every quote.', exitCode: 2, code: 'invalid_file'})
  }
  const header = records.shift()
  const names = header?.record.map((h) => h.trim().toLowerCase()) ?? []
  const index = new Map(names.map((n, i) => [n, i]))
  const unknown = names.filter((n) => !(FIELDS as readonly string[]).includes(n))
  if (!index.has('question') || !index.has('answer') || unknown.length > 0 || index.size !== names.length) {
    throw new UserError(`${file}:${header ? startLine(header) : 1}: the first line must be the header question,answer,tags`, {
      suggestion: `Found: ${safeText(header?.record.join(',') ?? '(empty file)', 100)}. The tags column may be left out; column order does not matter.`,
      exitCode: 2,
      code: 'invalid_file',
    })
  }
  const rows = records.map((r): Raw => {
    const line = startLine(r)
    if (r.record.length !== names.length) return {line, reason: `${r.record.length} columns where the header has ${names.length} (an unquoted comma?)`}
    const cell = (f: string) => (index.has(f) ? r.record[index.get(f)!] : undefined)
    return {line, input: {question: cell('question'), answer: cell('answer'), tags: cell('tags')}}
  })
  return checkRows(rows, file)
}

/** csv-parse counts lines to the end of a record; a quoted cell may span several. */
function startLine(r: {raw: string; info: {lines: number}}): number {
  const body = r.raw.replace(/^(?:\r\n|\n|\r)+/, '').replace(/(?:\r\n|\n|\r)$/, '')
  return r.info.lines - (body.match(/\r\n|\n|\r/g)?.length ?? 0)
}

function readYaml(text: string, file: string): Row[] {
  // A knowledge base is data, not configuration: the file-size cap above applies, not the config files' 1 MiB.
  const d = parseYaml(text, file, {maxBytes: MAX_FILE_BYTES})
  const top = d.doc.contents
  if (top === null) return checkRows([], file)
  if (!isSeq(top)) {
    throw new UserError(`${file}:${positionOf(d, []).line}: expected a list of entries`, {suggestion: 'Write each entry as "- question: ...", with answer: and tags: under it', exitCode: 2, code: 'invalid_file'})
  }
  let values: unknown[]
  try {
    values = toJS(d) as unknown[]
  } catch (e) {
    // e.g. aliases expanding into more data than any FAQ file needs
    throw new UserError(`${file}: ${safeText((e as Error).message, 200)}`, {suggestion: 'Write the entries out without YAML aliases', exitCode: 2, code: 'invalid_file'})
  }
  const rows = top.items.map((item, i): Raw => {
    const line = positionOf(d, [i]).line
    if (!isMap(item)) return {line, reason: 'an entry must be a mapping with question, answer and tags'}
    const value = values[i] as Record<string, unknown>
    const unknown = Object.keys(value).filter((k) => !(FIELDS as readonly string[]).includes(k))
    if (unknown.length > 0) return {line, reason: `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => safeText(k, 40)).join(', ')} (expected question, answer, tags)`}
    const text = (v: unknown) => (typeof v === 'number' ? String(v) : v)
    return {line, input: {question: text(value.question), answer: text(value.answer), tags: value.tags}}
  })
  return checkRows(rows, file)
}

function checkRows(rows: readonly Raw[], file: string): Row[] {
  if (rows.length === 0) throw new UserError(`${file} has no entries`, {suggestion: 'Add entries after the header (CSV) or as a list (YAML)', exitCode: 2, code: 'empty_file'})
  const bad: BadRow[] = []
  const good: Row[] = []
  const firstLine = new Map<string, number>()
  for (const r of rows) {
    if ('reason' in r) {
      bad.push(r)
      continue
    }
    const {entry, problems} = checkEntry(r.input)
    if (entry) {
      const first = firstLine.get(entry.question)
      if (first !== undefined) problems.push(`same question as line ${first}`)
      else firstLine.set(entry.question, r.line)
    }
    if (!entry || problems.length > 0) bad.push({line: r.line, reason: problems.join('; ')})
    else good.push({line: r.line, input: entry})
  }
  if (bad.length > 0) throw new KbImportError(file, bad)
  return good
}
