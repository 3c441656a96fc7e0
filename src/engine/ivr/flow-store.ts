import type Database from 'better-sqlite3'

export interface DeployedFlow {
  id: number
  did: string
  name: string
  source: string
  deployedAt: number
}

/** Deployed IVR flows, every version kept; the newest per DID is live. '*' is the default flow. */
export interface FlowRepository {
  deploy(did: string, name: string, source: string, at: number): Promise<DeployedFlow>
  live(did: string): Promise<DeployedFlow | undefined>
  list(): Promise<DeployedFlow[]>
  remove(did: string): Promise<number>
}

export class SqliteFlowRepository implements FlowRepository {
  constructor(private readonly db: Database.Database) {}

  async deploy(did: string, name: string, source: string, at: number): Promise<DeployedFlow> {
    const r = this.db.prepare('INSERT INTO ivr_flows (did, name, source, deployed_at) VALUES (?, ?, ?, ?)').run(did, name, source, at)
    return {id: Number(r.lastInsertRowid), did, name, source, deployedAt: at}
  }

  async live(did: string): Promise<DeployedFlow | undefined> {
    const row = this.db.prepare('SELECT id, did, name, source, deployed_at FROM ivr_flows WHERE did = ? ORDER BY id DESC LIMIT 1').get(did) as Record<string, unknown> | undefined
    return row ? toFlow(row) : undefined
  }

  async list(): Promise<DeployedFlow[]> {
    return (this.db.prepare('SELECT f.id, f.did, f.name, f.source, f.deployed_at FROM ivr_flows f WHERE f.id = (SELECT MAX(id) FROM ivr_flows g WHERE g.did = f.did) ORDER BY f.did').all() as Record<string, unknown>[]).map(toFlow)
  }

  async remove(did: string): Promise<number> {
    return this.db.prepare('DELETE FROM ivr_flows WHERE did = ?').run(did).changes
  }
}

export function toFlow(r: Record<string, unknown>): DeployedFlow {
  return {id: Number(r.id), did: r.did as string, name: r.name as string, source: r.source as string, deployedAt: Number(r.deployed_at)}
}
