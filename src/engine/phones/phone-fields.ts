// The PJSIP objects of one phone (auth, AOR, endpoint with the phone's id), as ARI push
// configuration fields. Why push configuration onto astdb rather than a generated
// pjsip.conf and a reload: it works against any Asterisk the engine reaches over ARI
// (no file system access, no reload that touches every other endpoint), each phone is
// one small idempotent PUT, and astdb keeps it across an Asterisk restart. The engine
// re-applies the store's phones whenever it connects, so a wiped Asterisk converges.
import type {ConfigTuple} from '../ari/port.js'

/** How often Asterisk pings a registered phone (OPTIONS); a silent phone is unreachable after at most this plus the timeout. */
export const QUALIFY_SECONDS = 10
export const QUALIFY_TIMEOUT_SECONDS = 3
/** The shortest registration a phone's AOR accepts. */
export const MIN_REGISTRATION_SECONDS = 10

export interface PhoneSpec {
  id: string
  password: string
  /** Shown on a direct call from this phone; the agent's name when it has one. */
  callerName: string
  transport: 'udp' | 'tcp' | null
}

export function authFields(p: PhoneSpec): ConfigTuple[] {
  return tuples({auth_type: 'digest', username: p.id, password: p.password})
}

export function aorFields(): ConfigTuple[] {
  return tuples({
    // One registration per phone: a second device registering replaces the first,
    // so the agent is never rung on a phone left logged in somewhere else.
    max_contacts: '1',
    remove_existing: 'yes',
    qualify_frequency: String(QUALIFY_SECONDS),
    qualify_timeout: String(QUALIFY_TIMEOUT_SECONDS),
    // Behind a SIP proxy (several boxes): keep the Path of the registration and reach the
    // phone back through the proxy; a phone registering directly sends none.
    support_path: 'yes',
    // The proxy caps registrations short (10 s in the sandbox) so a phone moves off a dead
    // box within seconds; Asterisk's default minimum (60 s) would refuse that with 423.
    minimum_expiration: String(MIN_REGISTRATION_SECONDS),
  })
}

export function endpointFields(p: PhoneSpec): ConfigTuple[] {
  return tuples({
    context: 'callctl-phones',
    disallow: 'all',
    allow: 'ulaw,alaw',
    auth: p.id,
    aors: p.id,
    // Identified by its user name and password only, never by address: on a shared
    // network (or loopback) an address says nothing about who is calling.
    identify_by: 'username',
    direct_media: 'no',
    rtp_symmetric: 'yes',
    force_rport: 'yes',
    rewrite_contact: 'yes',
    dtmf_mode: 'rfc4733',
    // A phone that dies mid-call (network gone) would hold its call until the caller
    // gives up: no RTP from it for a minute ends the call; on hold phones send none, so longer.
    rtp_timeout: '60',
    rtp_timeout_hold: '600',
    // The device reads BUSY with one call up, so its state tells a direct call apart (app_queue's ringinuse=no reads it too).
    device_state_busy_at: '1',
    allow_subscribe: 'no',
    callerid: `"${p.callerName.replace(/["\\<>\r\n]/g, '')}" <${p.id}>`,
    ...(p.transport ? {transport: `transport-${p.transport}`} : {}),
  })
}

function tuples(o: Record<string, string>): ConfigTuple[] {
  return Object.entries(o).map(([attribute, value]) => ({attribute, value}))
}
