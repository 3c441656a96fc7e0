// The two stores the repositories run on, for contract tests that run the same cases on
// both: describe.each(repositoryStores()) gives a fresh, empty store per open(). SQLite is
// a temporary file; PostgreSQL is one throwaway cluster per test file (started on first
// use, stopped after the file) with a fresh database per store, migrated by PgStore.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll} from 'vitest'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {repositoriesOf, type Repositories} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {startPostgres, type TestPostgres} from './postgres.js'

export interface OpenedStore {
  store: SqliteStore | PgStore
  repos: Repositories
  /** Runs SQL on the store directly (in its own dialect), for what the interfaces cannot do: a value another tool broke. */
  sql(text: string): Promise<void>
  /** The first cell of each row of a query, for a look behind the interfaces. */
  column(text: string): Promise<unknown[]>
  /** Makes every write of a row into `table` whose `column` is `value` fail, as a full disk would. */
  failWrites(table: string, column: string, value: string): Promise<void>
  events(): Promise<StoredEvent[]>
  close(): Promise<void>
}

export interface RepositoryStoreKind {
  name: 'sqlite' | 'postgres'
  open(): Promise<OpenedStore>
}

/** Both stores; registers an afterAll that closes what the file opened and stops its PostgreSQL cluster. */
export function repositoryStores(): RepositoryStoreKind[] {
  const opened: OpenedStore[] = []
  const dirs: string[] = []
  let cluster: Promise<TestPostgres> | null = null
  let databases = 0
  afterAll(async () => {
    for (const o of opened.splice(0)) await o.close().catch(() => {})
    for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true})
    if (cluster) (await cluster).stop()
  })
  const track = (o: OpenedStore) => (opened.push(o), o)
  return [
    {
      name: 'sqlite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'callctl-repos-'))
        dirs.push(dir)
        const store = new SqliteStore(join(dir, 'callctl.db'))
        return track({
          store,
          repos: repositoriesOf(store),
          sql: async (text) => void store.db.exec(text),
          column: async (text) => store.db.prepare(text).raw(true).all().map((r) => (r as unknown[])[0]),
          failWrites: async (table, column, value) =>
            void store.db.exec(`CREATE TEMP TRIGGER fail_${table} BEFORE INSERT ON ${table} WHEN new.${column} = '${value}' BEGIN SELECT RAISE(ABORT, 'disk full'); END`),
          events: async () => collect(store),
          close: () => store.close(),
        })
      },
    },
    {
      name: 'postgres',
      async open() {
        const pg = await (cluster ??= startPostgres())
        const store = await PgStore.open(pg.createDatabase(`repos_${++databases}`))
        return track({
          store,
          repos: repositoriesOf(store),
          sql: async (text) => void (await store.pool.query(text)),
          column: async (text) => (await store.pool.query({text, rowMode: 'array'})).rows.map((r: unknown[]) => r[0]),
          failWrites: async (table, column, value) =>
            void (await store.pool.query(`
              CREATE FUNCTION fail_${table}() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN IF NEW.${column} = '${value}' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$;
              CREATE TRIGGER fail_${table} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_${table}();`)),
          events: async () => collect(store),
          close: () => store.close(),
        })
      },
    },
  ]
}

async function collect(store: SqliteStore | PgStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = []
  for await (const e of store.events()) out.push(e)
  return out
}
