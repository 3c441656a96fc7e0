// Calls the engine did not place: the bench dials an agent's phone itself (ARI originate
// to PJSIP/<phone> into a Stasis app of the bench's own, as a colleague's direct call
// would ring it), so the phone is busy on another call until it hangs up (after its talk
// time) or the bench does. The times come from the bench's own ARI events: StasisStart
// is the answer (an originate into an app enters it once answered), ChannelDestroyed
// the end.
import {connectAri, type AriPort} from '../../engine/ari/index.js'
import {createLogger} from '../../engine/util/log.js'
import type {TruthBusy} from './count.js'

export const BUSY_APP = 'presbench'

type DirectCall = TruthBusy & {cause: number | null}

interface Live {
  truth: DirectCall
  done: () => void
}

export class DirectCaller {
  readonly calls: DirectCall[] = []
  private readonly live = new Map<string, Live>()
  private n = 0

  private constructor(private readonly ari: AriPort) {
    ari.on('StasisStart', (e) => {
      const l = this.live.get(e.channel.id)
      if (l && l.truth.answeredAt === null) l.truth.answeredAt = Date.now()
    })
    ari.on('ChannelDestroyed', (e) => {
      const l = this.live.get(e.channel.id)
      if (!l) return
      l.truth.endedAt = Date.now()
      l.truth.cause = e.cause
      this.live.delete(e.channel.id)
      l.done()
    })
  }

  static async connect(creds: {url: string; user: string; password: string}): Promise<DirectCaller> {
    return new DirectCaller(await connectAri({creds, app: BUSY_APP, log: createLogger({level: 'error'})}))
  }

  /** Whether the phone is idle now, as Asterisk's device state has it (NOT_INUSE). */
  async idle(phone: string): Promise<boolean> {
    return (await this.ari.getDeviceState(`PJSIP/${phone}`).catch(() => 'UNKNOWN')) === 'NOT_INUSE'
  }

  /** Rings the phone and waits for the call to end: the phone hangs up after its talk time; the bench after `maxMs` if it has not. */
  async call(agent: string, phone: string, maxMs: number): Promise<DirectCall> {
    const id = `presbusy-${process.pid}-${++this.n}`
    const truth: DirectCall = {agent, originateAt: Date.now(), answeredAt: null, endedAt: null, cause: null}
    this.calls.push(truth)
    const ended = new Promise<void>((resolve) => {
      this.live.set(id, {truth, done: resolve})
    })
    try {
      await this.ari.originate({endpoint: `PJSIP/${phone}`, app: BUSY_APP, callerId: '"Colleague" <7000>', timeout: 10, channelId: id})
    } catch {
      // Refused at once (no contact): no call, nothing busy.
      this.live.delete(id)
      truth.endedAt = Date.now()
      return truth
    }
    const timer = setTimeout(() => void this.ari.hangup(id).catch(() => undefined), maxMs)
    await ended
    clearTimeout(timer)
    return truth
  }

  async close(): Promise<void> {
    await this.ari.close()
  }
}
