import {isNotFound, type AriRest} from '../ari/port.js'
import {aorFields, authFields, endpointFields, type PhoneSpec} from './phone-fields.js'

// Pushing a phone into Asterisk and taking it out. Every call is an idempotent PUT or a
// DELETE that takes "not there" as done, so `phone add` run twice, an engine re-applying
// on connect, and a CLI and an engine doing it at once all converge on the same objects.

const CLASS = 'res_pjsip'

/** Auth and AOR first: the endpoint names both, and Asterisk refuses an endpoint whose auth it cannot find. */
export async function applyPhone(rest: AriRest, p: PhoneSpec): Promise<void> {
  await rest.putConfigObject(CLASS, 'auth', p.id, authFields(p))
  await rest.putConfigObject(CLASS, 'aor', p.id, aorFields())
  await rest.putConfigObject(CLASS, 'endpoint', p.id, endpointFields(p))
}

/** The endpoint first, so nothing can register or call between its parts going. */
export async function unapplyPhone(rest: AriRest, id: string): Promise<void> {
  for (const type of ['endpoint', 'aor', 'auth']) {
    try {
      await rest.deleteConfigObject(CLASS, type, id)
    } catch (err) {
      if (!isNotFound(err) && !isForbidden(err)) throw err
    }
  }
}

/**
 * Whether the phone exists in Asterisk as callctl pushed it. An object from pjsip.conf
 * (a user's hand-written endpoint of the same id) is left alone: Asterisk refuses to
 * replace it over ARI (403), and the message says so.
 */
export async function phoneInAsterisk(rest: AriRest, id: string): Promise<boolean> {
  try {
    await rest.getConfigObject(CLASS, 'endpoint', id)
    return true
  } catch (err) {
    if (isNotFound(err)) return false
    throw err
  }
}

function isForbidden(err: unknown): boolean {
  return (err as {status?: number}).status === 403
}
