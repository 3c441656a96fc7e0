import {AriTransportError, type AriRest} from '../ari/port.js'
import type {Store} from '../store/store.js'
import {UserError} from '../util/errors.js'
import {activeBlocks, dropBlock, type SipBlock} from './blocks.js'

// `callctl sip blocked`: the addresses refused now, and lifting a block by hand (a
// person who mistyped their password ten times, now sure of it).

export interface BlockedResult {
  blocks: SipBlock[]
  cleared: string[]
  /** Whether Asterisk was told (it may be down: the identify object then stays until it is cleared again or expires). */
  asterisk: 'applied' | 'asterisk unreachable' | 'no asterisk configured' | 'nothing to do'
}

export async function sipBlocked(store: Store, ari: () => AriRest | null, o: {clear?: string[]; clearAll?: boolean; now?: number}): Promise<BlockedResult> {
  const now = o.now ?? Date.now()
  const blocks = await activeBlocks(store, now)
  const want = o.clearAll ? blocks.map((b) => b.address) : (o.clear ?? [])
  for (const a of want) {
    if (!blocks.some((b) => b.address === a)) {
      throw new UserError(`Address ${a} is not blocked`, {suggestion: 'See the blocked addresses with: callctl sip blocked', exitCode: 1, code: 'not_found'})
    }
  }
  if (want.length === 0) return {blocks, cleared: [], asterisk: 'nothing to do'}
  await store.appendEvents(want.map((address) => ({type: 'sip.unblocked' as const, ts: now, origin: 'cli', data: {address, by: 'admin'}})))
  let asterisk: BlockedResult['asterisk'] = 'applied'
  const rest = ari()
  if (!rest) asterisk = 'no asterisk configured'
  else {
    try {
      for (const a of want) await dropBlock(rest, a)
    } catch (err) {
      if (!(err instanceof AriTransportError)) throw err
      asterisk = 'asterisk unreachable'
    }
  }
  return {blocks: blocks.filter((b) => !want.includes(b.address)), cleared: want, asterisk}
}
