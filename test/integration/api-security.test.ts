import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import type {CallList} from '../../src/engine/api/handlers.js'
import {API_VERSION, MAX_MESSAGE_BYTES, type ApiResponse} from '../../src/engine/api/protocol.js'
import type {CallView, EngineSnapshot} from '../../src/engine/calls/engine.js'
import type {CallRecord} from '../../src/engine/reports/call-records.js'
import {createLogger} from '../../src/engine/util/log.js'
import {leftovers, startTestEngine, type Harness} from '../support/harness.js'

/** A bare WebSocket client: sends whatever bytes a test wants and collects every reply. */
class RawClient {
  private readonly inbox: unknown[] = []
  private readonly waiters: ((m: unknown) => void)[] = []
  readonly closed: Promise<{code: number; reason: string}>

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg: unknown = JSON.parse(data.toString())
      const w = this.waiters.shift()
      if (w) w(msg)
      else this.inbox.push(msg)
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({code, reason: reason.toString()})))
  }

  static open(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(new RawClient(ws)))
      ws.once('error', reject)
    })
  }

  send(msg: string | object): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg))
  }

  next(timeoutMs = 5000): Promise<ApiResponse> {
    const queued = this.inbox.shift()
    if (queued !== undefined) return Promise.resolve(queued as ApiResponse)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push((m) => {
        clearTimeout(timer)
        resolve(m as ApiResponse)
      })
    })
  }

  async request(msg: string | object): Promise<ApiResponse> {
    this.send(msg)
    return this.next()
  }

  /** Replies received and not yet taken. */
  get pending(): number {
    return this.inbox.length
  }

  drain(): unknown[] {
    return this.inbox.splice(0)
  }

  close(): void {
    this.ws.close()
  }
}

// The engine's API on a real engine with a real Asterisk: every kind of bad request is
// refused with its own code and message, none of them disturbs the engine, a flooding
// client is throttled while calls keep connecting, and the token never reaches the log.
describe('engine API security (real engine, real Asterisk)', () => {
  let h: Harness
  let url: string
  let token: string
  const logLines: string[] = []
  let seq = 0

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {support: {wrapUp: 0, ringTimeout: 10, record: false}, long: {wrapUp: 0, ringTimeout: 10, record: false}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 1, max: 1}, queues: ['support']},
        // Talks long enough for a test to see its call while connected.
        {id: 'b1', ring: 0, talk: {min: 4, max: 4}, queues: ['long']},
      ],
      api: true,
      // Debug level: the token check is about everything the engine might write.
      log: createLogger({level: 'debug', write: (l) => logLines.push(l)}),
    })
    url = h.api!.url
    token = h.api!.token
  })

  afterAll(async () => {
    await h?.stop()
  })

  const request = (method: string, params: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({v: API_VERSION, id: ++seq, token, method, params, ...extra})

  /** A simulated caller to the one simulated agent: connected, then completed. */
  async function callCompletes(): Promise<{record: CallRecord; connectMs: number}> {
    const number = `+1555300${String(++seq).padStart(4, '0')}`
    const placed = Date.now()
    await h.call({number, did: 'support', patience: 30})
    const record = await h.ended(number, 30_000)
    expect(record.outcome, `call from ${number}`).toBe('completed')
    expect(record.agent).toBe('a1')
    expect(record.trail.filter((t) => !t.startsWith('agent.'))).toEqual(['call.started', 'queue.entered', 'call.connected', 'call.completed', 'call.ended'])
    return {record, connectMs: record.connectedAt! - placed}
  }

  /** What must hold after every refused request: a new authorised client is served and a call goes through. */
  async function engineStillServes(): Promise<void> {
    const c = await h.api!.client()
    try {
      const snap = await c.request('snapshot')
      expect(snap.queues.map((q) => q.name)).toEqual(['long', 'support'])
      expect(snap.agents.map((a) => a.id)).toEqual(['a1', 'b1'])
    } finally {
      c.close()
    }
    await callCompletes()
  }

  /** The connection that sent a bad request is still usable for a good one. */
  async function connectionStillServes(raw: RawClient): Promise<void> {
    const r = await raw.request(request('engine.status'))
    expect(r).toMatchObject({ok: true, result: {app: h.app, version: 'test'}})
  }

  it('refuses a request without a token', async () => {
    const raw = await RawClient.open(url)
    const r = await raw.request({v: API_VERSION, id: 'no-token', method: 'snapshot'})
    expect(r).toEqual({
      v: API_VERSION,
      id: 'no-token',
      ok: false,
      error: {code: 'unauthorized', message: 'Missing API token', suggestion: 'callctl sends CALLCTL_TOKEN when set, else the admin token in secrets/api-token in the callctl home; scripts must send it as "token".'},
    })
    // Subscribing is refused the same way: no events leak to a client without the token.
    const s = await raw.request({v: API_VERSION, id: 2, method: 'events.subscribe', token: null})
    expect(s).toMatchObject({id: 2, ok: false, error: {code: 'unauthorized'}})
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('refuses a wrong token of the same length and of other lengths', async () => {
    const raw = await RawClient.open(url)
    const sameLength = token.slice(0, -1) + (token.endsWith('0') ? '1' : '0')
    expect(sameLength).toHaveLength(token.length)
    for (const wrong of [sameLength, token + 'x', token.slice(0, 8), '', 'ü'.repeat(token.length / 2), 12345]) {
      const r = await raw.request(request('snapshot', {}, {token: wrong}))
      expect(r, `token ${JSON.stringify(wrong)}`).toMatchObject({ok: false, error: {code: 'unauthorized', message: wrong === '' || typeof wrong !== 'string' ? 'Missing API token' : 'Unknown API token'}})
    }
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('closes the connection on a message over 64 KiB (code 1009) and accepts one of exactly 64 KiB', async () => {
    const pad = (size: number) => {
      // Padded outside params: an unknown param would be refused by the contract.
      const base = JSON.stringify(request('snapshot', {}, {pad: ''}))
      const text = JSON.stringify(request('snapshot', {}, {pad: 'x'.repeat(size - base.length)}))
      expect(Buffer.byteLength(text)).toBe(size)
      return text
    }
    const fits = await RawClient.open(url)
    expect(await fits.request(pad(MAX_MESSAGE_BYTES))).toMatchObject({ok: true, result: {queues: [{name: 'long'}, {name: 'support'}]}})
    fits.close()

    const raw = await RawClient.open(url)
    raw.send(pad(MAX_MESSAGE_BYTES + 1))
    const closed = await raw.closed
    expect(closed.code).toBe(1009)
    expect(logLines.some((l) => l.includes('API client sent an oversized message; connection closed'))).toBe(true)
    await engineStillServes()
  })

  it('answers a message that is not JSON with bad_request and keeps the connection', async () => {
    const raw = await RawClient.open(url)
    for (const text of ['{"v":1,"id":1,', 'hello', '']) {
      expect(await raw.request(text)).toEqual({
        v: API_VERSION,
        id: null,
        ok: false,
        error: {code: 'bad_request', message: 'Messages must be JSON objects: {"v":1,"id":…,"token":…,"method":…,"params":{…}}'},
      })
    }
    raw.ws.send(Buffer.from([0xff, 0x00, 0x7b]), {binary: true})
    expect(await raw.next()).toMatchObject({id: null, ok: false, error: {code: 'bad_request'}})
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('answers a JSON array, or another non-object, with bad_request', async () => {
    const raw = await RawClient.open(url)
    for (const text of [JSON.stringify([request('snapshot')]), '42', 'null', '"snapshot"']) {
      expect(await raw.request(text), text).toEqual({v: API_VERSION, id: null, ok: false, error: {code: 'bad_request', message: 'A request is a JSON object'}})
    }
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('answers a request without an id with bad_request', async () => {
    const raw = await RawClient.open(url)
    for (const id of [undefined, null, {n: 1}, true]) {
      const r = await raw.request({v: API_VERSION, token, method: 'snapshot', ...(id === undefined ? {} : {id})})
      expect(r, `id ${JSON.stringify(id)}`).toEqual({v: API_VERSION, id: null, ok: false, error: {code: 'bad_request', message: 'A request needs an "id" (string or number)'}})
    }
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('answers another API version with bad_version', async () => {
    const raw = await RawClient.open(url)
    expect(await raw.request({v: 2, id: 'v2', token, method: 'snapshot'})).toEqual({
      v: API_VERSION,
      id: 'v2',
      ok: false,
      error: {code: 'bad_version', message: 'Unsupported API version 2; this engine speaks v1'},
    })
    expect(await raw.request({id: 'nov', token, method: 'snapshot'})).toMatchObject({id: 'nov', error: {code: 'bad_version', message: 'Unsupported API version undefined; this engine speaks v1'}})
    expect(await raw.request({v: '1', id: 'str', token, method: 'snapshot'})).toMatchObject({id: 'str', error: {code: 'bad_version', message: 'Unsupported API version "1"; this engine speaks v1'}})
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('answers an unknown method with unknown_method, including names of Object.prototype', async () => {
    const raw = await RawClient.open(url)
    const r = await raw.request(request('engine.shutdown'))
    expect(r).toMatchObject({ok: false, error: {code: 'unknown_method', message: 'Unknown method "engine.shutdown"'}})
    const suggestion = (r as {error: {suggestion: string}}).error.suggestion
    expect(suggestion).toMatch(/^Methods: /)
    for (const m of ['snapshot', 'events.subscribe', 'calls.list', 'call.get']) expect(suggestion).toContain(m)
    for (const m of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await raw.request(request(m)), m).toMatchObject({ok: false, error: {code: 'unknown_method', message: `Unknown method "${m}"`}})
    }
    expect(await raw.request(request(123 as unknown as string))).toMatchObject({ok: false, error: {code: 'unknown_method', message: 'Unknown method "123"'}})
    expect(await raw.request({...request('snapshot'), params: [1, 2]})).toMatchObject({ok: false, error: {code: 'bad_request', message: '"params" must be an object'}})
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('answers call.get for a call that is not live with unknown_call', async () => {
    const raw = await RawClient.open(url)
    expect(await raw.request(request('call.get', {call: 'call-nope-0000000000'}))).toMatchObject({
      ok: false,
      error: {code: 'unknown_call', message: 'No live call "call-nope-0000000000"', suggestion: 'List live calls with: callctl calls'},
    })
    expect(await raw.request(request('call.get', {}))).toMatchObject({ok: false, error: {code: 'bad_request', message: 'call: required, expected string of 1 to 256 characters'}})
    expect(await raw.request(request('call.get', {call: 7}))).toMatchObject({ok: false, error: {code: 'bad_request', message: 'call: expected string of 1 to 256 characters, got number'}})
    expect(await raw.request(request('calls.list', {state: 'dancing'}))).toMatchObject({ok: false, error: {code: 'bad_request', message: expect.stringMatching(/^state: expected one of answering, ivr, waiting, .*, got "dancing"$/)}})
    await connectionStillServes(raw)
    raw.close()
    await engineStillServes()
  })

  it('shows a live call through calls.list and call.get, and forgets it once it ends', async () => {
    const c = await h.api!.client()
    try {
      const number = `+1555310${String(++seq).padStart(4, '0')}`
      await h.call({number, name: 'Live Caller', did: 'long', patience: 30})
      const listed = await h.waitFor('the call to be connected', async () => {
        const l = await c.request('calls.list', {state: 'connected'})
        return l.calls.find((x) => x.caller.number === number)
      }, 20_000)
      expect(listed).toMatchObject({state: 'connected', queue: 'long', agent: 'b1', caller: {number, name: 'Live Caller'}, ringing: [], keyTrail: []})
      expect(listed.connectedAt).toBeGreaterThanOrEqual(listed.startedAt)
      expect((await c.request('calls.list', {queue: 'long'})).calls.map((x) => x.id)).toEqual([listed.id])
      expect((await c.request('calls.list', {queue: 'support'})).calls).toEqual([])
      expect((await c.request('calls.list', {state: 'waiting'})).calls).toEqual([])
      // consult must be a boolean: "true" is refused, and the call stays with its agent (it was a blind transfer before the contract).
      const rc = await RawClient.open(url)
      const refused = await rc.request(request('call.transfer', {call: listed.id, to: {agent: 'a1'}, consult: 'true'}))
      rc.close()
      expect(refused).toMatchObject({ok: false, error: {code: 'bad_request', message: 'consult: expected boolean, got string'}})
      expect(await c.request('call.get', {call: listed.id})).toEqual(listed)
      await h.ended(number, 20_000)
      await expect(c.request('call.get', {call: listed.id})).rejects.toMatchObject({body: {code: 'unknown_call', message: `No live call "${listed.id}"`}})
      expect((await c.request('calls.list')).calls).toEqual([])
    } finally {
      c.close()
    }
  })

  it('throttles a client flooding 20,000 requests while calls connect and other clients are answered', async () => {
    const flooder = await RawClient.open(url)
    const TOTAL = 20_000
    let sent = 0
    let callDone = false
    const floodStarted = Date.now()
    // Keep flooding at least until the call below has completed, so the two overlap.
    const flooding = (async () => {
      const text = JSON.stringify(request('snapshot'))
      while (sent < TOTAL || (!callDone && sent < 10 * TOTAL)) {
        for (let i = 0; i < 200; i++, sent++) flooder.ws.send(text)
        // Only as fast as the socket drains: the test process must not buffer without bound.
        while (flooder.ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1))
        await new Promise((r) => setImmediate(r))
      }
    })()

    await new Promise((r) => setTimeout(r, 200))
    const bystander = await h.api!.client()
    const asked = Date.now()
    const status = await bystander.request('engine.status')
    const bystanderMs = Date.now() - asked
    bystander.close()
    expect(status.app).toBe(h.app)

    const {record, connectMs} = await callCompletes()
    callDone = true
    await flooding
    const floodMs = Date.now() - floodStarted
    await h.waitFor('every flood request to be answered', () => flooder.pending === sent, 60_000)
    const answeredMs = Date.now() - floodStarted
    const replies = flooder.drain() as ApiResponse[]
    const ok = replies.filter((m) => m.ok).length
    const limitedReplies = replies.filter((m) => !m.ok && m.error.code === 'rate_limited')
    const limited = limitedReplies.length
    const other = replies.length - ok - limited

    console.log(
      `flood: ${sent} requests sent in ${floodMs} ms (${Math.round(sent / (floodMs / 1000))}/s), all answered after ${answeredMs} ms: ${ok} served, ${limited} rate_limited, ${other} other; ` +
        `bystander answered in ${bystanderMs} ms; call during the flood connected ${connectMs} ms after it was placed ` +
        `(engine: ${record.connectedAt! - record.startedAt} ms from arrival), talked ${record.talkMs} ms`,
    )
    expect(sent).toBeGreaterThanOrEqual(TOTAL)
    expect(other).toBe(0)
    expect(ok + limited).toBe(sent)
    expect(limited).toBeGreaterThan(0)
    // Throttled replies carry the request's id, so a client can fail that request at once.
    expect(limitedReplies[0]).toEqual({v: API_VERSION, id: expect.any(Number), ok: false, error: {code: 'rate_limited', message: 'Too many requests: at most 200 per second'}})
    // The bucket: a burst of 400, then 200 a second while the server works through the flood.
    expect(ok).toBeLessThanOrEqual(400 + 200 * (answeredMs / 1000))
    expect(bystanderMs).toBeLessThan(2000)
    expect(connectMs).toBeLessThan(5000)
    expect(logLines.filter((l) => l.includes('API client is flooding; requests refused')).length).toBeGreaterThanOrEqual(1)
    // The flooder itself is only slowed, not cut off.
    await connectionStillServes(flooder)
    flooder.close()
    await engineStillServes()
  })

  it('cuts off a flooding client that does not read its replies, before they pile up in the engine', async () => {
    const hog = await RawClient.open(url)
    // Stops reading: every reply now stays in the engine's send buffer once the kernel's are full.
    hog.ws.pause()
    const text = JSON.stringify(request('snapshot'))
    let sent = 0
    const started = Date.now()
    const cutOff = () => logLines.some((l) => l.includes('API client is not reading its replies; connection closed'))
    while (!cutOff() && sent < 400_000) {
      for (let i = 0; i < 1000; i++, sent++) hog.ws.send(text)
      while (hog.ws.bufferedAmount > 1 << 20) await new Promise((r) => setTimeout(r, 1))
      await new Promise((r) => setImmediate(r))
    }
    hog.ws.resume()
    const closed = await hog.closed
    console.log(`non-reading flooder: cut off after ${sent} requests, ${Date.now() - started} ms (close code ${closed.code})`)
    expect(cutOff()).toBe(true)
    expect(closed.code).toBe(1006)
    await engineStillServes()
  })

  it('never writes the token, or a wrong one, to the log', async () => {
    // The refusals above were logged (so the log is being captured), without the tokens they carried.
    const log = logLines.join('\n')
    expect(log).toContain('API request refused: missing or wrong token')
    expect(log).not.toContain(token)
    expect(log).not.toContain(token.slice(0, 16))
    expect(log).not.toContain(token.slice(0, -1))
  })

  it('leaves no channel or bridge in Asterisk', async () => {
    const left = await h
      .waitFor('Asterisk to be clean', async () => {
        const l = await leftovers(h.rest)
        return l.channels.length === 0 && l.bridges.length === 0 ? l : undefined
      }, 15_000)
      .catch(async (err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify(await leftovers(h.rest))}`)
      })
    expect(left).toEqual({channels: [], bridges: []})
  })
})
