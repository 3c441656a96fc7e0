import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import type {ContactDirectory} from '../../src/engine/contacts/contact-store.js'
import {lookupCaller, type LookupOptions} from '../../src/engine/contacts/lookup.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {Logger} from '../../src/engine/util/log.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

interface Crm {
  url: string
  requests: string[]
}

describe('caller lookup (screen pop)', () => {
  const servers: Server[] = []
  const stores: SqliteStore[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections()
      await new Promise((r) => s.close(r))
    }
    for (const s of stores.splice(0)) await s.close()
  })

  const crm = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Crm> => {
    const requests: string[] = []
    const server = createServer((req, res) => {
      requests.push(req.url ?? '')
      handler(req, res)
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callers/{number}?src=pbx`, requests}
  }
  const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const directory = async (): Promise<ContactDirectory> => {
    const s = new SqliteStore(':memory:')
    stores.push(s)
    const dir = repositoriesOf(s).contacts
    await dir.upsertMany([{number: '+8613812345678', name: '张三', tier: 'VIP', language: 'zh', company: 'ACME', notes: 'local note'}])
    return dir
  }
  const options = async (url: string | null, extra: Partial<LookupOptions> = {}): Promise<LookupOptions> => ({
    directory: await directory(),
    // Long enough for a loaded machine: a test of the timeout sets its own.
    crm: url ? {url, timeoutMs: 5_000} : null,
    defaultCountry: 'CN',
    ...extra,
  })

  it('attaches the CRM answer, asking with the URL-encoded E.164 number', async () => {
    const c = await crm(json({name: '张三 (CRM)', tier: 'gold', notes: 'called twice', lastTickets: ['T-1 refund', 'T-2 late delivery'], extraField: 1}))
    const r = await lookupCaller('138 1234 5678', await options(c.url))
    expect(c.requests).toEqual(['/callers/%2B8613812345678?src=pbx'])
    expect(r).toEqual({
      source: 'crm',
      number: '+8613812345678',
      contact: {
        number: '+8613812345678',
        name: '张三 (CRM)',
        tier: 'gold',
        // Fields the CRM leaves out come from the local contact.
        language: 'zh',
        company: 'ACME',
        notes: 'called twice',
        lastTickets: ['T-1 refund', 'T-2 late delivery'],
        vip: false,
      },
    })
  })

  it('uses the local contact when no CRM is configured, and marks VIP tiers from a configurable list', async () => {
    const r = await lookupCaller('+8613812345678', await options(null))
    expect(r).toMatchObject({source: 'local', contact: {name: '张三', tier: 'VIP', notes: 'local note', vip: true}})
    expect(r.crmError).toBeUndefined()
    const c = await crm(json({tier: '贵宾'}))
    expect((await lookupCaller('13812345678', await options(c.url, {vipTiers: ['VIP', '贵宾']}))).contact?.vip).toBe(true)
    expect((await lookupCaller('13812345678', await options(c.url, {vipTiers: ['platinum']}))).contact?.vip).toBe(false)
  })

  it('finds nobody for unknown numbers, and never sends a non-number to the CRM', async () => {
    const c = await crm(json({found: false}))
    expect(await lookupCaller('13912345678', await options(c.url))).toEqual({source: 'none', number: '+8613912345678'})
    expect(await lookupCaller('anonymous', await options(c.url))).toEqual({source: 'none', number: null})
    expect(c.requests).toHaveLength(1)
  })

  // The timeout's own message says it fired (not a hang, not another error); how long it took is not asserted (no timing in unit tests).
  it('falls back to the local contact when the CRM hangs past the timeout', async () => {
    const warnings: string[] = []
    const log: Logger = {debug() {}, info() {}, warn: (m, f) => warnings.push(`${m} ${String(f?.error)}`), error() {}}
    const hang = await crm(() => {})
    const r = await lookupCaller('13812345678', await options(hang.url, {crm: {url: hang.url, timeoutMs: 200}, log}))
    expect(r).toMatchObject({source: 'local', crmError: 'CRM did not answer within 200 ms', contact: {name: '张三', vip: true}})
    expect(warnings).toEqual(['CRM lookup failed; using local contacts CRM did not answer within 200 ms'])
  })

  it('times out a CRM that sends headers and then stalls in the body', async () => {
    const c = await crm((_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.write('{"name": "Sl')
    })
    const r = await lookupCaller('13812345678', await options(c.url, {crm: {url: c.url, timeoutMs: 300}}))
    expect(r).toMatchObject({source: 'local', crmError: 'CRM did not answer within 300 ms'})
  })

  it.each([
    ['garbage', (_q: IncomingMessage, res: ServerResponse) => res.end('<<<garbage>>>'), /^CRM answer is not JSON/],
    ['an HTML error page', (_q: IncomingMessage, res: ServerResponse) => (res.writeHead(200, {'content-type': 'text/html'}), res.end('<html>Login</html>')), 'CRM answer is not JSON (text/html)'],
    ['HTTP 500', (_q: IncomingMessage, res: ServerResponse) => (res.writeHead(500), res.end('oops')), 'CRM answered HTTP 500'],
    ['a JSON array', json([{name: 'x'}]), 'CRM answer is not a JSON object'],
    ['JSON null', json(null), 'CRM answer is not a JSON object'],
    ['fields of the wrong type', json({name: 42, tier: ['VIP']}), 'CRM answer has no usable fields (name, tier: wrong type)'],
    ['a huge body', (_q: IncomingMessage, res: ServerResponse) => res.end('{"notes": "' + 'x'.repeat(5_000_000) + '"}'), 'CRM answer is larger than 64 KB'],
    [
      'a huge body without a length',
      (_q: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, {'transfer-encoding': 'chunked'})
        for (let i = 0; i < 100; i++) res.write('x'.repeat(10_000))
        res.end()
      },
      'CRM answer is larger than 64 KB',
    ],
    ['bytes that are not UTF-8', (_q: IncomingMessage, res: ServerResponse) => res.end(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'CRM answer is not UTF-8 text'],
  ])('falls back to the local contact when the CRM answers %s', async (_what, handler, error) => {
    const c = await crm(handler)
    const r = await lookupCaller('13812345678', await options(c.url))
    expect(r.source).toBe('local')
    expect(r.contact).toMatchObject({name: '张三', notes: 'local note', vip: true})
    expect(r.crmError).toMatch(error)
  })

  it('falls back when the CRM is unreachable or its URL is unusable', async () => {
    const c = await crm(json({}))
    const closed = c.url
    const s = servers.pop()!
    await new Promise((r) => s.close(r))
    const r = await lookupCaller('13812345678', await options(closed))
    expect(r).toMatchObject({source: 'local', crmError: 'CRM unreachable: ECONNREFUSED'})
    expect((await lookupCaller('13812345678', await options('ftp://crm/{number}'))).crmError).toBe('CRM lookup URL must be http or https')
  })

  it('appends ?number= when the URL has no {number}', async () => {
    const c = await crm(json({name: 'X'}))
    await lookupCaller('13812345678', await options(c.url.replace('/callers/{number}?src=pbx', '/lookup')))
    expect(c.requests).toEqual(['/lookup?number=%2B8613812345678'])
  })

  it('cleans and caps hostile CRM fields', async () => {
    const c = await crm(
      json({
        name: '\u001b[2J\u001b]0;pwned\u0007Evil\u0000 Name\r\n' + 'n'.repeat(10_000),
        tier: 'VIP\u001b[31m',
        company: '\u009b31mACME',
        notes: 'line 1\nline 2\tend',
        lastTickets: [...Array.from({length: 50}, (_, i) => `T-${i}`), 7, null],
      }),
    )
    const r = await lookupCaller('13812345678', await options(c.url))
    const contact = r.contact!
    expect(contact.name.startsWith('Evil Name nnn')).toBe(true)
    expect(contact.name).toHaveLength(100)
    expect(contact.tier).toBe('VIP')
    expect(contact.vip).toBe(true)
    // U+009B is a CSI: the 31m after it is its parameters and final byte, gone with it.
    expect(contact.company).toBe('ACME')
    expect(contact.notes).toBe('line 1 line 2 end')
    expect(contact.lastTickets).toEqual(Array.from({length: 10}, (_, i) => `T-${i}`))
    for (const v of Object.values(contact)) expect(JSON.stringify(v)).not.toMatch(/\\u00[01]|\\u009|\u001b/)
  })

  it('never throws, even when the local directory fails', async () => {
    const broken: ContactDirectory = {
      upsertMany: async () => ({inserted: 0, updated: 0}),
      get: async () => {
        throw new Error('database is locked')
      },
      list: async () => [],
      remove: async () => false,
      count: async () => 0,
    }
    const c = await crm(json({name: 'From CRM'}))
    expect(await lookupCaller('13812345678', {directory: broken, defaultCountry: 'CN', crm: {url: c.url}})).toMatchObject({
      source: 'crm',
      localError: 'database is locked',
      contact: {name: 'From CRM', tier: '', vip: false},
    })
    expect(await lookupCaller('13812345678', {directory: broken, defaultCountry: 'CN'})).toEqual({source: 'none', number: '+8613812345678', localError: 'database is locked'})
  })
})
