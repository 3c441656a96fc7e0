import type {EngineSnapshot} from '../../engine/calls/engine.js'
import {buildBoard, type Board} from './board.js'
import type {FeedConnection} from './feed.js'
import type {Thresholds} from './thresholds.js'

/** One board from one snapshot (dashboard --once). */
export async function fetchBoard(connect: () => Promise<FeedConnection>, thresholds: Thresholds): Promise<Board> {
  const conn = await connect()
  try {
    return buildBoard(await conn.request<EngineSnapshot>('snapshot'), {thresholds})
  } finally {
    conn.close()
  }
}
