import {PgBlacklist} from '../blacklist/pg-blacklist.js'
import {SqliteBlacklist, type Blacklist} from '../blacklist/blacklist.js'
import {PgContactDirectory} from '../contacts/pg-contacts.js'
import {SqliteContactDirectory, type ContactDirectory} from '../contacts/contact-store.js'
import {PgFlowRepository} from '../ivr/pg-flows.js'
import {SqliteFlowRepository, type FlowRepository} from '../ivr/flow-store.js'
import type {KnowledgeBase} from '../kb/knowledge-base.js'
import {PgKnowledgeBase} from '../kb/pg-kb.js'
import {SqliteKnowledgeBase} from '../kb/sqlite-kb.js'
import {PgPhones} from '../phones/pg-phones.js'
import {SqlitePhones, type PhoneRepository} from '../phones/phone-store.js'
import {PgPromptRepository} from '../prompts/pg-prompts.js'
import {SqlitePromptRepository, type PromptRepository} from '../prompts/prompt-store.js'
import {PgRecordings} from '../recordings/pg-recordings.js'
import {SqliteRecordings, type RecordingRepository} from '../recordings/recording-store.js'
import {PgTickets} from '../tickets/pg-tickets.js'
import {SqliteTickets, type TicketRepository} from '../tickets/ticket-store.js'
import {PgUsers} from '../users/pg-users.js'
import {SqliteUsers, type UserRepository} from '../users/user-store.js'
import {isPgDatabase, type PgDatabase} from './pg/repo-access.js'
import {SqliteStore} from './sqlite-store.js'
import type {Store} from './store.js'

// The one place that knows which class serves which store: everything else asks
// repositoriesOf(store) and sees only the interfaces, so a command works the same on SQLite
// and on PostgreSQL.

export interface Repositories {
  contacts: ContactDirectory
  blacklist: Blacklist
  flows: FlowRepository
  prompts: PromptRepository
  kb: KnowledgeBase
  recordings: RecordingRepository
  phones: PhoneRepository
  users: UserRepository
  tickets: TicketRepository
}

/** A store the repositories can live in: SQLite (through its `.db`) or PostgreSQL (PgStore: its pool and fenced writes). */
export type RepositoryStore = Store | PgDatabase

type Makers = {[K in keyof Repositories]: () => Repositories[K]}

const made = new WeakMap<object, Repositories>()

/** The store's repositories, each built when first used and then kept for that store. */
export function repositoriesOf(store: RepositoryStore): Repositories {
  let repos = made.get(store)
  if (!repos) made.set(store, (repos = lazily(makersFor(store))))
  return repos
}

function makersFor(store: RepositoryStore): Makers {
  if (store instanceof SqliteStore) {
    const db = store.db
    return {
      contacts: () => new SqliteContactDirectory(db),
      blacklist: () => new SqliteBlacklist(db),
      flows: () => new SqliteFlowRepository(db),
      prompts: () => new SqlitePromptRepository(db),
      kb: () => new SqliteKnowledgeBase(db),
      recordings: () => new SqliteRecordings(db),
      phones: () => new SqlitePhones(store),
      users: () => new SqliteUsers(store),
      tickets: () => new SqliteTickets(store),
    }
  }
  if (isPgDatabase(store)) {
    return {
      contacts: () => new PgContactDirectory(store),
      blacklist: () => new PgBlacklist(store),
      flows: () => new PgFlowRepository(store),
      prompts: () => new PgPromptRepository(store),
      kb: () => new PgKnowledgeBase(store),
      recordings: () => new PgRecordings(store),
      phones: () => new PgPhones(store),
      users: () => new PgUsers(store),
      tickets: () => new PgTickets(store),
    }
  }
  throw new Error(`no repositories for this store (${store.constructor?.name ?? typeof store}): neither SQLite nor PostgreSQL`)
}

function lazily(makers: Makers): Repositories {
  const built: Partial<Repositories> = {}
  const repos = {} as Repositories
  for (const key of Object.keys(makers) as (keyof Repositories)[]) {
    Object.defineProperty(repos, key, {enumerable: true, get: () => (built[key] ??= makers[key]() as never)})
  }
  return repos
}
