import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/http-rest.js'
import {AriTransportError} from '../../src/engine/ari/port.js'

// Asterisk allows 100 HTTP sessions (http.conf sessionlimit) for every client together:
// the engine's REST side must not open one per request in a burst.

let server: Server | null = null
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler)
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`)))
}

describe('ARI over HTTP', () => {
  it('opens at most 24 connections; a burst of 200 requests waits its turn and all are answered', async () => {
    let now = 0
    let most = 0
    const sockets = new Set<unknown>()
    const url = await listen((req, res) => {
      sockets.add(req.socket)
      most = Math.max(most, ++now)
      setTimeout(() => {
        now--
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({id: req.url}))
      }, 5)
    })
    const http = new AriHttp({url, user: 'u', password: 'p'})
    const answers = await Promise.all(Array.from({length: 200}, (_, i) => http.getChannel(`c${i}`)))
    expect(answers.map((a) => a.id)).toEqual(Array.from({length: 200}, (_, i) => `/ari/channels/c${i}`))
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(24)
    // Connections are kept and reused: never more than 24 opened, not one per request.
    expect(sockets.size).toBeLessThanOrEqual(24)
  })

  it("Asterisk's 503 'Shutdown in progress' page is no answer (Asterisk going away), other errors stay request errors", async () => {
    // The page Asterisk 22's HTTP server sent while `sandbox down` stopped it (seen by hand: simulate then ended as a callctl bug).
    const page = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>Shutdown in progress</p>\n</body></html>\n'
    const url = await listen((req, res) => {
      if (req.url?.includes('/channels/gone')) return void res.writeHead(404, {'content-type': 'application/json'}).end(JSON.stringify({message: 'Channel not found'}))
      res.writeHead(503, {'content-type': 'text/html'}).end(page)
    })
    const http = new AriHttp({url, user: 'u', password: 'p'})
    const down = await http.listChannels().catch((e: unknown) => e)
    expect(down).toBeInstanceOf(AriTransportError)
    expect((down as AriTransportError).reason).toBe('Asterisk is shutting down')
    const gone = await http.getChannel('gone').catch((e: unknown) => e)
    expect(gone).not.toBeInstanceOf(AriTransportError)
    expect((gone as Error).message).toBe('GET /channels/gone: 404 Channel not found')
  })

  it('no answer is an AriTransportError naming the operation and the reason', async () => {
    const url = await listen(() => {})
    const port = Number(new URL(url).port)
    await new Promise<void>((r) => server!.close(() => r()))
    server = null
    const http = new AriHttp({url: `http://127.0.0.1:${port}`, user: 'u', password: 'p'})
    const err = await http.hangup('x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AriTransportError)
    expect((err as AriTransportError).message).toBe('DELETE /channels/x: no answer from Asterisk (ECONNREFUSED)')
  })

  it('a refused connection is Asterisk away, not slow: no failure in the pressure, so no overload', async () => {
    const url = await listen(() => {})
    const port = Number(new URL(url).port)
    await new Promise<void>((r) => server!.close(() => r()))
    server = null
    const http = new AriHttp({url: `http://127.0.0.1:${port}`, user: 'u', password: 'p'})
    for (let i = 0; i < 5; i++) await http.hangup(`x${i}`).catch(() => undefined)
    expect(http.pressure.view()).toMatchObject({overloaded: false, failures: 0})
  })
})
