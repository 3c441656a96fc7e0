import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import iconv from 'iconv-lite'
import {afterEach, describe, expect, it} from 'vitest'
import type {ContactDirectory} from '../../src/engine/contacts/contact-store.js'
import {importContacts, importContactsFile, parseColumnMap, type ImportOptions} from '../../src/engine/contacts/import.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

const utf8 = (s: string) => Buffer.from(s, 'utf8')
const gbk = (s: string) => iconv.encode(s, 'gbk')
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

describe('contacts CSV import', () => {
  const stores: SqliteStore[] = []
  const dirs: string[] = []
  const directory = (): ContactDirectory => {
    const s = new SqliteStore(':memory:')
    stores.push(s)
    return repositoriesOf(s).contacts
  }
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close()
    for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
  })
  const run = (dir: ContactDirectory, bytes: Buffer, opts: Partial<ImportOptions> = {}) => importContacts(dir, bytes, {defaultCountry: 'CN', file: 'contacts.csv', ...opts})
  const failure = async (p: Promise<unknown>): Promise<UserError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(e).toBeInstanceOf(UserError)
    return e as UserError
  }

  it('imports a UTF-8 file with the default headers (any case), normalising numbers and tiers', async () => {
    const dir = directory()
    const csv = 'Number,Name,Tier,Language,Company,Notes,Birthday\n138 1234 5678,张三,vip,中文,ACME,"likes tea, not coffee",1990-01-01\n+44 20 7946 0958,John Smith,gold,en-GB,,,\n'
    const r = await run(dir, utf8(csv))
    expect(r).toMatchObject({encoding: 'utf8', rows: 2, valid: 2, imported: 2, updated: 0, bad: [], rejected: false, committed: true, ignoredColumns: ['Birthday']})
    expect(await dir.get('+8613812345678')).toMatchObject({name: '张三', tier: 'VIP', language: 'zh', company: 'ACME', notes: 'likes tea, not coffee'})
    expect(await dir.get('+442079460958')).toMatchObject({name: 'John Smith', tier: 'gold', language: 'en-GB'})
  })

  it('strips a UTF-8 byte-order mark and maps Chinese headers', async () => {
    const dir = directory()
    const csv = '电话,姓名,等级,备注\n13812345678,王小明,VIP,老客户\n010-8888 8888,北京分公司,普通,\n'
    const r = await run(dir, Buffer.concat([BOM, utf8(csv)]), {map: 'number=电话,name=姓名,tier=等级,notes=备注'})
    expect(r).toMatchObject({encoding: 'utf8', imported: 2, columns: {number: '电话', name: '姓名', tier: '等级', notes: '备注'}})
    expect(await dir.get('+8613812345678')).toMatchObject({name: '王小明', tier: 'VIP', notes: '老客户'})
    expect(await dir.get('+861088888888')).toMatchObject({name: '北京分公司', tier: '普通'})
  })

  it('detects GBK, even when a short GBK name happens to be valid UTF-8', async () => {
    const dir = directory()
    // 石头 in GBK (ca af cd b7) is also valid UTF-8 ("ʯͷ"): only the other lines tell.
    const csv = '电话,姓名,备注\r\n13812345678,张三,大客户\r\n13912345678,石头,\r\n13712345678,李四,\r\n'
    const r = await run(dir, gbk(csv), {map: 'number=电话,name=姓名,notes=备注'})
    expect(r).toMatchObject({encoding: 'gbk', imported: 3, bad: []})
    expect(await dir.get('+8613812345678')).toMatchObject({name: '张三', notes: '大客户'})
    expect(await dir.get('+8613912345678')).toMatchObject({name: '石头'})
  })

  it('reads a file path, and honours --encoding gbk', async () => {
    const d = mkdtempSync(join(tmpdir(), 'callctl-contacts-'))
    dirs.push(d)
    const file = join(d, '客户.csv')
    writeFileSync(file, gbk('number,name\n13812345678,赵六\n'))
    const dir = directory()
    const r = await importContactsFile(dir, file, {defaultCountry: 'CN', encoding: 'gbk'})
    expect(r).toMatchObject({file, encoding: 'gbk', imported: 1})
    expect((await dir.get('+8613812345678'))?.name).toBe('赵六')
    expect((await failure(importContactsFile(dir, join(d, 'missing.csv'), {defaultCountry: 'CN'}))).message).toMatch(/Cannot read .*missing\.csv: ENOENT/)
  })

  it('refuses mixed encodings with the first offending line, importing nothing', async () => {
    const dir = directory()
    const mixed = Buffer.concat([utf8('number,name\n13812345678,王小明\n13912345678,张三\n'), gbk('13712345678,李四\n')])
    const e = await failure(run(dir, mixed))
    expect(e.message).toBe('contacts.csv:4: mixed encodings: line 4 is GBK but line 2 is UTF-8')
    expect(e.suggestion).toMatch(/one encoding/)
    // The other way round, and with a two-character UTF-8 name that is also valid GBK.
    const e2 = await failure(run(dir, Buffer.concat([gbk('number,name\n13712345678,李四\n'), utf8('13912345678,张三\n')])))
    expect(e2.message).toBe('contacts.csv:3: mixed encodings: line 3 is UTF-8 but line 2 is GBK')
    const e3 = await failure(run(dir, Buffer.concat([BOM, utf8('number,name\n'), gbk('13712345678,李四\n')])))
    expect(e3.message).toBe('contacts.csv:2: mixed encodings: line 2 is GBK but the file starts with a UTF-8 byte-order mark')
    expect(await dir.count()).toBe(0)
  })

  it('refuses bytes that are neither encoding, a forced encoding that does not fit, and UTF-16', async () => {
    const dir = directory()
    expect((await failure(run(dir, Buffer.concat([utf8('number,name\n13812345678,A'), Buffer.from([0xff, 0xfe, 0x0a])])))).message).toBe(
      'contacts.csv:2: neither UTF-8 nor GBK text (a damaged or mixed file?)',
    )
    const e = await failure(run(dir, gbk('number,name\n13812345678,张三\n'), {encoding: 'utf8'}))
    expect(e.message).toBe('contacts.csv:2: not valid UTF-8 text')
    expect(e.suggestion).toMatch(/--encoding gbk/)
    expect((await failure(run(dir, Buffer.concat([BOM, utf8('number\n')]), {encoding: 'gbk'}))).message).toMatch(/byte-order mark but --encoding gbk/)
    expect((await failure(run(dir, iconv.encode('\ufeffnumber,name\n', 'utf16le')))).message).toMatch(/UTF-16 or binary/)
  })

  it('refuses broken quoting with the line, importing nothing', async () => {
    const dir = directory()
    const unclosed = 'number,name,notes\n13812345678,A,ok\n\n13912345678,"B,no closing quote\n13712345678,C,\n'
    expect((await failure(run(dir, utf8(unclosed)))).message).toBe(
      'contacts.csv:4: broken quoting: a quote opened in the record starting on line 4 is never closed',
    )
    const trailing = 'number,name\n13812345678,"A"x\n'
    expect((await failure(run(dir, utf8(trailing)))).message).toBe('contacts.csv:2: broken quoting: text after a closing quote')
    const inner = 'number,name\n13812345678,A\n13912345678,John "JJ" Smith\n'
    const e = await failure(run(dir, utf8(inner)))
    expect(e.message).toBe('contacts.csv:3: broken quoting: a quote inside an unquoted field')
    expect(e.suggestion).toMatch(/double quotes inside them/)
    expect(await dir.count()).toBe(0)
  })

  it('reports every bad row with its line and reasons, and imports nothing', async () => {
    const dir = directory()
    await dir.upsertMany([{number: '+8613800000000', name: 'Kept'}])
    const csv = [
      'number,name,tier,language,notes',
      '13812345678,Good,VIP,zh,"two',
      'lines"',
      'not-a-number,Bad number,,,',
      ',No number,,,',
      '13912345678,' + 'x'.repeat(101) + ',,,',
      '13712345678,Bad tier,' + 't'.repeat(33) + ',,',
      '13612345678,Bad language,,chinese!,',
      '13512345678,"Line\nbreak",,,',
      '13412345678,Too,many,fields,here,extra',
      '138 1234 5678,Duplicate,,,',
      '13312345678,Bell\u0007,,,',
      '13800000000,Kept renamed,,,',
      '',
    ].join('\n')
    const r = await run(dir, utf8(csv))
    expect(r).toMatchObject({rows: 11, valid: 2, imported: 0, updated: 0, rejected: true, committed: false})
    expect(r.bad).toEqual([
      {line: 4, reason: 'number "not-a-number" is not a valid phone number (default country CN)'},
      {line: 5, reason: 'no number'},
      {line: 6, reason: 'name is longer than 100 characters'},
      {line: 7, reason: 'tier "ttttttttttttttttttttttttttttttttt" is longer than 32 characters'},
      {line: 8, reason: 'language "chinese!" is not a code like zh, en or zh-CN'},
      {line: 9, reason: 'name contains a line break or control character'},
      {line: 11, reason: 'has 6 fields but the header has 5 (an unquoted comma?); language "fields" is not a code like zh, en or zh-CN'},
      {line: 12, reason: 'same number (+8613812345678) as line 2'},
      {line: 13, reason: 'name contains a line break or control character'},
    ])
    expect(await dir.count()).toBe(1)
    expect((await dir.get('+8613800000000'))?.name).toBe('Kept')
  })

  it('with skipBad imports the good rows and still reports the bad ones', async () => {
    const dir = directory()
    await dir.upsertMany([{number: '+8613800000000', name: 'Old', tier: 'gold'}])
    const csv = 'number,name\n13800000000,New name\n12345,Short\n13912345678,Li\n13912345678,Li again\n'
    const r = await run(dir, utf8(csv), {skipBad: true})
    expect(r).toMatchObject({rows: 4, valid: 2, imported: 1, updated: 1, rejected: false, committed: true})
    expect(r.bad.map((b) => b.line)).toEqual([3, 5])
    expect(await dir.get('+8613800000000')).toMatchObject({name: 'New name', tier: 'gold'})
    expect((await dir.get('+8613912345678'))?.name).toBe('Li')
  })

  it('counts without writing on a dry run', async () => {
    const dir = directory()
    await dir.upsertMany([{number: '+8613800000000', name: 'Old'}])
    const r = await run(dir, utf8('number;name\n13800000000;New\n13912345678;Li\n'), {dryRun: true})
    expect(r).toMatchObject({imported: 1, updated: 1, committed: false, rejected: false, dryRun: true})
    expect(await dir.count()).toBe(1)
    expect((await dir.get('+8613800000000'))?.name).toBe('Old')
  })

  it('explains header and mapping problems', async () => {
    const dir = directory()
    expect((await failure(run(dir, utf8('电话,姓名\n13812345678,A\n')))).message).toBe('contacts.csv: no "number" column in the header')
    expect((await failure(run(dir, utf8('电话,姓名\n13812345678,A\n'), {map: 'number=手机'}))).suggestion).toBe('The header has: 电话, 姓名')
    expect((await failure(run(dir, utf8('number,Number\n1,2\n')))).message).toMatch(/column "number" appears 2 times/)
    expect((await failure(run(dir, utf8('')))).message).toBe('contacts.csv is empty')
    expect(() => parseColumnMap('phone=电话')).toThrow(/unknown field "phone"/)
    expect(() => parseColumnMap('number')).toThrow(/no column given for number/)
    expect(parseColumnMap(' Number = 电话 , name=姓名 ,')).toEqual({number: '电话', name: '姓名'})
  })
})
