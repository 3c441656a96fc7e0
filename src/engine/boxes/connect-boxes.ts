import {connectAri, type ConnectOptions} from '../ari/index.js'
import type {AriPort, ConnectionState} from '../ari/port.js'
import type {BoxConfig} from '../config/boxes-config.js'
import type {Logger} from '../util/log.js'
import {BoxRouter} from './box-router.js'

/**
 * Connects to every box and resolves with a router as soon as one serves: a box that is
 * down at start joins when it answers (each keeps its own reconnect loop, restart
 * detection and recovery), so one dead box never holds the engine back.
 */
export async function connectBoxes(boxes: BoxConfig[], o: Omit<ConnectOptions, 'creds' | 'abort'> & {abort?: AbortSignal; log: Logger}): Promise<BoxRouter> {
  // Ours to stop: the connects still trying when the engine stops (or the start is aborted).
  const stop = new AbortController()
  o.abort?.addEventListener('abort', () => stop.abort(), {once: true})
  const tries = boxes.map((b) => {
    // Each box's own link, said once when it goes and once when it is back (not per attempt).
    let away = false
    const onConnection = (c: ConnectionState) => {
      if (c.state === 'unreachable' && !away) {
        away = true
        o.log.warn(`box ${b.name} (${b.url}) does not answer: ${c.error}; trying again every second`)
      } else if (c.state === 'connected' && away) {
        away = false
        o.log.info(`box ${b.name} (${b.url}) answers again`)
      }
    }
    return {box: b, port: connectAri({...o, onConnection, creds: {url: b.url, user: b.user, password: b.password}, abort: stop.signal})}
  })
  let router: BoxRouter | null = null
  const joined = new Set<string>()
  const first = await Promise.any(tries.map(async (t) => ({box: t.box, port: await t.port}))).catch((err: unknown) => {
    // No box at all: the first box's reason (a refused password, a stop) as a single box would give it.
    throw err instanceof AggregateError ? err.errors[0] : err
  })
  router = new BoxRouter([{name: first.box.name, port: first.port, sip: first.box.sip}])
  joined.add(first.box.name)
  o.log.info(`serving box ${first.box.name} (${first.box.url}); ${boxes.length - 1} more to join`)
  for (const t of tries) {
    if (t.box.name === first.box.name) continue
    void t.port.then(
      (port: AriPort) => {
        if (stop.signal.aborted) return void port.close()
        router!.addBox({name: t.box.name, port, sip: t.box.sip})
        joined.add(t.box.name)
        o.log.info(`box ${t.box.name} (${t.box.url}) joined`)
      },
      (err: unknown) => {
        if (!stop.signal.aborted) o.log.error(`box ${t.box.name} (${t.box.url}) cannot be driven`, {error: err instanceof Error ? err.message : String(err)})
      },
    )
  }
  const close = router.close.bind(router)
  router.close = async () => {
    stop.abort()
    await close()
  }
  return router
}
