/**
 * The leader's claim, carried by every write of a store shared by several engines: the
 * store checks, in the writing transaction, that the leadership row `key` still holds
 * `epoch`. A leader that was frozen or cut off while another took over (and raised the
 * epoch) then writes nothing at all.
 */
export interface Fence {
  key: string
  epoch: number
}

/** A write refused because the fence's epoch is no longer the leadership's: this engine no longer leads. */
export class FencedError extends Error {
  readonly code = 'fenced'

  constructor(
    readonly fence: Fence,
    /** The epoch the store holds for fence.key, or null when there is no such row. */
    readonly current: number | null,
  ) {
    super(`write refused: leadership "${fence.key}" is at epoch ${current ?? 'none'}, this engine holds epoch ${fence.epoch}`)
    this.name = 'FencedError'
  }
}
