import type {FeedConnection} from '../../src/ui/dashboard/feed.js'

/**
 * An engine as the desk's and dashboard's feed sees it, for unit tests: every request is
 * kept in `asked` and answered by `answer` (a subscription when it answers undefined);
 * `emit` pushes an event to the subscriber.
 */
export function fakeFeedEngine<P = Record<string, unknown>>(answer: (method: string, params: P, asked: {method: string; params: P}[]) => unknown) {
  const asked: {method: string; params: P}[] = []
  const listeners: ((e: unknown) => void)[] = []
  const connect = async (): Promise<FeedConnection> => ({
    request: (async (method: string, params?: P) => {
      const p = (params ?? {}) as P
      asked.push({method, params: p})
      return answer(method, p, asked) ?? {subscribed: true}
    }) as FeedConnection['request'],
    onEvent: (fn) => (listeners.push(fn), () => undefined),
    onClose: () => undefined,
    close: () => undefined,
  })
  return {connect, asked, emit: (e: object) => listeners.forEach((l) => l(e))}
}
