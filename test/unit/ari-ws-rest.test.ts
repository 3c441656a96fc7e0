import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {WebSocket, WebSocketServer} from 'ws'
import {AriHttp} from '../../src/engine/ari/http-rest.js'
import {AriRequestError, AriTransportError, isNotFound, type AriCredentials} from '../../src/engine/ari/port.js'
import {restTransportFrom, SocketRest} from '../../src/engine/ari/ws-rest.js'

// ARI REST over the event WebSocket (Asterisk 22's RESTRequest/RESTResponse), against a
// fake Asterisk: one HTTP server that answers plain REST and carries a WebSocket on which
// a test decides what to answer. The frames' shape is what Asterisk 22.10 took when probed.

interface Frame {
  type: string
  transaction_id: string
  request_id: string
  method: string
  uri: string
  content_type?: string
  query_strings?: {name: string; value: string}[]
  message_body?: string
}

type Reply = (frame: Frame, answer: (status: number, body?: unknown) => void) => void

class SocketHttp extends AriHttp {
  constructor(creds: AriCredentials, rest: SocketRest) {
    super(creds)
    this.socketRest = rest
  }
}

let server: Server | null = null
let wss: WebSocketServer | null = null
const clients: WebSocket[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate()
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()))
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
  wss = null
  server = null
})

async function fakeAsterisk(reply: Reply, o: {timeoutMs?: number} = {}) {
  const httpSeen: string[] = []
  const frames: Frame[] = []
  server = createServer((req: IncomingMessage, res) => {
    httpSeen.push(`${req.method} ${req.url}`)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({over: 'http', url: req.url}))
  })
  wss = new WebSocketServer({server})
  const serverSide = new Promise<WebSocket>((resolve) => wss!.on('connection', (s) => resolve(s)))
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = new WebSocket(url.replace('http:', 'ws:') + '/ari/events?app=t')
  clients.push(client)
  await new Promise((r) => client.once('open', r))
  const peer = await serverSide
  peer.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Frame
    frames.push(f)
    reply(f, (status, body) => {
      const msg: Record<string, unknown> = {type: 'RESTResponse', transaction_id: f.transaction_id, request_id: f.request_id, status_code: status, reason_phrase: 'x', uri: f.uri}
      if (body !== undefined) {
        msg.content_type = 'application/json'
        msg.message_body = JSON.stringify(body)
      }
      peer.send(JSON.stringify(msg))
    })
  })
  const rest = new SocketRest(o.timeoutMs ?? 10_000)
  // What ari-client-port does: every RESTResponse event goes to receive().
  client.on('message', (d) => {
    const e = JSON.parse(d.toString()) as {type: string}
    if (e.type === 'RESTResponse') rest.receive(e)
  })
  rest.attach(client)
  const ari = new SocketHttp({url, user: 'u', password: 'p'}, rest)
  return {ari, rest, frames, httpSeen, client, peer}
}

describe('ARI REST over the event WebSocket', () => {
  it('frames a request as RESTRequest: uri relative to /ari, ids encoded, query strings as a list, a JSON body with its content type', async () => {
    const {ari, frames, httpSeen} = await fakeAsterisk((f, answer) => answer(f.uri === 'channels' ? 200 : 204, f.uri === 'channels' ? {id: 'new'} : undefined))
    await ari.answer('a;2')
    await ari.setChannelVar('c1', 'CALLCTL_QUEUE', 'sales & support')
    await ari.hangup('c1')
    const ch = await ari.originate({endpoint: 'Local/s@ctx', app: 'app', channelId: 'x', variables: {A: '1'}})
    expect(ch).toEqual({id: 'new'})
    expect(httpSeen).toEqual([])
    expect(frames[0]).toEqual({type: 'RESTRequest', transaction_id: frames[0]!.request_id, request_id: frames[0]!.request_id, method: 'POST', uri: 'channels/a%3B2/answer'})
    expect(frames[1]!.query_strings).toEqual([
      {name: 'variable', value: 'CALLCTL_QUEUE'},
      {name: 'value', value: 'sales & support'},
    ])
    expect(frames[1]!.message_body).toBeUndefined()
    // An undefined parameter is left out, not sent as "undefined".
    expect(frames[2]).toMatchObject({method: 'DELETE', uri: 'channels/c1'})
    expect(frames[2]!.query_strings).toBeUndefined()
    expect(frames[3]).toMatchObject({method: 'POST', uri: 'channels', content_type: 'application/json', message_body: JSON.stringify({variables: {A: '1'}})})
    expect(frames[3]!.query_strings).toContainEqual({name: 'formats', value: 'slin'})
    expect(new Set(frames.map((f) => f.request_id)).size).toBe(4)
  })

  it('matches answers to requests by request_id, whatever order they come back in', async () => {
    const held: (() => void)[] = []
    const {ari} = await fakeAsterisk((f, answer) => {
      held.push(() => answer(200, {id: f.uri}))
      if (held.length === 3) for (const h of held.reverse()) h()
    })
    const got = await Promise.all([ari.getChannel('a'), ari.getChannel('b'), ari.getChannel('c')])
    expect(got.map((c) => c.id)).toEqual(['channels/a', 'channels/b', 'channels/c'])
  })

  it('a non-2xx answer is the same AriRequestError as over HTTP: 404 is isNotFound, the message from the JSON body', async () => {
    const {ari} = await fakeAsterisk((f, answer) => (f.method === 'POST' ? answer(422, {message: 'Channel not in Stasis application'}) : answer(404, {message: 'Channel not found'})))
    const gone = await ari.getChannel('nope').catch((e: unknown) => e)
    expect(gone).toBeInstanceOf(AriRequestError)
    expect(isNotFound(gone)).toBe(true)
    expect((gone as AriRequestError).message).toBe('GET /channels/nope: 404 Channel not found')
    const bad = await ari.ring('x').catch((e: unknown) => e)
    expect((bad as AriRequestError).status).toBe(422)
    expect(isNotFound(bad)).toBe(false)
  })

  it('no answer within the timeout is an AriTransportError, counted as a failure; a late answer is dropped', async () => {
    let late: (() => void) | null = null
    const {ari} = await fakeAsterisk((_f, answer) => (late = () => answer(204)), {timeoutMs: 100})
    const err = await ari.answer('x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AriTransportError)
    expect((err as AriTransportError).message).toBe('POST /channels/x/answer: no answer from Asterisk (timeout after 0.1 s)')
    expect(ari.pressure.view()).toMatchObject({requests: 1, failures: 1, inFlight: 0})
    late!()
    await new Promise((r) => setTimeout(r, 50))
  })

  it('the socket closing under a request: a change is an AriTransportError, a read goes again over HTTP', async () => {
    const {ari, rest, httpSeen} = await fakeAsterisk(() => {})
    const change = ari.answer('x').catch((e: unknown) => e)
    const read = ari.getChannel('y')
    await new Promise((r) => setTimeout(r, 30))
    rest.detach('event socket closed')
    const err = await change
    expect(err).toBeInstanceOf(AriTransportError)
    expect((err as AriTransportError).reason).toBe('event socket closed')
    expect(await read).toEqual({over: 'http', url: '/ari/channels/y'})
    expect(httpSeen).toEqual(['GET /ari/channels/y'])
  })

  it('while the socket is down, and for binary downloads, requests go over HTTP', async () => {
    const {ari, rest, client, frames, httpSeen} = await fakeAsterisk((_f, answer) => answer(204))
    await ari.downloadStoredRecording('r1')
    expect(httpSeen).toEqual(['GET /ari/recordings/stored/r1/file'])
    client.close()
    await new Promise((r) => client.once('close', r))
    expect(rest.open).toBe(false)
    await ari.answer('x')
    expect(httpSeen).toEqual(['GET /ari/recordings/stored/r1/file', 'POST /ari/channels/x/answer'])
    expect(frames).toEqual([])
    // Not even sent: no sample and no failure in the pressure figures.
    expect(ari.pressure.view()).toMatchObject({failures: 0, inFlight: 0})
  })

  it('counts answer times in the pressure figures like HTTP does', async () => {
    const {ari} = await fakeAsterisk((f, answer) => (f.uri.endsWith('boom') ? answer(500, {message: 'Internal'}) : answer(204)))
    await ari.answer('a')
    await ari.answer('b')
    await ari.stopPlayback('boom').catch(() => undefined)
    expect(ari.pressure.view()).toMatchObject({requests: 3, failures: 1, inFlight: 0})
  })

  it('drain lets the answers still due arrive, then sends nothing more over the socket', async () => {
    const held: (() => void)[] = []
    const {ari, rest, httpSeen} = await fakeAsterisk((_f, answer) => held.push(() => answer(204)))
    const due = ari.answer('a')
    await new Promise((r) => setTimeout(r, 20))
    const drained = rest.drain(1_000)
    await ari.answer('b')
    expect(httpSeen).toEqual(['POST /ari/channels/b/answer'])
    held[0]!()
    await due
    await drained
    expect(rest.inFlight).toBe(0)
  })

  it('probe: an Asterisk that answers on the socket gets the requests; one that ignores the frame (before 22) leaves REST on HTTP', async () => {
    let answering = true
    const {ari, rest, client, frames, httpSeen} = await fakeAsterisk((_f, answer) => answering && answer(200, {ping: 'pong'}))
    expect(await rest.probe(client, 500)).toBe(true)
    expect(frames.at(-1)).toMatchObject({method: 'GET', uri: 'asterisk/ping'})
    answering = false
    const t = Date.now()
    expect(await rest.probe(client, 100)).toBe(false)
    expect(Date.now() - t).toBeLessThan(1_000)
    expect(rest.open).toBe(false)
    await ari.answer('x')
    expect(httpSeen).toEqual(['POST /ari/channels/x/answer'])
  })

  it('CALLCTL_ARI_REST picks the transport, http by default; anything else is refused', () => {
    expect(restTransportFrom({})).toBe('websocket')
    expect(restTransportFrom({CALLCTL_ARI_REST: 'WebSocket'})).toBe('websocket')
    expect(restTransportFrom({CALLCTL_ARI_REST: 'http'})).toBe('http')
    expect(() => restTransportFrom({CALLCTL_ARI_REST: 'ws'})).toThrow(/http or websocket/)
  })
})
