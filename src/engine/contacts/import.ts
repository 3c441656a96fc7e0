import {readFileSync, statSync} from 'node:fs'
import {parse} from 'csv-parse/sync'
import iconv from 'iconv-lite'
import {UserError} from '../util/errors.js'
import {canonicalName, nameProblem, shownName} from '../util/names.js'
import {safeText} from '../util/text.js'
import type {ContactDirectory, ContactInput} from './contact-store.js'
import {normaliseNumber} from './phone-number.js'

export const CONTACT_FIELDS = ['number', 'name', 'tier', 'language', 'company', 'notes'] as const
export type ContactField = (typeof CONTACT_FIELDS)[number]
/** Contact field → CSV header. */
export type ColumnMap = Partial<Record<ContactField, string>>
export type ImportEncoding = 'auto' | 'utf8' | 'gbk'
export type TextEncodingName = 'utf8' | 'gbk'

/** Tiers written in any case are stored in this spelling, so VIP matching does not depend on typing. */
export const KNOWN_TIERS = ['VIP', 'gold', 'silver', 'bronze', 'standard'] as const

/** Tiers are compared in this form: case aside, and full-width or other compatibility forms aside. */
export function tierKey(tier: string): string {
  return tier.normalize('NFKC').toLowerCase()
}

const LIMITS = {name: 100, tier: 32, company: 200, notes: 2000} as const
const MAX_FILE_BYTES = 50 * 1024 * 1024
// An unclosed quote swallows the rest of the file; stop it long before that.
const MAX_RECORD_CHARS = 64 * 1024
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {中文: 'zh', 汉语: 'zh', 普通话: 'zh', 国语: 'zh', 粤语: 'yue', 英语: 'en', 英文: 'en', 日语: 'ja', 韩语: 'ko'}

export interface BadRow {
  /** Line in the file where the record starts (the header is line 1). */
  line: number
  reason: string
}

export interface ImportReport {
  file: string
  encoding: TextEncodingName
  /** Which header each field was read from. */
  columns: ColumnMap
  /** Header columns no field was mapped to; their values are not stored. */
  ignoredColumns: string[]
  /** Data records read (blank lines excluded). */
  rows: number
  valid: number
  /** New contacts written (with dryRun: that would be written). */
  imported: number
  /** Existing contacts (same E.164 number) overwritten, or that would be. */
  updated: number
  bad: BadRow[]
  /** Bad rows without skipBad: nothing was (or, in a dry run, would be) written. */
  rejected: boolean
  /** Whether anything was written: false when rejected or a dry run. */
  committed: boolean
  dryRun: boolean
}

export interface ImportOptions {
  /** ISO country for numbers written without a country code. */
  defaultCountry: string
  /** "number=电话,name=姓名": fields not named fall back to headers named like the field. */
  map?: string | ColumnMap
  encoding?: ImportEncoding
  /** Import the good rows even if some are bad (they are still reported). */
  skipBad?: boolean
  dryRun?: boolean
  /** Name used in messages. */
  file?: string
}

interface ParsedRow extends ContactInput {
  line: number
}

/** Parses `--map` ("number=电话,name=姓名"). */
export function parseColumnMap(spec: string): ColumnMap {
  const map: ColumnMap = {}
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    const field = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase()
    const header = eq < 0 ? '' : part.slice(eq + 1).trim()
    if (!CONTACT_FIELDS.includes(field as ContactField)) {
      throw new UserError(`--map: unknown field "${safeText(field, 40)}"`, {suggestion: `Fields: ${CONTACT_FIELDS.join(', ')}. Example: --map number=电话,name=姓名`, exitCode: 2})
    }
    if (!header) throw new UserError(`--map: no column given for ${field}`, {suggestion: `Write it as ${field}=HEADER, e.g. number=电话`, exitCode: 2})
    if (map[field as ContactField] !== undefined) throw new UserError(`--map: ${field} is mapped twice`, {exitCode: 2})
    map[field as ContactField] = header
  }
  return map
}

/** Reads, validates and (unless a row is bad, or dryRun) stores a contacts CSV file. */
export async function importContactsFile(directory: ContactDirectory, path: string, opts: ImportOptions): Promise<ImportReport> {
  let size: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new UserError(`${path} is not a file`, {exitCode: 2})
    size = st.size
  } catch (e) {
    if (e instanceof UserError) throw e
    throw new UserError(`Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {suggestion: 'Check the path and its permissions.', exitCode: 2})
  }
  if (size > MAX_FILE_BYTES) throw new UserError(`${path} is ${Math.round(size / 1048576)} MB; contact files up to ${MAX_FILE_BYTES / 1048576} MB are accepted`, {suggestion: 'Split the file and import the parts.', exitCode: 2})
  return importContacts(directory, readFileSync(path), {...opts, file: opts.file ?? path})
}

export async function importContacts(directory: ContactDirectory, bytes: Uint8Array, opts: ImportOptions): Promise<ImportReport> {
  const file = opts.file ?? 'input'
  const {text, encoding} = decodeCsvBytes(bytes, opts.encoding ?? 'auto', file)
  const explicit = typeof opts.map === 'string' ? parseColumnMap(opts.map) : (opts.map ?? {})
  const parsed = parseContacts(text, explicit, opts.defaultCountry, file)
  const dryRun = opts.dryRun ?? false
  const report: ImportReport = {
    file,
    encoding,
    columns: parsed.columns,
    ignoredColumns: parsed.ignored,
    rows: parsed.rows,
    valid: parsed.contacts.length,
    imported: 0,
    updated: 0,
    bad: parsed.bad,
    rejected: parsed.bad.length > 0 && !opts.skipBad,
    committed: false,
    dryRun,
  }
  if (report.rejected) return report
  const contacts = parsed.contacts.map(({line: _line, ...c}) => c)
  if (dryRun) {
    for (const c of contacts) {
      if (await directory.get(c.number)) report.updated++
      else report.imported++
    }
    return report
  }
  const r = await directory.upsertMany(contacts)
  return {...report, imported: r.inserted, updated: r.updated, committed: true}
}

interface Parsed {
  columns: ColumnMap
  ignored: string[]
  rows: number
  contacts: ParsedRow[]
  bad: BadRow[]
}

function parseContacts(text: string, explicit: ColumnMap, country: string, file: string): Parsed {
  const records = parseCsv(text, file)
  const header = records.shift()
  if (!header) throw new UserError(`${file} is empty`, {suggestion: `The first line must name the columns, e.g. ${CONTACT_FIELDS.join(',')}`, exitCode: 2})
  const {index, columns, ignored} = resolveColumns(header.fields, explicit, file)
  const contacts: ParsedRow[] = []
  const bad: BadRow[] = []
  const firstLineOf = new Map<string, number>()
  for (const {line, fields} of records) {
    const reasons: string[] = []
    if (fields.length > header.fields.length) reasons.push(`has ${fields.length} fields but the header has ${header.fields.length} (an unquoted comma?)`)
    const value = (f: ContactField) => {
      const i = index[f]
      return i === undefined ? undefined : (fields[i] ?? '').trim()
    }
    const contact = checkRow(value, country, reasons)
    if (contact) {
      const first = firstLineOf.get(contact.number)
      if (first !== undefined) reasons.push(`same number (${contact.number}) as line ${first}`)
      else firstLineOf.set(contact.number, line)
    }
    if (reasons.length > 0 || !contact) bad.push({line, reason: reasons.join('; ')})
    else contacts.push({...contact, line})
  }
  return {columns, ignored, rows: records.length, contacts, bad}
}

function checkRow(value: (f: ContactField) => string | undefined, country: string, reasons: string[]): ContactInput | undefined {
  const rawNumber = value('number') ?? ''
  const number = normaliseNumber(rawNumber, country)
  if (!rawNumber) reasons.push('no number')
  else if (!number) reasons.push(`number "${safeText(rawNumber, 40)}" is not a valid phone number (default country ${country})`)
  const c: ContactInput = {number: number ?? ''}
  for (const f of ['name', 'company'] as const) {
    const v = value(f)
    if (v === undefined) continue
    if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) reasons.push(`${f} contains a line break or control character`)
    else if (v.length > LIMITS[f]) reasons.push(`${f} is longer than ${LIMITS[f]} characters`)
    else c[f] = v
  }
  const tier = value('tier')
  if (tier !== undefined && tier !== '') {
    // Any script (贵宾, 金卡); nothing hidden (a bidi override or zero-width space would make
    // two tiers that look alike differ), and ＶＩＰ from a full-width input method is VIP.
    const problem = nameProblem(tier, LIMITS.tier)
    const known = KNOWN_TIERS.find((t) => tierKey(t) === tierKey(tier))
    if ([...tier].length > LIMITS.tier) reasons.push(`tier "${shownName(tier, 40)}" is longer than ${LIMITS.tier} characters`)
    else if (problem) reasons.push(`tier "${shownName(tier, 40)}" ${problem}`)
    else c.tier = known ?? canonicalName(tier)
  } else if (tier === '') c.tier = ''
  const language = value('language')
  if (language !== undefined) {
    const code = LANGUAGE_NAMES[language] ?? language
    if (code !== '' && !/^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i.test(code)) reasons.push(`language "${safeText(language, 40)}" is not a code like zh, en or zh-CN`)
    else c.language = code.replace(/^[a-z]+/i, (p) => p.toLowerCase())
  }
  const notes = value('notes')
  if (notes !== undefined) {
    // Spreadsheet cells keep their line breaks; tabs and CRs are layout, anything else is not text.
    const n = notes.replace(/\r\n?/g, '\n').replace(/\t/g, ' ')
    if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(n)) reasons.push('notes contain control characters')
    else if (n.length > LIMITS.notes) reasons.push(`notes are longer than ${LIMITS.notes} characters`)
    else c.notes = n
  }
  return number ? c : undefined
}

function resolveColumns(header: string[], explicit: ColumnMap, file: string): {index: Partial<Record<ContactField, number>>; columns: ColumnMap; ignored: string[]} {
  const names = header.map((h) => h.normalize('NFKC').trim())
  const shown = names.map((n) => safeText(n, 40)).join(', ')
  const find = (wanted: string) => {
    const w = wanted.normalize('NFKC').trim().toLowerCase()
    const hits = names.flatMap((n, i) => (n.toLowerCase() === w ? [i] : []))
    if (hits.length > 1) throw new UserError(`${file}: column "${safeText(wanted, 40)}" appears ${hits.length} times in the header`, {suggestion: 'Rename one of them.', exitCode: 2})
    return hits[0]
  }
  const index: Partial<Record<ContactField, number>> = {}
  const columns: ColumnMap = {}
  for (const f of CONTACT_FIELDS) {
    const wanted = explicit[f]
    const i = find(wanted ?? f)
    if (i === undefined && wanted !== undefined) {
      throw new UserError(`${file}: no column "${safeText(wanted, 40)}" (mapped to ${f}) in the header`, {suggestion: `The header has: ${shown}`, exitCode: 2})
    }
    if (i === undefined) continue
    index[f] = i
    columns[f] = names[i]
  }
  if (index.number === undefined) {
    throw new UserError(`${file}: no "number" column in the header`, {suggestion: `The header has: ${shown}. Map it, e.g. --map number=电话`, exitCode: 2})
  }
  const used = new Set(Object.values(index))
  const ignored = names.filter((n, i) => n !== '' && !used.has(i))
  return {index, columns, ignored}
}

interface CsvRecord {
  line: number
  fields: string[]
}

interface CsvParseError extends Error {
  code?: string
  lines?: number
}

function parseCsv(text: string, file: string): CsvRecord[] {
  let lastLine = 0
  let rows: {record: string[]; info: {lines: number}}[]
  try {
    rows = parse(text, {
      delimiter: sniffDelimiter(text),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_CHARS,
      on_record: (r: {record: string[]; info: {lines: number}}) => {
        lastLine = r.info.lines
        return r
      },
    }) as {record: string[]; info: {lines: number}}[]
  } catch (e) {
    throw csvError(e as CsvParseError, text, lastLine, file)
  }
  return rows
    .filter((r) => r.record.some((f) => f.trim() !== ''))
    .map(({record, info}) => ({
      // info.lines is where the record ends; quoted line breaks say how far back it started.
      line: info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0),
      fields: record,
    }))
}

function csvError(e: CsvParseError, text: string, lastLine: number, file: string): UserError {
  const hint = 'Quote fields that contain commas, quotes or line breaks ("…"), and double quotes inside them ("").'
  if (e.code === 'CSV_QUOTE_NOT_CLOSED' || e.code === 'CSV_MAX_RECORD_SIZE') {
    const start = nextNonBlankLine(text, lastLine)
    return new UserError(`${file}:${start}: broken quoting: a quote opened in the record starting on line ${start} is never closed`, {suggestion: hint, exitCode: 2, code: 'bad_csv'})
  }
  if (e.code === 'CSV_INVALID_CLOSING_QUOTE' || e.code === 'INVALID_OPENING_QUOTE' || e.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') {
    const what = e.code === 'INVALID_OPENING_QUOTE' ? 'a quote inside an unquoted field' : 'text after a closing quote'
    return new UserError(`${file}:${e.lines ?? lastLine + 1}: broken quoting: ${what}`, {suggestion: hint, exitCode: 2, code: 'bad_csv'})
  }
  return new UserError(`${file}:${e.lines ?? lastLine + 1}: not a readable CSV file (${safeText(e.code ?? e.message, 80)})`, {exitCode: 2, code: 'bad_csv'})
}

function nextNonBlankLine(text: string, after: number): number {
  const lines = text.split('\n')
  for (let i = after; i < lines.length; i++) if (lines[i]!.trim() !== '') return i + 1
  return after + 1
}

// Excel writes ";" in locales with a decimal comma, and some exports are tab-separated.
function sniffDelimiter(text: string): string {
  const end = text.indexOf('\n')
  const first = (end < 0 ? text : text.slice(0, end)).replace(/"[^"]*"/g, '')
  const counts = [',', ';', '\t'].map((d) => [d, first.split(d).length - 1] as const)
  const best = counts.reduce((a, b) => (b[1] > a[1] ? b : a))
  return best[1] > 0 ? best[0] : ','
}

const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/**
 * The file's text. Spreadsheets on Chinese Windows save GBK, everything else UTF-8; a
 * file edited with both mixes them, and importing it would store garbled names, so
 * that is refused with the first line that disagrees.
 */
export function decodeCsvBytes(bytes: Uint8Array, encoding: ImportEncoding, file: string): {text: string; encoding: TextEncodingName} {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const resave = 'Save the file as "CSV UTF-8" (or GBK) and import it again.'
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff) || buf.includes(0)) {
    throw new UserError(`${file} is UTF-16 or binary, not a CSV text file`, {suggestion: resave, exitCode: 2, code: 'bad_encoding'})
  }
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf
  if (bom && encoding === 'gbk') throw new UserError(`${file} starts with a UTF-8 byte-order mark but --encoding gbk was given`, {suggestion: 'Leave out --encoding.', exitCode: 2, code: 'bad_encoding'})
  const body = bom ? buf.subarray(3) : buf
  const lines = splitLines(body)
  const lineError = (n: number, what: string, suggestion = resave) => new UserError(`${file}:${n}: ${what}`, {suggestion, exitCode: 2, code: 'bad_encoding'})
  if (encoding === 'gbk') {
    const bad = lines.findIndex((l) => !isGbk(l))
    if (bad >= 0) throw lineError(bad + 1, 'not valid GBK text', 'Leave out --encoding to detect the encoding.')
    return {text: iconv.decode(body, 'gbk'), encoding: 'gbk'}
  }
  const whole = tryUtf8(body)
  if (whole !== undefined) return {text: whole, encoding: 'utf8'}
  if (encoding === 'utf8') {
    const bad = lines.findIndex((l) => tryUtf8(l) === undefined)
    throw lineError(bad + 1, 'not valid UTF-8 text', 'Files saved by Excel on Chinese Windows are GBK: leave out --encoding, or use --encoding gbk.')
  }
  let utf8Line = bom ? 1 : 0
  let gbkLine = 0
  lines.forEach((l, i) => {
    if (!l.some((b) => b >= 0x80)) return
    const u = tryUtf8(l)
    const g = isGbk(l)
    if (u === undefined && !g) throw lineError(i + 1, 'neither UTF-8 nor GBK text (a damaged or mixed file?)')
    // Short GBK text can be valid UTF-8 by chance, but then it decodes to Latin, Greek or
    // Cyrillic letters; UTF-8 Chinese decodes to CJK.
    if (u !== undefined && (!g || looksCjk(u))) utf8Line ||= i + 1
    else if (u === undefined) gbkLine ||= i + 1
  })
  if (utf8Line && gbkLine) {
    const gbkLater = bom || gbkLine > utf8Line
    const detail = gbkLater
      ? `line ${gbkLine} is GBK but ${bom ? 'the file starts with a UTF-8 byte-order mark' : `line ${utf8Line} is UTF-8`}`
      : `line ${utf8Line} is UTF-8 but line ${gbkLine} is GBK`
    throw new UserError(`${file}:${gbkLater ? gbkLine : utf8Line}: mixed encodings: ${detail}`, {
      suggestion: 'Re-save the whole file in one encoding (UTF-8 is best) and import it again; nothing was imported.',
      exitCode: 2,
      code: 'bad_encoding',
    })
  }
  return {text: iconv.decode(body, 'gbk'), encoding: 'gbk'}
}

// 0x0A never occurs inside a UTF-8 or GBK multibyte character, so lines can be split as bytes.
function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let start = 0
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
    out.push(buf.subarray(start, i))
    start = i + 1
  }
  out.push(buf.subarray(start))
  return out
}

function tryUtf8(buf: Uint8Array): string | undefined {
  try {
    return utf8.decode(buf)
  } catch {
    return undefined
  }
}

function isGbk(buf: Buffer): boolean {
  return !iconv.decode(buf, 'gbk').includes('\ufffd')
}

function looksCjk(s: string): boolean {
  for (const ch of s) if (ch.codePointAt(0)! >= 0x80 && ch.codePointAt(0)! < 0x2000) return false
  return true
}
