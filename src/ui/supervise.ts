import {Args, Flags} from '@oclif/core'
import {checkNamesIn} from '../engine/admin/known-names.js'
import {withEngine} from '../engine/api/connect.js'
import type {SuperviseMode, SuperviseResult} from '../engine/api/contract.js'
import {loadEngineConfig} from '../engine/config/engine-config.js'
import {UserError} from '../engine/util/errors.js'
import {safeText} from '../engine/util/text.js'
import {whoAmI} from './who.js'

export type {SuperviseResult}

export const superviseArgs = {target: Args.string({description: 'agent id, or a call id (call-…)', required: true})}
export const superviseFlags = {
  from: Flags.string({description: "your phone's dial string (default: supervisor.endpoint in the config)"}),
  config: Flags.string({char: 'c', description: 'config file (YAML)'}),
}

/** Starts supervising (or switches mode when this phone already supervises that call). */
export async function supervise(mode: SuperviseMode, target: string, from: string | undefined, configFile: string | undefined): Promise<SuperviseResult> {
  const endpoint = from ?? loadEngineConfig({file: configFile, requireAri: false}).supervisor.endpoint
  if (!endpoint) throw new UserError('Which phone should ring for you?', {suggestion: 'Pass --from PJSIP/2001, or set supervisor.endpoint in the config (CALLCTL_SUPERVISOR_ENDPOINT).', exitCode: 2})
  const params = target.startsWith('call-') ? {call: target} : {agent: target}
  await checkNamesIn(configFile, {agent: params.agent})
  return withEngine(configFile, (c) => c.request('supervise.start', {...params, mode, from: endpoint, by: whoAmI()}))
}

export function describeSupervision(r: SuperviseResult): string {
  const verb = {monitor: 'listening to', whisper: 'coaching', barge: 'in the call of'}[r.mode]
  return `${r.switched ? 'Switched: now' : `Calling ${safeText(r.from)}: once answered, you are`} ${verb} agent ${safeText(r.agent)} (call ${safeText(r.callId)}). Supervision ${r.id}.`
}
