import type {SandboxSip} from '../engine/sandbox/state.js'

/** The sandbox's SIP lines for `sandbox up`, `sandbox status` and the demo: where a softphone registers. */
export function sipFields(sip: SandboxSip | undefined): Record<string, string> {
  if (!sip) return {}
  return {
    sip: `${sip.host}:${sip.port} (${sip.transports.join(', ')})`,
    carrier: `${sip.carrier.host}:${sip.carrier.port} (identified by address)`,
    rtp: `${sip.rtp.start}-${sip.rtp.end}`,
  }
}
