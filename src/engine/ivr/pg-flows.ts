import {int, pgText, type PgDatabase} from '../store/pg/repo-access.js'
import {toFlow, type DeployedFlow, type FlowRepository} from './flow-store.js'

/** Deployed IVR flows in PostgreSQL (repo-schema.ts version 2); answers as SqliteFlowRepository does. */
export class PgFlowRepository implements FlowRepository {
  constructor(private readonly db: PgDatabase) {}

  async deploy(did: string, name: string, source: string, at: number): Promise<DeployedFlow> {
    const {rows} = await this.db.write(({client}) =>
      client.query('INSERT INTO ivr_flows (did, name, source, deployed_at) VALUES ($1, $2, $3, $4) RETURNING id', [pgText(did), pgText(name), pgText(source), at]),
    )
    return {id: int(rows[0]!.id), did, name, source, deployedAt: at}
  }

  async live(did: string): Promise<DeployedFlow | undefined> {
    const {rows} = await this.db.pool.query('SELECT id, did, name, source, deployed_at FROM ivr_flows WHERE did = $1 ORDER BY id DESC LIMIT 1', [pgText(did)])
    return rows[0] ? toFlow(rows[0]) : undefined
  }

  async list(): Promise<DeployedFlow[]> {
    const {rows} = await this.db.pool.query('SELECT DISTINCT ON (did) id, did, name, source, deployed_at FROM ivr_flows ORDER BY did, id DESC')
    return rows.map(toFlow)
  }

  async remove(did: string): Promise<number> {
    return this.db.write(async ({client}) => (await client.query('DELETE FROM ivr_flows WHERE did = $1', [pgText(did)])).rowCount ?? 0)
  }
}
