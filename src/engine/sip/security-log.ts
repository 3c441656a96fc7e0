// Asterisk's security events, as res_security_log writes them to the logger's "security"
// channel (asterisk/conf/logger.conf: security.log => security), one line each:
//   [2026-12-07 05:05:09.249] SECURITY[13053] res_security_log.c: SecurityEvent="ChallengeResponseFailed",
//   EventTV="...",Severity="Error",Service="PJSIP",...,AccountID="1001",...,RemoteAddress="IPV4/UDP/127.0.0.9/25080",...
// ARI does not carry them (AMI would, a second protocol to speak for one feature); the
// file does, on the engine's own machine. Only the events that mean "someone failed to
// prove who they are" count towards blocking an address.

export interface SecurityFailure {
  event: string
  /** The address the request came from (IPv4 or IPv6, no port). */
  address: string
  /** The user name tried; hostile: from the request. */
  account: string
  service: string
}

/** Events of a failed identity: a wrong password, an unknown user, a refused method or address. */
const FAILURES = new Set(['InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword', 'FailedACL', 'AuthMethodNotAllowed'])

export function parseSecurityLine(line: string): SecurityFailure | null {
  const event = field(line, 'SecurityEvent')
  if (!event || !FAILURES.has(event)) return null
  const remote = field(line, 'RemoteAddress')
  // IPV4/UDP/127.0.0.9/25080, IPV6/TCP/::1/5060
  const m = remote ? /^IPV[46]\/[A-Z]+\/(.+)\/\d+$/.exec(remote) : null
  if (!m) return null
  return {event, address: m[1]!, account: field(line, 'AccountID') ?? '', service: field(line, 'Service') ?? ''}
}

function field(line: string, name: string): string | null {
  const i = line.indexOf(`${name}="`)
  if (i < 0) return null
  const start = i + name.length + 2
  const end = line.indexOf('"', start)
  return end < 0 ? null : line.slice(start, end)
}
