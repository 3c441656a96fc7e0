import {afterEach, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import {controlHandlers} from '../../src/engine/api/control-handlers.js'
import {ApiServer} from '../../src/engine/api/server.js'
import type {Engine} from '../../src/engine/calls/engine.js'
import {createLogger} from '../../src/engine/util/log.js'

// A real ApiServer on a free port with the real call-control handlers over an engine
// that only records what it is asked to do: what reaches the engine, and what the log
// gets, for requests a client should not be able to get through.

const TOKEN = 'a'.repeat(32)

/** An engine whose call control records each request instead of touching Asterisk. */
function recordingEngine() {
  const done: string[] = []
  const control = {
    blindTransfer: async (call: string, to: unknown) => (done.push(`blind ${call} ${JSON.stringify(to)}`), {callId: call, to}),
    consult: async (call: string, to: unknown) => (done.push(`consult ${call} ${JSON.stringify(to)}`), {callId: call, to}),
    hold: async (call: string) => (done.push(`hold ${call}`), {callId: call, held: true}),
  }
  return {engine: {control, supervision: {list: () => []}} as unknown as Engine, done}
}

function client(url: string): Promise<{ask(msg: object): Promise<Record<string, unknown>>; close(): void}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const waiting: ((m: Record<string, unknown>) => void)[] = []
    ws.on('message', (data) => waiting.shift()?.(JSON.parse(data.toString()) as Record<string, unknown>))
    ws.once('error', reject)
    ws.once('open', () =>
      resolve({
        ask: (msg) =>
          new Promise((r) => {
            waiting.push(r)
            ws.send(JSON.stringify(msg))
          }),
        close: () => ws.close(),
      }),
    )
  })
}

const servers: ApiServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function serve(o: {lines?: string[]} = {}) {
  const {engine, done} = recordingEngine()
  const log = createLogger({level: 'debug', write: (l) => o.lines?.push(l)})
  const server = new ApiServer({host: '127.0.0.1', port: 0, token: TOKEN, handlers: controlHandlers(engine), log, rateLimit: 100_000})
  servers.push(server)
  const {url} = await server.listen()
  return {server, url, done}
}

describe('the API refuses params that do not match the contract, before the engine acts', () => {
  it('consult: "true" (a string) is bad_request naming the field, and no transfer happens', async () => {
    const {url, done} = await serve()
    const c = await client(url)
    const r = await c.ask({v: 1, id: 1, token: TOKEN, method: 'call.transfer', params: {call: 'call-1', to: {agent: '1002'}, consult: 'true'}})
    expect(r).toEqual({v: 1, id: 1, ok: false, error: {code: 'bad_request', message: 'consult: expected boolean, got string'}})
    // Until the contract, this was a blind transfer.
    expect(done).toEqual([])
    // The same request with a boolean goes through as a consultation.
    const ok = await c.ask({v: 1, id: 2, token: TOKEN, method: 'call.transfer', params: {call: 'call-1', to: {agent: '1002'}, consult: true}})
    expect(ok).toMatchObject({ok: true, result: {callId: 'call-1'}})
    expect(done).toEqual(['consult call-1 {"agent":"1002"}'])
    c.close()
  })

  it('an unknown param, a wrong nested shape and a wrong type are refused with the field named', async () => {
    const {url, done} = await serve()
    const c = await client(url)
    const ask = (method: string, params: unknown) => c.ask({v: 1, id: 3, token: TOKEN, method, params})
    expect(await ask('call.hold', {call: 'call-1', by: 'li', force: true})).toMatchObject({ok: false, error: {code: 'bad_request', message: 'force: unknown parameter', suggestion: 'call.hold takes: call, by'}})
    expect(await ask('call.transfer', {call: 'call-1', to: {agent: '1002', queue: 'sales'}})).toMatchObject({ok: false, error: {code: 'bad_request', message: 'to: expected {agent} or {queue} or {number}, got object'}})
    expect(await ask('call.hold', {call: 42})).toMatchObject({ok: false, error: {code: 'bad_request', message: 'call: expected string of 1 to 256 characters, got number'}})
    expect(await ask('call.hold', {})).toMatchObject({ok: false, error: {code: 'bad_request', message: 'call: required, expected string of 1 to 256 characters'}})
    // A prototype key in the JSON is a param like any other, so it is unknown.
    expect(await c.ask(JSON.parse(`{"v":1,"id":4,"token":"${TOKEN}","method":"call.hold","params":{"call":"call-1","__proto__":{"x":1}}}`) as object)).toMatchObject({
      ok: false,
      error: {code: 'bad_request', message: '__proto__: unknown parameter'},
    })
    expect(done).toEqual([])
    c.close()
  })
})

describe('unauthorized requests in the log', () => {
  it('one line per connection, at most a handful a minute across connections, every refusal counted', async () => {
    const lines: string[] = []
    const {server, url} = await serve({lines})
    const refusedLines = () => lines.filter((l) => l.includes('missing or wrong token'))
    // One client sending 300 bad tokens: one line.
    const flood = await client(url)
    for (let i = 0; i < 300; i++) expect(await flood.ask({v: 1, id: i, token: 'wrong', method: 'snapshot'})).toMatchObject({ok: false, error: {code: 'unauthorized'}})
    expect(refusedLines()).toHaveLength(1)
    flood.close()
    // Forty clients with one bad token each: the log budget (10 a minute) caps the lines.
    for (let i = 0; i < 40; i++) {
      const c = await client(url)
      expect(await c.ask({v: 1, id: i, token: 'wrong', method: 'snapshot'})).toMatchObject({ok: false, error: {code: 'unauthorized'}})
      c.close()
    }
    expect(refusedLines()).toHaveLength(10)
    expect(server.unauthorizedRequests).toBe(340)
    // The last line written says how many refusals it stands for.
    expect(refusedLines()[9]).toContain('refusedTotal=309')
    expect(refusedLines()[1]).toContain('notLogged=299')
  })
})

describe('results checked against the contract (the test harness turns this on)', () => {
  it('a handler answering another shape than the contract declares is an internal error, logged with the field', async () => {
    const lines: string[] = []
    const log = createLogger({write: (l) => lines.push(l)})
    const handlers = {'call.hold': () => ({callId: 'call-1', held: 'yes'}), 'call.hangup': () => ({callId: 'call-1'})}
    const strict = new ApiServer({host: '127.0.0.1', port: 0, token: TOKEN, handlers, log, checkResults: true})
    servers.push(strict)
    const c = await client((await strict.listen()).url)
    expect(await c.ask({v: 1, id: 1, token: TOKEN, method: 'call.hold', params: {call: 'call-1'}})).toMatchObject({ok: false, error: {code: 'internal'}})
    expect(lines.join('\n')).toContain('The result of call.hold does not match the contract: held: expected boolean, got string')
    expect(await c.ask({v: 1, id: 2, token: TOKEN, method: 'call.hangup', params: {call: 'call-1'}})).toEqual({v: 1, id: 2, ok: true, result: {callId: 'call-1'}})
    c.close()
  })
})
