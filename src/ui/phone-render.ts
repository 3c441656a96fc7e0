import type {PhoneResult} from '../engine/phones/phones.js'
import {fields} from './render.js'

/** A phone's SIP account as a person types it into a softphone. */
export function renderPhone(r: PhoneResult): string {
  const lines = [
    fields({
      'user name': r.username,
      ...(r.password ? {password: r.password} : {}),
      server: r.server ? `${r.server.host}:${r.server.port} (${r.server.transports.join(', ')})` : 'your Asterisk (see docs/sip.md)',
      agent: r.phone.agent ?? '',
      transport: r.phone.transport ?? 'udp or tcp',
      asterisk: r.asteriskError ? `${r.asterisk}: ${r.asteriskError}` : r.asterisk,
    }),
  ]
  if (r.password && r.created) lines.push('The password is shown once; see it again with: callctl phone show ' + r.phone.id + ' --show-secret')
  return lines.join('\n')
}
