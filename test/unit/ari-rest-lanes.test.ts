import {describe, expect, it} from 'vitest'
import {extraLanesFrom, RestLanes} from '../../src/engine/ari/rest-lanes.js'
import type {RestSocket} from '../../src/engine/ari/ws-rest.js'

// Which lane a request takes (rest-lanes.ts): one channel's or bridge's requests always the
// same lane, so they reach Asterisk in order; others spread by load; closed lanes skipped.

function socket(): RestSocket & {sent: string[]} {
  const sent: string[] = []
  return {readyState: 1, sent, send: (d: string) => void sent.push(d)}
}

function lanes(extra: number) {
  const l = new RestLanes(10_000, extra)
  const sockets = [socket(), ...Array.from({length: extra}, () => socket())]
  l.main.attach(sockets[0]!)
  // What openExtras does once each extra socket is up: attach it to its lane.
  ;(l as unknown as {extras: {rest: {attach(s: RestSocket): void}}[]}).extras.forEach((e, i) => e.rest.attach(sockets[i + 1]!))
  return {l, sockets}
}

describe('REST lanes', () => {
  it('sends every request about one channel or bridge over one lane, and spreads calls over all lanes', () => {
    const {l} = lanes(3)
    const used = new Set<unknown>()
    for (let i = 0; i < 200; i++) {
      const id = `call-abc-${i}.r1`
      const first = l.pick(`/channels/${encodeURIComponent(id)}/answer`, {})
      expect(l.pick(`/channels/${encodeURIComponent(id)}/variable`, {variable: 'X'})).toBe(first)
      expect(l.pick('/channels', {channelId: id, endpoint: 'PJSIP/1001'})).toBe(first)
      expect(l.pick(`/channels/${encodeURIComponent(id)}`, {})).toBe(first)
      used.add(first)
    }
    expect(used.size).toBe(4)
    const b = l.pick('/bridges/call-x.b/addChannel', {channel: 'a,b'})
    expect(l.pick('/bridges/call-x.b', {})).toBe(b)
  })

  it('sends a request about no channel over the least busy lane', async () => {
    const {l} = lanes(1)
    const busy = l.pick('/channels/c1/answer', {})!
    void busy.send('POST', '/channels/c1/answer', [], undefined).catch(() => undefined)
    const other = l.pick('/asterisk/info', {})
    expect(other).not.toBe(busy)
    l.closeExtras('test')
    l.main.detach('test')
  })

  it('skips lanes that are down, and gives null (HTTP) when none is open', () => {
    const {l, sockets} = lanes(2)
    ;(sockets[1] as {readyState: number}).readyState = 3
    for (let i = 0; i < 50; i++) {
      const lane = l.pick(`/channels/c${i}/answer`, {})
      expect(lane?.open).toBe(true)
    }
    for (const s of sockets) (s as {readyState: number}).readyState = 3
    expect(l.pick('/channels/c1/answer', {})).toBeNull()
  })

  it('takes 0 to 15 extra lanes from CALLCTL_ARI_REST_LANES, 3 otherwise', () => {
    expect(extraLanesFrom({})).toBe(3)
    expect(extraLanesFrom({CALLCTL_ARI_REST_LANES: '0'})).toBe(0)
    expect(extraLanesFrom({CALLCTL_ARI_REST_LANES: '8'})).toBe(8)
    expect(extraLanesFrom({CALLCTL_ARI_REST_LANES: '99'})).toBe(3)
    expect(extraLanesFrom({CALLCTL_ARI_REST_LANES: 'x'})).toBe(3)
  })
})
