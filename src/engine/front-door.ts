import type {ContactLookup, FrontDoor} from './calls/engine.js'
import {lookupCaller, type LookupOptions} from './contacts/lookup.js'
import {loadNumberingPlans} from './contacts/phone-number.js'
import {promptLocation} from './prompts/locations.js'
import {PromptBook} from './prompts/prompt-store.js'
import {repositoriesOf, type RepositoryStore} from './store/repositories.js'
import type {Paths} from './util/paths.js'

/** The prompt book for flows: our prompts plus the Asterisk sounds this machine can list. */
export async function loadPromptBook(store: RepositoryStore, paths: Paths): Promise<PromptBook> {
  return new PromptBook(await repositoriesOf(store).prompts.list(), promptLocation(paths).soundsDir)
}

/** The caller's contact for the engine: CRM first when configured, the local directory otherwise. */
export function contactLookup(store: RepositoryStore, o: Omit<LookupOptions, 'directory'>): (number: string) => Promise<ContactLookup> {
  const directory = repositoriesOf(store).contacts
  loadNumberingPlans()
  return async (number) => {
    const r = await lookupCaller(number, {...o, directory})
    return {source: r.source, contact: r.contact ?? null, ...(r.crmError || r.localError ? {error: r.crmError ?? r.localError} : {})}
  }
}

/** Blacklist, flows, prompts and contacts from the store. */
export function storeFrontDoor(store: RepositoryStore, paths: Paths, extra: Partial<FrontDoor> = {}): FrontDoor {
  const repos = repositoriesOf(store)
  let book: {at: number; book: PromptBook} | null = null
  return {
    blacklist: repos.blacklist,
    flows: repos.flows,
    // Prompts change rarely; re-read them at most every few seconds.
    prompts: async () => {
      if (!book || Date.now() - book.at > 5000) book = {at: Date.now(), book: await loadPromptBook(store, paths)}
      return book.book
    },
    lookupContact: contactLookup(store, {defaultCountry: 'CN'}),
    ...extra,
  }
}
