import {bridgeOf, type CelEvent} from '../load/cel.js'
import {quantiles, type CallerSpec, type Quantiles} from '../load/metrics.js'

// Several boxes' CEL as one log, and each call's setup time, for bench:boxes. No I/O.
//
// Every box writes its own CEL (one clock: the boxes share the machine). A call lives on
// its caller's box; a phone registered on another box is rung over the trunk between
// boxes, so a cross-box call has four legs in two logs:
//
//   caller's box A   PJSIP/carrier-…   the caller (uniqueid A-…), in the call's bridge
//                    PJSIP/interbox-…  the engine's ring (uniqueid CALL.rN), answered when
//                                      box B's Dial is, then in the call's bridge; its
//                                      caller number becomes the phone's id
//   phone's box B    PJSIP/interbox-…  the ring arriving (uniqueid B-…), carrying the
//                                      caller's number, running Dial (callctl-interbox)
//                                      PJSIP/<phone>-…   the phone's leg, linked to that
//                                      ring (linkedid), bridged with it by Dial on B
//
// bench:load's figures (metrics.ts) find an agent's leg by its PJSIP/<phone> channel and
// the caller by the number the leg carries and the bridge both entered. mergeBoxes makes a
// cross-box phone leg read that way: its rows carry the caller's number (from the ring
// arriving on B) and its bridge is the call's bridge on A (the one the caller entered with
// an interbox leg that answered as this phone). The ring is then the phone's own channel
// starting on B, which includes the hop between boxes. A phone's legs are all on the box
// it is registered on, so channel names (numbered per box) do not collide.

export interface MergedCel {
  /** Every box's rows, cross-box phone legs rewritten as above, in time order. */
  events: CelEvent[]
  /** uniqueid → the box whose CEL it came from. */
  boxOf: Map<string, string>
  /** Phone legs rung over the trunk between boxes (their uniqueids on the phone's box). */
  crossLegs: Set<string>
}

const INTERBOX = 'PJSIP/interbox-'
const CARRIER = 'PJSIP/carrier-'

function isPhoneLeg(channel: string): boolean {
  return channel.startsWith('PJSIP/') && !channel.startsWith(INTERBOX) && !channel.startsWith(CARRIER)
}

function phoneOf(channel: string): string | null {
  return /^PJSIP\/(.+)-[0-9a-f]{8}$/.exec(channel)?.[1] ?? null
}

function withBridge(e: CelEvent, bridge: string): string {
  try {
    return JSON.stringify({...(JSON.parse(e.extra) as object), bridge_id: bridge})
  } catch {
    return JSON.stringify({bridge_id: bridge})
  }
}

export function mergeBoxes(byBox: Record<string, readonly CelEvent[]>): MergedCel {
  const boxOf = new Map<string, string>()
  for (const [box, events] of Object.entries(byBox)) for (const e of events) if (!boxOf.has(e.uniqueId)) boxOf.set(e.uniqueId, box)

  // Box A: the bridges each caller number entered together with an interbox leg, and the phone that leg answered as.
  const callerNumberOf = new Map<string, string>()
  for (const events of Object.values(byBox)) for (const e of events) if (e.type === 'CHAN_START' && e.channel.startsWith(CARRIER) && e.callerNumber) callerNumberOf.set(e.uniqueId, e.callerNumber)
  const interboxBridges = new Map<string, Array<{bridge: string; phone: string}>>()
  for (const events of Object.values(byBox)) {
    const members = new Map<string, Array<{uniqueId: string; channel: string; number: string}>>()
    for (const e of events) {
      const b = bridgeOf(e)
      if (!b) continue
      let m = members.get(b)
      if (!m) members.set(b, (m = []))
      m.push({uniqueId: e.uniqueId, channel: e.channel, number: e.callerNumber})
    }
    for (const [bridge, m] of members) {
      const callers = m.map((x) => callerNumberOf.get(x.uniqueId)).filter((n): n is string => n !== undefined)
      const rings = m.filter((x) => x.channel.startsWith(INTERBOX))
      for (const number of new Set(callers)) {
        for (const r of rings) {
          let list = interboxBridges.get(number)
          if (!list) interboxBridges.set(number, (list = []))
          list.push({bridge, phone: r.number})
        }
      }
    }
  }

  // Box B: phone legs whose linkedid is a ring that arrived over the trunk.
  const crossLegs = new Set<string>()
  const out: CelEvent[] = []
  for (const events of Object.values(byBox)) {
    const arrived = new Map<string, string>()
    // The ring arriving starts with the caller's number; the engine's ring leaving starts with none.
    for (const e of events) if (e.type === 'CHAN_START' && e.channel.startsWith(INTERBOX) && e.linkedId === e.uniqueId && e.callerNumber) arrived.set(e.uniqueId, e.callerNumber)
    const rewrite = new Map<string, {number: string; bridge: string | null}>()
    for (const e of events) {
      if (rewrite.has(e.uniqueId) || !isPhoneLeg(e.channel) || e.linkedId === e.uniqueId) continue
      const number = arrived.get(e.linkedId)
      if (number === undefined) continue
      const phone = phoneOf(e.channel)
      const candidates = interboxBridges.get(number) ?? []
      const bridge = (candidates.find((c) => c.phone === phone) ?? candidates[0])?.bridge ?? null
      rewrite.set(e.uniqueId, {number, bridge})
      crossLegs.add(e.uniqueId)
    }
    for (const e of events) {
      const r = rewrite.get(e.uniqueId)
      if (!r) {
        out.push(e)
        continue
      }
      const bridged = r.bridge !== null && bridgeOf(e) !== null
      out.push({...e, callerNumber: r.number, extra: bridged ? withBridge(e, r.bridge!) : e.extra})
    }
  }
  // Stable: rows of one box at the same microsecond keep their order.
  const order = new Map(out.map((e, i) => [e, i]))
  out.sort((a, b) => a.us - b.us || order.get(a)! - order.get(b)!)
  return {events: out, boxOf, crossLegs}
}

/** One connected caller's setup, from its entry into the engine's app (ms after it). */
export interface CallSetup {
  caller: string
  number: string
  /** The box the caller arrived on. */
  box: string
  /** Its agent's phone was registered on another box (rung over the trunk). */
  cross: boolean
  /** The agent's phone, and the box its leg was on. */
  phone: string | null
  phoneBox: string | null
  /** When it entered, µs since the epoch (CEL's clock). */
  enteredUs: number
  /** The phone's channel started (where it is registered). */
  ringMs: number
  /** The agent's leg on the caller's box answered (for a cross-box call: the answer came back over the trunk). */
  answeredMs: number
  /** Caller and agent leg both in the call's bridge. */
  bridgedMs: number
}

/**
 * Setup times of the callers who were connected to an agent: entered (APP_START Stasis)
 * → the agent's leg on the caller's box answered → both in one bridge; and the phone's
 * ring. `m` from mergeBoxes; `callers` by uniqueid, as metrics.ts takes them.
 */
export function callSetups(m: MergedCel, callers: ReadonlyMap<string, CallerSpec>): CallSetup[] {
  const rows = new Map<string, CelEvent[]>()
  for (const e of m.events) {
    let r = rows.get(e.uniqueId)
    if (!r) rows.set(e.uniqueId, (r = []))
    r.push(e)
  }
  const entersOf = new Map<string, Array<{uniqueId: string; us: number; channel: string}>>()
  for (const e of m.events) {
    const b = bridgeOf(e)
    if (!b || e.type !== 'BRIDGE_ENTER') continue
    let l = entersOf.get(b)
    if (!l) entersOf.set(b, (l = []))
    l.push({uniqueId: e.uniqueId, us: e.us, channel: e.channel})
  }
  const out: CallSetup[] = []
  for (const [id, spec] of callers) {
    const own = rows.get(id)
    const box = m.boxOf.get(id)
    if (!own || !box) continue
    const entered = own.find((e) => e.type === 'APP_START' && e.app === 'Stasis')
    if (!entered) continue
    for (const enter of own.filter((e) => e.type === 'BRIDGE_ENTER')) {
      const bridge = bridgeOf(enter)!
      const others = (entersOf.get(bridge) ?? []).filter((x) => x.uniqueId !== id)
      // The agent's leg on the caller's box: the phone's own, or the ring over the trunk.
      const agent = others.find((x) => m.boxOf.get(x.uniqueId) === box && (x.channel.startsWith(INTERBOX) || isPhoneLeg(x.channel)))
      if (!agent) continue
      const cross = agent.channel.startsWith(INTERBOX)
      const phoneLeg = cross ? others.find((x) => m.crossLegs.has(x.uniqueId)) : agent
      const ring = phoneLeg ? rows.get(phoneLeg.uniqueId)?.find((e) => e.type === 'CHAN_START') : undefined
      const answer = rows.get(agent.uniqueId)?.find((e) => e.type === 'ANSWER')
      if (!ring || !answer) continue
      const ms = (us: number) => (us - entered.us) / 1000
      out.push({caller: id, number: spec.number, box, cross, phone: phoneOf(phoneLeg!.channel), phoneBox: m.boxOf.get(phoneLeg!.uniqueId) ?? null, enteredUs: entered.us, ringMs: ms(ring.us), answeredMs: ms(answer.us), bridgedMs: ms(Math.max(enter.us, agent.us))})
      break
    }
  }
  return out
}

export interface SetupFigures {
  calls: number
  ringMs: Quantiles
  answeredMs: Quantiles
  bridgedMs: Quantiles
}

export function setupFigures(s: readonly CallSetup[]): SetupFigures {
  return {calls: s.length, ringMs: quantiles(s.map((x) => x.ringMs)), answeredMs: quantiles(s.map((x) => x.answeredMs)), bridgedMs: quantiles(s.map((x) => x.bridgedMs))}
}

/** Same-box and cross-box calls apart, and the cross-box cost at p50 (bridged): cross − same. */
export function crossBoxCost(s: readonly CallSetup[]): {same: SetupFigures; cross: SetupFigures; extraP50Ms: number; extraP99Ms: number} {
  const same = setupFigures(s.filter((x) => !x.cross))
  const cross = setupFigures(s.filter((x) => x.cross))
  return {same, cross, extraP50Ms: cross.bridgedMs.p50 - same.bridgedMs.p50, extraP99Ms: cross.bridgedMs.p99 - same.bridgedMs.p99}
}
