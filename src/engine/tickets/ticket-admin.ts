import {byOf, storeUser} from '../api/store-access.js'
import {whoAmI} from '../util/who.js'
import {loadEngineConfig} from '../config/engine-config.js'
import {openStore} from '../store/open-store.js'
import {repositoriesOf} from '../store/repositories.js'
import type {TicketContext} from './tickets.js'

/**
 * Runs fn with the configured store's tickets, as an admin command writes them: straight
 * into the store (the engine sees the events in its log: the webhook fires for them too),
 * due times from the config's SLA, contact numbers in its default country. `by` is who the
 * command writes as: CALLCTL_TOKEN's user, or for the local admin the login user.
 */
export async function withTickets<T>(configFile: string | undefined, fn: (ctx: TicketContext, by: string) => Promise<T>): Promise<T> {
  const config = loadEngineConfig({file: configFile, requireAri: false})
  const store = await openStore(config.database)
  try {
    // A token's user as the engine's ticket methods allow it: supervisors and admins; an agent only through the engine, which keeps it to its own tickets.
    const who = await storeUser(store, config.paths, {method: 'ticket.list', params: {}})
    return await fn({tickets: repositoriesOf(store).tickets, store, sla: config.tickets.sla, defaultCountry: config.defaultCountry, origin: 'cli'}, byOf(who) ?? whoAmI())
  } finally {
    await store.close()
  }
}
