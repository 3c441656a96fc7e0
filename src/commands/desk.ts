import {Flags} from '@oclif/core'
import {connectToEngine} from '../engine/api/connect.js'
import {loadEngineConfig} from '../engine/config/engine-config.js'
import {isUserError, UserError} from '../engine/util/errors.js'
import {CallctlCommand} from '../ui/command.js'
import {loadDesk} from '../ui/desk/load.js'

export default class Desk extends CallctlCommand<null> {
  static summary = "The agent's workstation: state, screen pop with the caller's history, call controls, notes, dispositions, tickets, knowledge base"
  static description = `Full screen, for one agent: the user of the API token (CALLCTL_TOKEN, a user of the agent role), or --agent with an admin token.

When the phone rings, the pop shows the caller's number and name, contact (tier, tags), queue, wait, IVR key trail, the last 5 interactions with this customer and a CRM link (o opens it). Keys: l log in/out, r ready, p pause (reason), h hold, x hang up, t transfer, y consult, f DTMF, g dial, b call back, n note (saved as typed), 1-9 or d disposition (required before ready), k ticket, / knowledge base (a number copies the answer), c quick replies, ? help, q quit.

Chats: the agent's conversations are listed (offered, active, closed; unread lines). a accepts the one offered, Tab brings each in front (its transcript), Enter writes a reply, c sends a quick reply and / a knowledge-base answer to that customer, m sends an image (a file path, checked by its bytes), t transfers it (agent or queue), x closes it, i shows the customer's history (by the number it gave). A supervisor's private note (callctl chat note) shows in the transcript as [note from NAME]; the customer never sees it.

Pause reasons, disposition codes per queue, the CRM link template and quick replies are the engine config's desk: section.`
  static examples = ['CALLCTL_TOKEN=... <%= config.bin %> desk', '<%= config.bin %> desk --agent 1001']
  static flags = {
    agent: Flags.string({description: 'the agent to work as (with an admin token; an agent user is its own agent)'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<null> {
    const {flags} = await this.parse(Desk)
    if (this.jsonEnabled()) throw new UserError('callctl desk is a screen: it has no --json output', {suggestion: 'Scripts read agents and calls with: callctl agent list --json, callctl calls --json', exitCode: 2})
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UserError('callctl desk needs a terminal', {suggestion: 'Run it in a terminal; scripts use callctl agent … and callctl call … instead.', exitCode: 2})
    }
    const config = loadEngineConfig({file: flags.config, requireAri: false})
    const connect = () => connectToEngine(config.paths, config.api, {database: config.database, app: config.ari.app})
    const {agent, user} = await agentOf(connect, flags.agent)
    const {runDesk} = await loadDesk()
    await runDesk({connect, agent, ...(user ? {user} : {})})
    return null
  }

  protected render(): void {}
}

/** The agent the token is (session.whoami), or --agent for a token that is not an agent's. */
async function agentOf(connect: () => ReturnType<typeof connectToEngine>, flag: string | undefined): Promise<{agent: string; user: string | null}> {
  const client = await connect()
  try {
    // Called by name: the method comes with users and roles (session.whoami).
    const who = (await (client.request as (m: string) => Promise<unknown>)('session.whoami').catch((err: unknown) => {
      // A refused token is said as the running desk says it (exit 2), not taken for an older engine without whoami.
      if (isUserError(err) && err.code === 'unauthorized') throw new UserError(err.message, {suggestion: 'Ask an admin for a token (callctl user token NAME) and set CALLCTL_TOKEN to it.', exitCode: 2, code: 'unauthorized'})
      return null
    })) as {user: string; role: string; agent: string | null} | null
    if (who?.role === 'agent') {
      if (flag && flag !== who.agent) throw new UserError(`User ${who.user} is agent ${who.agent}, not ${flag}`, {suggestion: 'Leave out --agent: an agent user works as its own agent.', exitCode: 2})
      if (who.agent) return {agent: who.agent, user: who.user}
    }
    if (flag) {
      const snap = await client.request('snapshot')
      if (!snap.agents.some((a) => a.id === flag)) throw new UserError(`Agent "${flag}" does not exist`, {suggestion: 'See the agents with: callctl agent list', exitCode: 1, code: 'unknown_agent'})
      return {agent: flag, user: who?.user ?? null}
    }
    throw new UserError(who ? `User ${who.user} (${who.role}) is not an agent` : 'Which agent? This token is not an agent user', {
      suggestion: "Give --agent ID, or run with an agent user's token: CALLCTL_TOKEN=... callctl desk",
      exitCode: 2,
    })
  } finally {
    client.close()
  }
}
