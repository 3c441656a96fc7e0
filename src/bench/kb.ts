import {numberFlag} from './flags.js'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type Database from 'better-sqlite3'
import {queryTerms, type KbInput} from '../engine/kb/knowledge-base.js'
import {SqliteKnowledgeBase} from '../engine/kb/sqlite-kb.js'
import {SqliteStore} from '../engine/store/sqlite-store.js'
import {prng} from './routing-scenario.js'

// Knowledge base benchmark: search latency over 10,000 FAQ entries, half Chinese, half English,
// for SqliteKnowledgeBase.search and, in the same process over the same table, a naive
// LIKE '%term%' scan. Absolute figures depend on the machine; the ratio is what to compare.
// Before timing, every distinct query's matches are checked against the scan: the trigram
// index and the short-term fallback must find exactly what a substring scan finds.
//
// Flags: --json, --seed N, --entries N, --searches N. Exits 1 when p99 >= 20 ms or a check fails.

const TARGET_P99_MS = 20
const WARMUP = 200
const LIMIT = 10
const KINDS = ['zh short', 'zh phrase', 'en words'] as const
type Kind = (typeof KINDS)[number]

const ZH = {
  nouns: ['退款', '账单', '密码', '快递', '发票', '会员', '订单', '积分', '账户', '套餐', '话费', '流量', '宽带', '优惠券', '地址', '手机号', '银行卡', '余额', '合同', '保修', '维修', '投诉', '物流', '包裹', '退货', '换货', '充值', '验证码', '实名认证', '电子发票'],
  verbs: ['申请', '查询', '修改', '取消', '开通', '办理', '更换', '找回', '重置', '绑定', '解绑', '补开', '延期', '升级', '退订'],
  products: ['宽带', '手机', '信用卡', '电视', '商城', '外卖', '机票', '酒店', '保险', '理财', '网盘', '音乐', '视频', '健身卡', '家电', '家政'],
  problems: ['没有到账', '显示异常', '被冻结了', '无法使用', '一直没有更新', '扣费不对', '迟迟没有处理'],
  apps: ['手机App', '官方网站', '微信公众号', '小程序'],
  pages: ['我的', '个人中心', '订单详情', '账户设置', '会员中心', '服务大厅'],
  docs: ['身份证', '订单号', '购买凭证', '发票抬头', '银行卡信息', '注册手机号'],
}

const EN = {
  nouns: ['refund', 'bill', 'password', 'parcel', 'invoice', 'membership', 'order', 'points', 'account', 'plan', 'data allowance', 'broadband', 'coupon', 'address', 'phone number', 'bank card', 'balance', 'contract', 'warranty', 'repair', 'complaint', 'delivery', 'return', 'exchange', 'top-up', 'verification code'],
  verbs: ['request', 'check', 'change', 'cancel', 'activate', 'update', 'replace', 'recover', 'reset', 'link', 'unlink', 'reissue', 'extend', 'upgrade'],
  products: ['Broadband', 'Mobile', 'Credit card', 'TV', 'Shop', 'Food delivery', 'Flights', 'Hotels', 'Insurance', 'Savings', 'Cloud storage', 'Music', 'Video', 'Gym', 'Appliances', 'Home services'],
  problems: ['not showing', 'blocked', 'delayed', 'wrong', 'missing', 'stuck in review'],
  apps: ['mobile app', 'website', 'customer portal', 'chat assistant'],
  pages: ['My account', 'Orders', 'Settings', 'Membership', 'Help centre'],
  docs: ['ID card', 'order number', 'receipt', 'invoice title', 'bank details', 'registered phone number'],
}

const QUERIES: Record<Kind, readonly string[]> = {
  'zh short': ['退款', '账单', '密码', '快递', '发票', '会员', '订单', '积分', '套餐', '退款 发票', '密码 重置', '会员 积分', '话费 账单'],
  'zh phrase': ['申请退款', '修改密码', '电子发票', '没有到账', '工作日内', '人工客服', '实名认证', '会员中心', '如何 申请退款', '银行卡 被冻结了', '个人中心 绑定'],
  'en words': ['refund', 'password', 'invoice', 'reset password', 'parcel delayed', 'bank card', 'working days', 'membership points', 'cancel my order', 'verification code', 'contact an agent'],
}

/** Not timed, only checked: terms too common for the index (scanned) and single characters. */
const CHECK_ONLY = ['a', 'to', '退', '款', 'my bill', '3个', 'top-up']

function generate(seed: number, count: number): KbInput[] {
  const rnd = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1))
  const zhQuestion = () => {
    const [v, n, p] = [pick(ZH.verbs), pick(ZH.nouns), pick(ZH.problems)]
    return `${pick(ZH.products)}：${pick([`如何${v}${n}？`, `${n}怎么${v}？`, `为什么我的${n}${p}？`, `${v}${n}需要多久？`, `${n}${v}失败怎么办？`, `可以在网上${v}${n}吗？`, `${n}和${pick(ZH.nouns)}有什么区别？`])}`
  }
  const zhAnswer = () =>
    Array.from({length: int(2, 5)}, () => {
      const [v, n] = [pick(ZH.verbs), pick(ZH.nouns)]
      return pick([
        `请登录${pick(ZH.apps)}，进入“${pick(ZH.pages)}”页面，点击“${v}${n}”。`,
        `一般在${int(1, 7)}个工作日内处理完成。`,
        `如有疑问请拨打客服热线400-${int(100, 999)}-${int(1000, 9999)}，转人工客服。`,
        `${n}${v}后，系统会发送短信通知您。`,
        `如果${n}${pick(ZH.problems)}，请联系人工客服核实。`,
        `办理时需要提供${pick(ZH.docs)}。`,
        `${v}${n}不收取任何费用。`,
      ])
    }).join('')
  const enQuestion = () => {
    const [v, n, p] = [pick(EN.verbs), pick(EN.nouns), pick(EN.problems)]
    return `${pick(EN.products)}: ${pick([`How do I ${v} my ${n}?`, `Why is my ${n} ${p}?`, `How long does it take to ${v} a ${n}?`, `What if I cannot ${v} my ${n}?`, `Can I ${v} my ${n} online?`, `What is the difference between ${n} and ${pick(EN.nouns)}?`])}`
  }
  const enAnswer = () =>
    Array.from({length: int(2, 5)}, () => {
      const [v, n] = [pick(EN.verbs), pick(EN.nouns)]
      return pick([
        `Log in to the ${pick(EN.apps)}, open ${pick(EN.pages)} and choose "${v} ${n}".`,
        `It is usually done within ${int(1, 7)} working days.`,
        `If your ${n} is ${pick(EN.problems)}, contact an agent on 0800 ${int(100, 999)} ${int(1000, 9999)}.`,
        `We send a text message once the ${n} is updated.`,
        `You will need your ${pick(EN.docs)}.`,
        `There is no fee to ${v} your ${n}.`,
      ])
    }).join(' ')
  const seen = new Set<string>()
  const out: KbInput[] = []
  while (out.length < count) {
    const zh = out.length % 2 === 0
    let question = zh ? zhQuestion() : enQuestion()
    // Questions are unique; past some tens of thousands the templates repeat, so name a model.
    while (seen.has(question)) question = `${question.replace(/[?？]$/, '')} (${pick(['A', 'B', 'C', 'X'])}${int(100, 999)})${zh ? '？' : '?'}`
    seen.add(question)
    out.push({question, answer: zh ? zhAnswer() : enAnswer(), tags: [zh ? 'zh' : 'en', pick(zh ? ZH.products : EN.products)]})
  }
  return out
}

interface Stats {
  count: number
  perSec: number
  p50: number
  p90: number
  p99: number
  max: number
}

function stats(ms: readonly number[]): Stats {
  const sorted = Float64Array.from(ms).sort()
  const n = sorted.length
  const at = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!)
  const total = sorted.reduce((a, b) => a + b, 0)
  return {count: n, perSec: total > 0 ? (n * 1000) / total : 0, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: n === 0 ? 0 : sorted[n - 1]!}
}

/** The obvious implementation: every term as LIKE '%term%', entries with question matches first. */
function naiveSearch(db: Database.Database): (query: string, limit?: number) => {id: number}[] {
  const statements = new Map<number, Database.Statement>()
  return (query, limit = -1) => {
    const terms = queryTerms(query)
    let stmt = statements.get(terms.length)
    if (!stmt) {
      const any = terms.map((_, i) => `(question LIKE @t${i} OR answer LIKE @t${i})`).join(' AND ')
      const inQuestion = terms.map((_, i) => `(question LIKE @t${i})`).join(' + ')
      stmt = db.prepare(`SELECT id, question, answer, tags FROM kb_entries WHERE ${any} ORDER BY ${inQuestion} DESC, id LIMIT @limit`)
      statements.set(terms.length, stmt)
    }
    return stmt.all({limit, ...Object.fromEntries(terms.map((t, i) => [`t${i}`, `%${t}%`]))}) as {id: number}[]
  }
}

async function check(kb: SqliteKnowledgeBase, naive: (q: string, limit?: number) => {id: number}[]): Promise<string[]> {
  const problems: string[] = []
  for (const q of [...KINDS.flatMap((k) => QUERIES[k]), ...CHECK_ONLY]) {
    const all = naive(q).map((r) => r.id)
    const found = (await kb.search(q, {limit: 100})).map((h) => h.id)
    const expected = new Set(all)
    if (all.length === 0) problems.push(`"${q}" matches nothing: the query set no longer fits the generated text`)
    if (found.length !== Math.min(100, all.length) || found.some((id) => !expected.has(id))) {
      problems.push(`"${q}": search found ${found.length} entries, the LIKE scan ${all.length}${found.some((id) => !expected.has(id)) ? ' (and different ones)' : ''}`)
    }
  }
  return problems
}

async function time(queries: readonly {kind: Kind; q: string}[], run: (q: string) => Promise<unknown> | unknown): Promise<Record<Kind | 'all', Stats>> {
  for (const {q} of queries.slice(0, WARMUP)) await run(q)
  const ms: Record<Kind | 'all', number[]> = {'zh short': [], 'zh phrase': [], 'en words': [], all: []}
  for (const {kind, q} of queries) {
    const t0 = process.hrtime.bigint()
    await run(q)
    const took = Number(process.hrtime.bigint() - t0) / 1e6
    ms[kind].push(took)
    ms.all.push(took)
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, stats(v)])) as Record<Kind | 'all', Stats>
}

async function run(args: string[]) {
  const opts = {seed: numberFlag(args, '--seed', 1, {integer: true, min: 1}), entries: numberFlag(args, '--entries', 10_000, {integer: true, min: 1}), searches: numberFlag(args, '--searches', 3000, {integer: true, min: 1})}
  const dir = mkdtempSync(join(tmpdir(), 'callctl-kb-bench-'))
  const store = new SqliteStore(join(dir, 'kb.db'))
  try {
    const kb = new SqliteKnowledgeBase(store.db)
    const entries = generate(opts.seed, opts.entries)
    const t0 = performance.now()
    await kb.importEntries(entries)
    const importMs = performance.now() - t0
    store.db.pragma('optimize')

    const naive = naiveSearch(store.db)
    const problems = await check(kb, naive)
    const rnd = prng(opts.seed ^ 0x5bd1e995)
    const queries = Array.from({length: opts.searches}, () => {
      const kind = KINDS[Math.floor(rnd() * KINDS.length)]!
      const list = QUERIES[kind]
      return {kind, q: list[Math.floor(rnd() * list.length)]!}
    })
    const fts = await time(queries, (q) => kb.search(q, {limit: LIMIT}))
    const like = await time(queries, (q) => naive(q, LIMIT))

    const missed = [...problems]
    for (const k of [...KINDS, 'all'] as const) {
      if (fts[k].p99 >= TARGET_P99_MS) missed.push(`search p99 for ${k} queries ${fts[k].p99.toFixed(2)} ms >= ${TARGET_P99_MS} ms`)
    }
    return {
      scenario: {...opts, chinese: Math.ceil(opts.entries / 2), limit: LIMIT, warmup: WARMUP, importMs, node: process.version, sqlite: (store.db.prepare('SELECT sqlite_version() AS v').get() as {v: string}).v},
      search: fts,
      likeScan: like,
      ratioLikeOverSearch: Object.fromEntries([...KINDS, 'all'].map((k) => [k, {p50: like[k as Kind].p50 / fts[k as Kind].p50, p99: like[k as Kind].p99 / fts[k as Kind].p99}])),
      checkedQueries: KINDS.reduce((n, k) => n + QUERIES[k].length, CHECK_ONLY.length),
      targets: {p99Ms: TARGET_P99_MS, met: missed.length === 0, missed},
    }
  } finally {
    await store.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

type Result = Awaited<ReturnType<typeof run>>

function printTable(r: Result): void {
  const ms = (v: number) => v.toFixed(2)
  const int = (v: number) => Math.round(v).toLocaleString('en-US')
  const rows: string[][] = [['method', 'queries', 'count', 'searches/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms']]
  for (const [name, run] of [['search', r.search], ['LIKE scan', r.likeScan]] as const) {
    for (const k of [...KINDS, 'all'] as const) {
      const s = run[k]
      rows.push([name, k, int(s.count), int(s.perSec), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)])
    }
  }
  for (const k of [...KINDS, 'all']) {
    const x = r.ratioLikeOverSearch[k]!
    rows.push(['LIKE/search', k, '', '', `${x.p50.toFixed(1)}x`, '', `${x.p99.toFixed(1)}x`, ''])
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()
  const sc = r.scenario
  console.log(`Knowledge base: ${int(sc.entries)} entries (${int(sc.chinese)} Chinese), top ${sc.limit} per search (seed ${sc.seed}, node ${sc.node}, SQLite ${sc.sqlite})`)
  console.log(`Entries imported and indexed in ${int(sc.importMs)} ms; ${int(sc.searches)} searches per method after ${sc.warmup} warm-up`)
  console.log('zh short: 1-2 character terms (found as indexed trigrams starting with them); zh phrase: 3+ characters; en words: English terms')
  console.log('')
  console.log(line(rows[0]!))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of rows.slice(1)) console.log(line(row))
  console.log('')
  console.log(`Matches agree with the LIKE scan for all ${r.checkedQueries} distinct queries: ${r.targets.missed.some((m) => m.startsWith('"')) ? 'NO' : 'yes'}`)
  console.log(`Target (search p99 < ${TARGET_P99_MS} ms for every kind of query): ${r.targets.met ? 'met' : 'MISSED'}`)
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const result = await run(args)
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printTable(result)
  for (const m of result.targets.missed) console.error(`kb bench: target missed: ${m}`)
  return result.targets.met ? 0 : 1
}

process.exitCode = await main()
