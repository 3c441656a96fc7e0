// Phones for tests, pushed into the sandbox by ARI push configuration (res_pjsip auth,
// aor and endpoint objects kept in astdb, see asterisk/conf/sorcery.conf). A stand-in
// until the product's `phone add` service exists: keep it small.
import type {AriHttp} from '../../../src/engine/ari/index.js'

export interface TestPhone {
  id: string
  password: string
  /** Qualify (OPTIONS) interval, s. Default 10. */
  qualifyFrequency?: number
}

const fields = (o: Record<string, string>) => Object.entries(o).map(([attribute, value]) => ({attribute, value}))

/** Creates (or replaces) PJSIP auth, aor and endpoint ID: a phone in context callctl-phones. */
export async function provisionPhone(rest: AriHttp, p: TestPhone): Promise<void> {
  await rest.putConfigObject('res_pjsip', 'auth', p.id, fields({auth_type: 'digest', username: p.id, password: p.password}))
  await rest.putConfigObject('res_pjsip', 'aor', p.id, fields({max_contacts: '1', remove_existing: 'yes', qualify_frequency: String(p.qualifyFrequency ?? 10)}))
  await rest.putConfigObject('res_pjsip', 'endpoint', p.id, fields({
    context: 'callctl-phones',
    disallow: 'all',
    allow: 'ulaw,alaw',
    auth: p.id,
    aors: p.id,
    direct_media: 'no',
    rtp_symmetric: 'yes',
    force_rport: 'yes',
    rewrite_contact: 'yes',
    dtmf_mode: 'rfc4733',
  }))
}

/** Deletes the phone's endpoint, aor and auth (missing ones are fine). */
export async function removePhone(rest: AriHttp, id: string): Promise<void> {
  for (const type of ['endpoint', 'aor', 'auth']) await rest.deleteConfigObject('res_pjsip', type, id).catch(() => undefined)
}

/** ARI's view of a PJSIP endpoint: 'online' once a contact is registered and answers qualify, else 'offline'. */
export async function endpointState(rest: AriHttp, id: string): Promise<string> {
  return (await rest.getEndpoint('PJSIP', id)).state ?? 'unknown'
}
