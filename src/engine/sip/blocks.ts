import {isNotFound, type AriRest} from '../ari/port.js'
import type {Store} from '../store/store.js'

// Addresses refused for a while after repeated failed registrations. A block is an
// identify object in Asterisk (pushed into astdb like the phones) naming the
// callctl-blocked endpoint, which has no password and no AOR: identification by address
// comes first, so every request from a blocked address is that endpoint (REGISTER gets
// 403, a call is refused unanswered) whatever user name it tries. res_pjsip_acl would be
// the obvious tool, but its acl objects cannot live in astdb (the module then fails to
// load), and a file plus a reload works only on the engine's own machine.
// The log says which addresses are blocked: sip.blocked opens one, sip.unblocked ends it.

export interface SipBlock {
  address: string
  since: number
  until: number
  failures: number
  /** The user names tried, as Asterisk logged them (hostile text: shown through safeText). */
  accounts: string[]
}

export function blockObjectId(address: string): string {
  return `callctl-block-${address.replace(/[^A-Za-z0-9.-]/g, '_')}`
}

export async function pushBlock(rest: AriRest, address: string): Promise<void> {
  await rest.putConfigObject('res_pjsip', 'identify', blockObjectId(address), [
    {attribute: 'endpoint', value: 'callctl-blocked'},
    {attribute: 'match', value: address},
  ])
}

export async function dropBlock(rest: AriRest, address: string): Promise<void> {
  try {
    await rest.deleteConfigObject('res_pjsip', 'identify', blockObjectId(address))
  } catch (err) {
    if (!isNotFound(err)) throw err
  }
}

/** The blocks in force at `now`, from the event log. */
export async function activeBlocks(store: Store, now: number): Promise<SipBlock[]> {
  const open = new Map<string, SipBlock>()
  for await (const e of store.events({types: ['sip.blocked', 'sip.unblocked']})) {
    const address = String(e.data.address ?? '')
    if (!address) continue
    if (e.type === 'sip.blocked') {
      open.set(address, {
        address,
        since: e.ts,
        until: Number(e.data.untilTs ?? e.ts),
        failures: Number(e.data.failures ?? 0),
        accounts: Array.isArray(e.data.accounts) ? e.data.accounts.map(String) : [],
      })
    } else open.delete(address)
  }
  return [...open.values()].filter((b) => b.until > now).sort((a, b) => a.since - b.since)
}
