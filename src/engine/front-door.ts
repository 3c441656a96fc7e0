import {SqliteBlacklist} from './blacklist/blacklist.js'
import type {ContactLookup, FrontDoor} from './calls/engine.js'
import {contactDirectory} from './contacts/contact-store.js'
import {lookupCaller, type LookupOptions} from './contacts/lookup.js'
import {loadNumberingPlans} from './contacts/phone-number.js'
import {SqliteFlowRepository} from './ivr/flow-store.js'
import {promptLocation} from './prompts/locations.js'
import {PromptBook, SqlitePromptRepository} from './prompts/prompt-store.js'
import type {SqliteStore} from './store/sqlite-store.js'
import type {Paths} from './util/paths.js'

/** The prompt book for flows: our prompts plus the Asterisk sounds this machine can list. */
export async function loadPromptBook(store: SqliteStore, paths: Paths): Promise<PromptBook> {
  return new PromptBook(await new SqlitePromptRepository(store.db).list(), promptLocation(paths).soundsDir)
}

/** The caller's contact for the engine: CRM first when configured, the local directory otherwise. */
export function contactLookup(store: SqliteStore, o: Omit<LookupOptions, 'directory'>): (number: string) => Promise<ContactLookup> {
  const directory = contactDirectory(store)
  loadNumberingPlans()
  return async (number) => {
    const r = await lookupCaller(number, {...o, directory})
    return {source: r.source, contact: r.contact ?? null, ...(r.crmError || r.localError ? {error: r.crmError ?? r.localError} : {})}
  }
}

/** Blacklist, flows, prompts and contacts from the embedded store. */
export function sqliteFrontDoor(store: SqliteStore, paths: Paths, extra: Partial<FrontDoor> = {}): FrontDoor {
  let book: {at: number; book: PromptBook} | null = null
  return {
    blacklist: new SqliteBlacklist(store.db),
    flows: new SqliteFlowRepository(store.db),
    // Prompts change rarely; re-read them at most every few seconds.
    prompts: async () => {
      if (!book || Date.now() - book.at > 5000) book = {at: Date.now(), book: await loadPromptBook(store, paths)}
      return book.book
    },
    lookupContact: contactLookup(store, {defaultCountry: 'CN'}),
    ...extra,
  }
}
