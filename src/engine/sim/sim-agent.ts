import type {DispositionCode} from '../model.js'

// What the engine knows of a simulated agent: its phone is a Local channel into the
// simulator's dialplan context. Such an agent has no desk, so the engine chooses its
// disposition for it (calls/desk-work.ts simulatedAgentDisposes).

export const SIM_AGENT_CONTEXT = 'callctl-sim-agent'

/** A phone of the simulator (callctl simulate, the demo, benches): Local/EXTEN@callctl-sim-agent. */
export function isSimulatedPhone(endpoint: string): boolean {
  return endpoint.startsWith('Local/') && endpoint.endsWith(`@${SIM_AGENT_CONTEXT}`)
}

/** The code a simulated agent chooses: one of the queue's, spread over them by call id (the same call, the same code). */
export function simulatedCode(codes: readonly DispositionCode[], callId: string): string {
  let h = 0
  for (let i = 0; i < callId.length; i++) h = (h * 31 + callId.charCodeAt(i)) >>> 0
  return codes[h % codes.length]!.code
}
