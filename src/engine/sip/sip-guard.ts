import {closeSync, openSync, readSync, statSync} from 'node:fs'
import type {AriRest} from '../ari/port.js'
import type {NewEvent} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Logger} from '../util/log.js'
import {activeBlocks, dropBlock, pushBlock} from './blocks.js'
import {parseSecurityLine, type SecurityFailure} from './security-log.js'

// Watches Asterisk's security log for failed registrations and calls, and blocks an
// address that keeps failing (fail2ban's job, inside the engine so it needs no other
// daemon and the block is an event like everything else). A password guessed by brute
// force is a phone that makes toll-fraud calls: the first line of defence.

export interface GuardSettings {
  /** Asterisk's security log (logger.conf's security channel) on this machine; null: not watched. */
  securityLog: string | null
  /** Failures from one address within windowS that block it. */
  blockAfter: number
  windowS: number
  /** How long a block lasts. */
  blockForS: number
  /** Addresses never blocked (the carrier, a trusted office NAT). */
  neverBlock: readonly string[]
}

export const DEFAULT_GUARD: Omit<GuardSettings, 'securityLog' | 'neverBlock'> = {blockAfter: 10, windowS: 60, blockForS: 600}

/** How often the log is read: a brute-force run of a thousand guesses a second is stopped within a second. */
const POLL_MS = 500

export class SipGuard {
  private offset = 0
  private partial = ''
  private timer: ReturnType<typeof setInterval> | null = null
  private readonly recent = new Map<string, {at: number[]; accounts: Set<string>}>()
  private readonly blocked = new Map<string, ReturnType<typeof setTimeout>>()
  private stopped = false

  constructor(
    private readonly o: {
      settings: GuardSettings
      rest: AriRest
      store: Store
      append: (e: Omit<NewEvent, 'ts' | 'origin'>) => void
      log: Logger
      now?: () => number
    },
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now()
  }

  /** Re-applies the blocks still in force (Asterisk may have restarted, astdb with it), then watches the log from its end. */
  async start(): Promise<void> {
    for (const b of await activeBlocks(this.o.store, this.now())) {
      await pushBlock(this.o.rest, b.address).catch((err: unknown) => this.o.log.warn('could not re-apply a SIP block', {address: b.address, error: String(err)}))
      this.expireAt(b.address, b.until)
    }
    const file = this.o.settings.securityLog
    if (!file) return
    // Old failures are history: count from now.
    this.offset = sizeOf(file)
    this.timer = setInterval(() => this.poll(file), POLL_MS)
    this.timer.unref?.()
    this.o.log.info('watching Asterisk security events for failed registrations', {file})
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    for (const t of this.blocked.values()) clearTimeout(t)
    this.blocked.clear()
  }

  /** Reads what was appended since the last poll; a rotated or truncated log starts over. */
  poll(file: string): void {
    const size = sizeOf(file)
    if (size < this.offset) {
      this.offset = 0
      this.partial = ''
    }
    if (size === this.offset) return
    const fd = openSync(file, 'r')
    try {
      const want = Math.min(size - this.offset, 4 * 1024 * 1024)
      const buf = Buffer.alloc(want)
      const got = readSync(fd, buf, 0, want, this.offset)
      this.offset += got
      const text = this.partial + buf.subarray(0, got).toString('utf8')
      const lines = text.split('\n')
      this.partial = lines.pop() ?? ''
      for (const line of lines) {
        const f = parseSecurityLine(line)
        if (f) this.failed(f)
      }
    } finally {
      closeSync(fd)
    }
  }

  failed(f: SecurityFailure): void {
    if (this.stopped || this.blocked.has(f.address) || this.o.settings.neverBlock.includes(f.address)) return
    const now = this.now()
    let r = this.recent.get(f.address)
    if (!r) this.recent.set(f.address, (r = {at: [], accounts: new Set()}))
    const since = now - this.o.settings.windowS * 1000
    r.at = r.at.filter((t) => t > since)
    r.at.push(now)
    if (r.accounts.size < 20) r.accounts.add(f.account.slice(0, 64))
    // The first failure of an address is an event (a person may have mistyped); the rest count quietly until the block.
    if (r.at.length === 1) this.o.append({type: 'sip.auth_failed', data: {address: f.address, account: f.account.slice(0, 64), event: f.event}})
    if (r.at.length >= this.o.settings.blockAfter) void this.block(f.address, r.at.length, [...r.accounts])
  }

  private async block(address: string, failures: number, accounts: string[]): Promise<void> {
    const until = this.now() + this.o.settings.blockForS * 1000
    this.recent.delete(address)
    this.expireAt(address, until)
    this.o.append({type: 'sip.blocked', data: {address, failures, accounts, untilTs: until}})
    this.o.log.warn(`SIP address ${address} blocked for ${this.o.settings.blockForS} s after ${failures} failed attempts`)
    try {
      await pushBlock(this.o.rest, address)
    } catch (err) {
      this.o.log.error('could not push a SIP block to Asterisk', {address, error: String(err)})
    }
  }

  private expireAt(address: string, until: number): void {
    clearTimeout(this.blocked.get(address))
    const t = setTimeout(() => void this.expire(address), Math.max(0, until - this.now()))
    t.unref?.()
    this.blocked.set(address, t)
  }

  /** The block's time is up, unless an admin already cleared it (callctl sip blocked --clear). */
  private async expire(address: string): Promise<void> {
    this.blocked.delete(address)
    if (this.stopped) return
    const still = (await activeBlocks(this.o.store, this.now() - 1)).some((b) => b.address === address)
    await dropBlock(this.o.rest, address).catch((err: unknown) => this.o.log.warn('could not lift a SIP block', {address, error: String(err)}))
    if (still) this.o.append({type: 'sip.unblocked', data: {address, by: 'expiry'}})
  }

  /** An admin cleared the block elsewhere: stop timing it. */
  forget(address: string): void {
    clearTimeout(this.blocked.get(address))
    this.blocked.delete(address)
    this.recent.delete(address)
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}
