import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {importKb, importKbFile, KbImportError} from '../../src/engine/kb/import.js'
import {makeSnippet, type KbInput, type KnowledgeBase} from '../../src/engine/kb/knowledge-base.js'
import {UserError} from '../../src/engine/util/errors.js'
import {repositoryStores, type OpenedStore} from '../support/repository-stores.js'

// The knowledge base's contract, on SQLite (FTS5 trigram index) and PostgreSQL (pg_trgm):
// the same entries for the same query, Chinese and English. Ranking is asserted only where
// both guarantee it (pg-kb.ts says where they may differ).

const FAQ: KbInput[] = [
  {question: '如何申请退款？', answer: '请在订单页面点击“申请退款”按钮，款项将在3个工作日内原路退回。', tags: '退款,billing'},
  {question: '发票怎么开？', answer: '在账单页面申请电子发票，开票后发送到您的邮箱。', tags: ['发票']},
  {question: '退款', answer: '见退款说明。', tags: '退款'},
  {question: '会员积分有什么用？', answer: '积分可以兑换优惠券，也可以在下单时抵扣，订单取消后可申请退款', tags: '会员'},
  {question: 'How do I reset my password?', answer: 'Click "Forgot password" on the login page and follow the e-mail.', tags: 'account'},
  {question: 'Where is my parcel?', answer: 'Track it with the tracking number. If your password was changed, contact support.', tags: 'delivery'},
  {question: 'How do I change my security question?', answer: 'Open Settings, then Security, and confirm with your password.', tags: 'account'},
  {question: 'Can I get an invoice (PDF)?', answer: 'Yes: invoices are in My account > Bills. 发票 is the Chinese word.', tags: 'billing'},
]

async function questions(kb: KnowledgeBase, query: string, opts: {tag?: string} = {}): Promise<string[]> {
  return (await kb.search(query, {limit: 100, ...opts})).map((h) => h.question)
}

/** What a search must find: entries holding every term as a case-insensitive substring. */
function bruteForce(entries: readonly KbInput[], terms: readonly string[]): string[] {
  return entries.filter((e) => terms.every((t) => e.question.toLowerCase().includes(t) || e.answer.toLowerCase().includes(t))).map((e) => e.question)
}

describe.each(repositoryStores())('knowledge base on $name', (kind) => {
  const opened: OpenedStore[] = []
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })

  async function open(): Promise<{store: OpenedStore; kb: KnowledgeBase}> {
    const store = await kind.open()
    opened.push(store)
    return {store, kb: store.repos.kb}
  }

  async function withFaq(): Promise<{store: OpenedStore; kb: KnowledgeBase; ids: Map<string, number>}> {
    const {store, kb} = await open()
    const ids = new Map<string, number>()
    for (const e of FAQ) ids.set(e.question, (await kb.add(e)).id)
    return {store, kb, ids}
  }

  describe('search', () => {
    it('finds English words case-insensitively, in questions and answers, every word required', async () => {
      const {kb} = await withFaq()
      expect(new Set(await questions(kb, 'PASSWORD'))).toEqual(new Set(['How do I reset my password?', 'Where is my parcel?', 'How do I change my security question?']))
      expect(await questions(kb, 'reset password')).toEqual(['How do I reset my password?'])
      expect(await questions(kb, 'passw')).toHaveLength(3)
      expect(await questions(kb, 'password fax')).toEqual([])
    })

    it('finds Chinese phrases without spaces, and mixed Chinese and English', async () => {
      const {kb} = await withFaq()
      expect(await questions(kb, '电子发票')).toEqual(['发票怎么开？'])
      expect(await questions(kb, '工作日内')).toEqual(['如何申请退款？'])
      expect(await questions(kb, '发票 invoices')).toEqual(['Can I get an invoice (PDF)?'])
      expect(await questions(kb, '申请退票')).toEqual([])
    })

    it('finds 1-2 character Chinese terms, also at the very end of a text and in a 2-character question', async () => {
      const {kb} = await withFaq()
      const refund = await questions(kb, '退款')
      // 会员积分 ends its answer with 退款; the entry "退款" is nothing but the term.
      expect(new Set(refund)).toEqual(new Set(['如何申请退款？', '退款', '会员积分有什么用？']))
      expect(new Set(await questions(kb, '退'))).toEqual(new Set(refund))
      expect(await questions(kb, '退款 订单')).toEqual(expect.arrayContaining(['如何申请退款？', '会员积分有什么用？']))
      expect(await questions(kb, '退款 订单')).toHaveLength(2)
      expect(await questions(kb, '退款 工作日内')).toEqual(['如何申请退款？'])
      expect(await questions(kb, '退货')).toEqual([])
    })

    it('finds exactly what a substring scan finds, for short, long and mixed terms', async () => {
      const {kb} = await withFaq()
      for (const q of ['款', '退款', '发票', '账单 发票', '积分 退款', 'my', 'my password', 'in', 'e', '退款 申请退款', 'page', 'pdf', '3个']) {
        const terms = q.toLowerCase().split(' ')
        expect(new Set(await questions(kb, q)), q).toEqual(new Set(bruteForce(FAQ, terms)))
      }
    })

    it('stays exact for letters the index folds differently and for terms too common to look up', async () => {
      const {kb} = await open()
      const entries: KbInput[] = [
        {question: 'ÉTÉ à Paris', answer: 'Résumé du séjour.'},
        {question: 'Да или нет', answer: 'Ответ: да.'},
        // "a" followed by 70 different characters: too many trigrams to look up one by one.
        {question: 'Alphabet soup', answer: Array.from({length: 70}, (_, i) => `a${String.fromCharCode(0x4e00 + i)}`).join(' ')},
        {question: 'Nothing here', answer: 'Only other letters: xyz.'},
      ]
      for (const e of entries) await kb.add(e)
      for (const q of ['é', 'ÉT', 'да', 'ДА', 'a', 'a 丁', 'A xyz']) {
        expect(new Set(await questions(kb, q)), q).toEqual(new Set(bruteForce(entries, q.toLowerCase().split(' '))))
      }
      expect(await questions(kb, 'é')).toEqual(['ÉTÉ à Paris'])
      expect(await questions(kb, 'ДА')).toEqual(['Да или нет'])
    })

    it('ranks a question match above an answer match, and more matches above fewer', async () => {
      const {kb} = await open()
      await kb.add({question: 'Billing overview', answer: 'This page explains the refund policy in detail.'})
      await kb.add({question: 'Refund policy', answer: 'This page explains the billing policy in detail.'})
      await kb.add({question: 'Other', answer: 'A refund and then another refund, and a third refund.'})
      await kb.add({question: 'Unrelated', answer: 'Nothing to see here, move along please now.'})
      const hits = await kb.search('refund')
      expect(hits.map((h) => h.question)).toEqual(['Refund policy', 'Other', 'Billing overview'])
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score)
      expect(hits[1]!.score).toBeGreaterThan(hits[2]!.score)
    })

    it('ranks short Chinese terms the same way: question first, then more occurrences', async () => {
      const {kb} = await open()
      await kb.add({question: '账户说明', answer: '这里介绍退款规则和常见问题解答。'})
      await kb.add({question: '退款规则', answer: '这里介绍账户规则和常见问题解答。'})
      await kb.add({question: '其他问题', answer: '退款、退款、再退款，都可以。'})
      await kb.add({question: '无关问题', answer: '这里什么都没有，请看别的页面。'})
      const hits = await kb.search('退款')
      expect(hits.map((h) => h.question)).toEqual(['退款规则', '其他问题', '账户说明'])
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a))
    })

    it('returns snippets with the matches marked, from the answer, or the question when only it matches', async () => {
      const {kb} = await withFaq()
      const [hit] = await kb.search('申请退款')
      expect(hit!.snippet).toContain('«申请退款»')
      const [pw] = await kb.search('reset')
      expect(pw!.question).toBe('How do I reset my password?')
      expect(pw!.snippet).toBe('How do I «reset» my password?')
      const long = 'Lorem ipsum dolor sit amet. '.repeat(20) + 'The refund arrives in five days. ' + 'Filler text goes here. '.repeat(20)
      const s = makeSnippet(long, ['refund', 'days'])
      expect(s).toMatch(/^….*«refund» arrives in five «days».*…$/)
      expect(s.length).toBeLessThan(100)
      expect(makeSnippet('请在订单页面点击退款\n按钮', ['退款'])).toBe('请在订单页面点击«退款» 按钮')
    })

    it('treats FTS5 query syntax in user input as plain text: no error, no injection', async () => {
      const {store, kb} = await withFaq()
      for (const q of ['"', 'foo*', 'NEAR(a b)', 'question:x', ')(', '"a" OR "b"', '-password', '^reset', '{question answer}: x', 'AND', 'NOT password', '\'; DROP TABLE kb_entries; --', '*', '\u0000', '""""']) {
        await expect(kb.search(q), q).resolves.toBeInstanceOf(Array)
      }
      // As syntax these would restrict to the question column, or be a prefix query.
      expect(await questions(kb, 'question:password')).toEqual(['How do I change my security question?'])
      expect(await questions(kb, 'passw*')).toHaveLength(3)
      expect(await questions(kb, 'NOT password')).toEqual([])
      expect(await questions(kb, '(PDF)')).toEqual(['Can I get an invoice (PDF)?'])
      expect(await store.column('SELECT count(*) FROM kb_entries')).toEqual([FAQ.length])
    })

    it('rejects an empty or overlong query and a bad limit with a UserError', async () => {
      const {kb} = await withFaq()
      await expect(kb.search('   ')).rejects.toMatchObject({name: 'UserError', code: 'empty_query'})
      await expect(kb.search('退'.repeat(201))).rejects.toMatchObject({code: 'query_too_long'})
      await expect(kb.search(Array.from({length: 17}, (_, i) => `w${i}`).join(' '))).rejects.toMatchObject({code: 'query_too_long'})
      await expect(kb.search('refund', {limit: 0})).rejects.toBeInstanceOf(UserError)
      expect(await kb.search('password', {limit: 1})).toHaveLength(1)
    })

    it('filters by tag, case-insensitively', async () => {
      const {kb} = await withFaq()
      expect(await questions(kb, '发票', {tag: 'Billing'})).toEqual(['Can I get an invoice (PDF)?'])
      expect(await questions(kb, '退款', {tag: 'billing'})).toEqual(['如何申请退款？'])
      expect((await kb.list({tag: 'account'})).map((e) => e.question)).toEqual(['How do I reset my password?', 'How do I change my security question?'])
      expect(await kb.count({tag: '退款'})).toBe(2)
    })
  })

  describe('entries', () => {
    it('keeps the full-text index in sync through update and remove', async () => {
      const {store, kb, ids} = await withFaq()
      const id = ids.get('发票怎么开？')!
      await kb.update(id, {answer: '请联系财务部门开具纸质收据。'})
      expect(await questions(kb, '电子发票')).toEqual([])
      expect(await questions(kb, '纸质收据')).toEqual(['发票怎么开？'])
      expect(await questions(kb, '收据')).toEqual(['发票怎么开？'])
      await kb.update(id, {question: '收据怎么开？'})
      expect(await questions(kb, '发票怎么开')).toEqual([])
      expect(await questions(kb, '收据怎么开')).toEqual(['收据怎么开？'])
      await kb.remove(ids.get('退款')!)
      expect(new Set(await questions(kb, '退款'))).toEqual(new Set(['如何申请退款？', '会员积分有什么用？']))
      await kb.update(ids.get('Where is my parcel?')!, {tags: 'Delivery, tracking'})
      expect(await questions(kb, 'parcel', {tag: 'tracking'})).toEqual(['Where is my parcel?'])
      // The ranking statistics agree with the table, and SQLite's index with the table row for row.
      const stats = await store.column('SELECT entries || \' \' || chars FROM kb_stats')
      expect(stats).toEqual(await store.column("SELECT count(*) || ' ' || sum(length(question) + length(answer)) FROM kb_entries"))
      if (kind.name === 'sqlite') await expect(store.sql("INSERT INTO kb_fts (kb_fts) VALUES ('integrity-check')")).resolves.toBeUndefined()
    })

    it('validates entries, refuses a second entry with the same question, and reports unknown ids', async () => {
      const {kb} = await withFaq()
      const e = await kb.add({question: '  Opening   hours? ', answer: ' 9 to 5 \r\n Mon-Fri ', tags: ' Hours, hours ,'})
      expect(e).toMatchObject({question: 'Opening hours?', answer: '9 to 5 \n Mon-Fri', tags: ['hours']})
      expect(await kb.get(e.id)).toEqual(e)
      await expect(kb.add({question: 'Opening hours?', answer: 'x'})).rejects.toMatchObject({code: 'exists'})
      await expect(kb.add({question: '', answer: 'x'})).rejects.toMatchObject({code: 'invalid_entry'})
      await expect(kb.add({question: 'q', answer: 'x'.repeat(20_001)})).rejects.toMatchObject({code: 'invalid_entry'})
      await expect(kb.update(e.id, {question: '退款'})).rejects.toMatchObject({code: 'exists'})
      await expect(kb.remove(9999)).rejects.toMatchObject({code: 'unknown_entry'})
      expect(await kb.get(9999)).toBeUndefined()
      expect(await kb.count()).toBe(FAQ.length + 1)
      expect((await kb.list({limit: 2})).map((x) => x.id)).toEqual([1, 2])
    })

    it('imports all entries in one transaction: a failure half-way leaves nothing behind', async () => {
      const {store, kb} = await open()
      await store.failWrites('kb_entries', 'question', 'boom')
      await expect(kb.importEntries([...FAQ, {question: 'boom', answer: 'x'}])).rejects.toThrow('disk full')
      expect(await kb.count()).toBe(0)
      expect(await questions(kb, '退款')).toEqual([])
    })
  })

  describe('import', () => {
    const csv = (text: string) => Buffer.from(text, 'utf8')
    const dirs: string[] = []
    afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, {recursive: true, force: true})))

    it('imports CSV with a BOM, quoted commas and line breaks, and updates known questions on re-import', async () => {
      const {kb} = await open()
      const text = '\ufeffquestion,answer,tags\r\n如何申请退款？,"在订单页面点击""申请退款""，\n3个工作日内退回。","退款,billing"\r\n\r\nHow do I reset my password?,Use Forgot password.,account\n'
      expect(await importKb(kb, csv(text), {file: 'faq.csv', format: 'csv'})).toMatchObject({entries: 2, added: 2, updated: 0})
      const [refund] = await kb.search('退款')
      expect(refund).toMatchObject({question: '如何申请退款？', tags: ['退款', 'billing']})
      expect((await kb.get(refund!.id))!.answer).toBe('在订单页面点击"申请退款"，\n3个工作日内退回。')
      const again = 'answer,question\nUse the login page.,How do I reset my password?\nCall us.,How do I contact you?\n'
      expect(await importKb(kb, csv(again), {file: 'faq.csv', format: 'csv'})).toMatchObject({entries: 2, added: 1, updated: 1})
      expect((await kb.list()).map((e) => [e.question, e.answer])).toContainEqual(['How do I reset my password?', 'Use the login page.'])
      expect(await kb.count()).toBe(3)
    })

    it('imports nothing when a row is bad, and names the line of every bad row', async () => {
      const {kb} = await open()
      await kb.add({question: 'kept', answer: 'as it was'})
      const text = [
        'question,answer,tags', // 1
        'Good one,Fine answer,a', // 2
        '"Multi-line","first', // 3
        'second",b', // 4
        'No answer,,c', // 5
        'Too many,cells,x,y', // 6
        'Good one,Same question again,', // 7
        'Another good,Answer,', // 8
      ].join('\n')
      const err = await importKb(kb, csv(text), {file: 'faq.csv', format: 'csv'}).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(KbImportError)
      const bad = (err as KbImportError).bad
      expect(bad.map((b) => b.line)).toEqual([5, 6, 7])
      expect(bad[0]!.reason).toBe('answer is empty')
      expect(bad[1]!.reason).toContain('4 columns where the header has 3')
      expect(bad[2]!.reason).toBe('same question as line 2')
      expect((err as Error).message).toMatch(/^faq\.csv: 3 bad rows, nothing imported\. line 5: answer is empty; line 6: /)
      expect((await kb.list()).map((e) => e.question)).toEqual(['kept'])
    })

    it('rejects a CSV without the header, broken quoting and text that is not UTF-8', async () => {
      const {kb} = await open()
      const run = (bytes: Uint8Array) => importKb(kb, bytes, {file: 'f.csv', format: 'csv'})
      await expect(run(csv('如何申请退款？,在订单页面申请。\n'))).rejects.toThrow(/first line must be the header question,answer,tags/)
      await expect(run(csv('question,answer,tag\nq,a,b\n'))).rejects.toThrow(/header/)
      await expect(run(csv('question,answer\nq,"unclosed\n'))).rejects.toThrow(/not valid CSV/)
      // "退款" in GBK.
      await expect(run(Uint8Array.from([...Buffer.from('question,answer\nq,'), 0xcd, 0xcb, 0xbf, 0xee, 0x0a]))).rejects.toMatchObject({code: 'not_utf8'})
      await expect(run(csv('question,answer\n'))).rejects.toMatchObject({code: 'empty_file'})
      expect(await kb.count()).toBe(0)
    })

    it('imports a YAML list and reports bad entries by line', async () => {
      const {kb} = await open()
      const good = '- question: 发票怎么开？\n  answer: 在账单页面申请电子发票。\n  tags: [发票, Billing]\n- question: 2FA?\n  answer: |\n    Open Settings.\n    Turn it on.\n  tags: account\n'
      expect(await importKb(kb, csv(good), {file: 'faq.yaml', format: 'yaml'})).toMatchObject({entries: 2, added: 2})
      expect((await kb.list()).map((e) => e.tags)).toEqual([['发票', 'billing'], ['account']])
      const bad = '- question: ok\n  answer: fine\n- question: [not, text]\n  answer: x\n- just a string\n- question: q\n  answr: typo\n'
      const err = await importKb(kb, csv(bad), {file: 'faq.yaml', format: 'yaml'}).catch((e: unknown) => e)
      expect((err as KbImportError).bad).toEqual([
        {line: 3, reason: 'question must be text'},
        {line: 5, reason: 'an entry must be a mapping with question, answer and tags'},
        {line: 6, reason: 'unknown field answr (expected question, answer, tags)'},
      ])
      await expect(importKb(kb, csv('question: x\n'), {file: 'faq.yaml', format: 'yaml'})).rejects.toThrow(/expected a list of entries/)
      await expect(importKb(kb, csv('- question: [x\n'), {file: 'faq.yaml', format: 'yaml'})).rejects.toThrow(/^faq\.yaml:\d+:\d+: /)
      expect(await kb.count()).toBe(2)
    })

    it('reads files by extension, and a dry run writes nothing', async () => {
      const {kb} = await open()
      const dir = mkdtempSync(join(tmpdir(), 'callctl-kb-'))
      dirs.push(dir)
      writeFileSync(join(dir, 'faq.csv'), 'question,answer\nq1,a1\nq2,a2\n')
      writeFileSync(join(dir, 'faq.txt'), 'question,answer\nq1,a1\n')
      expect(await importKbFile(kb, join(dir, 'faq.csv'), {dryRun: true})).toMatchObject({entries: 2, added: 0, dryRun: true})
      expect(await kb.count()).toBe(0)
      expect(await importKbFile(kb, join(dir, 'faq.csv'))).toMatchObject({format: 'csv', added: 2})
      await expect(importKbFile(kb, join(dir, 'faq.txt'))).rejects.toMatchObject({code: 'unknown_format'})
      await expect(importKbFile(kb, join(dir, 'missing.csv'))).rejects.toMatchObject({code: 'unreadable'})
    })
  })
})
