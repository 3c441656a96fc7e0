import {buildBoard, type Board} from './board.js'
import type {FeedConnection} from './feed.js'
import type {Thresholds} from './thresholds.js'

/** One board from one snapshot (dashboard --once). */
export async function fetchBoard(connect: () => Promise<FeedConnection>, thresholds: Thresholds): Promise<Board> {
  const conn = await connect()
  try {
    return buildBoard(await conn.request('snapshot'), {thresholds})
  } finally {
    conn.close()
  }
}
