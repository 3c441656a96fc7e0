// PostgreSQL advisory locks callctl takes, in the two-key form (space, key): the space
// keeps them apart from any other application's locks in the same database.

/** 'cctl' as a 32-bit integer. */
export const LOCK_SPACE = 0x6363746c

export const LOCK = {
  /** Held by the transaction that applies a schema version: two engines starting at once migrate once. */
  migrate: 1,
  /** Held by every writing transaction from its start to its commit (pg-store.ts: event ids in commit order). */
  events: 2,
  /** Held by every transaction that writes a queue: saveQueueChecked's check and write see no other queue change between them. */
  queues: 3,
} as const
