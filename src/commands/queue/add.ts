import {Args, Flags} from '@oclif/core'
import {addQueue} from '../../engine/admin/admin.js'
import {QueueSettingError} from '../../engine/admin/validate.js'
import {withStore} from '../../engine/config/open-store.js'
import {STRATEGIES, type QueueRecord} from '../../engine/model.js'
import {UserError} from '../../engine/util/errors.js'
import {safeId} from '../../engine/util/ids.js'
import {byFlag} from '../../engine/api/store-access.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'

export default class QueueAdd extends CallctlCommand<QueueRecord> {
  static summary = 'Create a queue (or change one with --update); a running engine picks it up at once'
  static examples = ['<%= config.bin %> queue add sales --did 100 --wrap-up 10', '<%= config.bin %> queue add support --update --ring-timeout 20', '<%= config.bin %> queue add 客服 --did 4008 --skills "粤语>=2 | 普通话"']
  static args = {name: Args.string({description: 'queue name, in any script (sales, 客服)', required: true})}
  static flags = {
    strategy: Flags.string({description: 'how agents are chosen', options: [...STRATEGIES]}),
    'ring-timeout': Flags.string({description: 'seconds an agent rings before the next is tried (default 15)'}),
    'wrap-up': Flags.string({description: 'after-call work seconds (default 5)'}),
    moh: Flags.string({description: 'music-on-hold class (default "default")'}),
    did: Flags.string({description: 'dialled number that lands in this queue (repeatable)', multiple: true}),
    skills: Flags.string({description: 'skill requirement, e.g. "billing>=2 & (english | mandarin)"'}),
    'skill-step': Flags.string({description: 'widen skills after waiting: SECONDS:EXPR, e.g. 30:billing or 60: (repeatable)', multiple: true}),
    'max-callers': Flags.string({description: 'most callers waiting at once (0 = no limit)'}),
    'max-wait': Flags.string({description: 'seconds before overflow (0 = no limit)'}),
    'join-empty': Flags.boolean({description: 'let callers in when no agent is logged in', allowNo: true}),
    'leave-when-empty': Flags.boolean({description: 'overflow waiting callers when the last agent logs out', allowNo: true}),
    overflow: Flags.string({description: 'hangup | queue:NAME | voicemail[:PROMPT] | callback | message:PROMPT'}),
    'announce-every': Flags.string({description: 'seconds between position/wait announcements (0 = none)'}),
    'announce-position': Flags.boolean({description: 'say the position', allowNo: true}),
    'announce-wait': Flags.boolean({description: 'say the expected wait', allowNo: true}),
    'callback-key': Flags.string({description: 'key a waiting caller presses for a callback ("" = none)'}),
    'callback-attempts': Flags.string({description: 'attempts to reach a callback customer'}),
    'callback-retry': Flags.string({description: 'seconds before the first callback retry (doubles each time)'}),
    'auto-pause-after': Flags.string({description: 'missed rings in a row before an agent is paused (0 = never)'}),
    'outbound-allow': Flags.string({description: 'numbers calls of this queue may go out to (transfers, callbacks): national, mobile, fixed, tollfree, international, premium, any, or a prefix like +86138* (repeatable; default: the config\'s outbound.allow)', multiple: true}),
    'auto-pause-busy': Flags.boolean({description: "pause an agent whose phone answers a ring busy (app_queue's autopausebusy)", allowNo: true}),
    'auto-pause-unavailable': Flags.boolean({description: "pause an agent whose phone cannot be reached for a ring (app_queue's autopauseunavail)", allowNo: true}),
    'last-agent-window': Flags.string({description: 'seconds a returning caller is offered its last agent first (0 = off)'}),
    'last-agent-wait': Flags.string({description: 'seconds to hold a returning caller for its last agent'}),
    'resume-window': Flags.string({description: 'seconds within which a caller who hung up keeps its place (0 = off)'}),
    'handle-time': Flags.string({description: 'handle time assumed for wait estimates before there is history'}),
    record: Flags.boolean({description: 'record agent calls (default on)', allowNo: true}),
    'sl-seconds': Flags.string({description: 'service level threshold T in seconds (default 20)'}),
    'sl-formula': Flags.string({description: 'service level formula', options: ['default', 'answered', 'sl2', 'answered-abandoned']}),
    'short-abandon': Flags.string({description: 'hang-ups sooner than this many seconds are short abandons (default 5)'}),
    disposition: Flags.string({description: 'an outcome code agents choose after each call, CODE:LABEL:KEY, e.g. resolved:已解决:1 (repeatable; replaces the list; --disposition "" clears it)', multiple: true}),
    update: Flags.boolean({description: 'change an existing queue instead of failing'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<QueueRecord> {
    const {args, flags} = await this.parse(QueueAdd)
    const settings = {
      strategy: flags.strategy,
      ringTimeout: flags['ring-timeout'],
      wrapUp: flags['wrap-up'],
      musicClass: flags.moh,
      dids: flags.did,
      requiredSkills: flags.skills,
      skillSteps: flags['skill-step']?.map(parseSkillStep),
      maxCallers: flags['max-callers'],
      maxWait: flags['max-wait'],
      joinEmpty: flags['join-empty'],
      leaveWhenEmpty: flags['leave-when-empty'],
      overflow: flags.overflow,
      announceEvery: flags['announce-every'],
      announcePosition: flags['announce-position'],
      announceWait: flags['announce-wait'],
      callbackKey: flags['callback-key'],
      callbackAttempts: flags['callback-attempts'],
      callbackRetryDelay: flags['callback-retry'],
      autoPauseAfter: flags['auto-pause-after'],
      autoPauseBusy: flags['auto-pause-busy'],
      outboundAllow: flags['outbound-allow'],
      autoPauseUnavailable: flags['auto-pause-unavailable'],
      lastAgentWindow: flags['last-agent-window'],
      lastAgentWait: flags['last-agent-wait'],
      resumeWindow: flags['resume-window'],
      defaultHandleTime: flags['handle-time'],
      record: flags.record,
      slSeconds: flags['sl-seconds'],
      slFormula: flags['sl-formula'],
      shortAbandon: flags['short-abandon'],
      dispositions: flags.disposition?.filter((d) => d !== ''),
    }
    try {
      return await withStore(flags.config, (store, who) => addQueue(store, args.name, settings, {update: flags.update, ...byFlag(who)}))
    } catch (err) {
      throw err instanceof QueueSettingError ? inFlagWords(err) : err
    }
  }

  protected render(q: QueueRecord): void {
    this.print(`Queue ${q.name} saved.`)
    const s = q.settings
    this.print(
      fields({
        strategy: s.strategy,
        'ring timeout': `${s.ringTimeout} s`,
        'wrap-up': `${s.wrapUp} s`,
        skills: s.requiredSkills || '(any agent)',
        'max wait': s.maxWait ? `${s.maxWait} s, then ${s.overflow.action}${s.overflow.queue ? ` to ${s.overflow.queue}` : ''}` : 'no limit',
        announcements: s.announceEvery ? `every ${s.announceEvery} s` : 'none',
        callback: s.callbackKey ? `press ${s.callbackKey}` : 'not offered',
        dids: s.dids,
        ...(s.dispositions.length ? {dispositions: s.dispositions.map((d) => `${d.key} ${d.code} (${d.label})`)} : {}),
        // Callers reach the queue by its Asterisk id too (the inbound dialplan takes ASCII only).
        ...(safeId(q.name) === q.name ? {} : {'asterisk id': safeId(q.name)}),
      }),
    )
  }
}

/** Each setting's flag: an error names what was typed (--wrap-up), not the YAML key (wrapUp). */
const FLAG_OF: Record<string, string> = {
  strategy: 'strategy',
  ringTimeout: 'ring-timeout',
  wrapUp: 'wrap-up',
  musicClass: 'moh',
  dids: 'did',
  requiredSkills: 'skills',
  skillSteps: 'skill-step',
  maxCallers: 'max-callers',
  maxWait: 'max-wait',
  overflow: 'overflow',
  announceEvery: 'announce-every',
  callbackKey: 'callback-key',
  callbackAttempts: 'callback-attempts',
  callbackRetryDelay: 'callback-retry',
  autoPauseAfter: 'auto-pause-after',
  outboundAllow: 'outbound-allow',
  lastAgentWindow: 'last-agent-window',
  lastAgentWait: 'last-agent-wait',
  resumeWindow: 'resume-window',
  defaultHandleTime: 'handle-time',
  slSeconds: 'sl-seconds',
  slFormula: 'sl-formula',
  shortAbandon: 'short-abandon',
  dispositions: 'disposition',
}

/** A refused setting as the flag it came from: "Invalid --wrap-up "-5"", "--wrap-up accepts: ...". */
function inFlagWords(err: QueueSettingError): UserError {
  const key = err.path[0]
  const flag = typeof key === 'string' && Object.hasOwn(FLAG_OF, key) ? FLAG_OF[key] : undefined
  if (!flag) return err
  const words = (text: string) => text.replace(new RegExp(`(?<![\\w.-])${key}(?![\\w])`, 'g'), `--${flag}`)
  return new UserError(words(err.message).replace(/ for a queue$/, ''), {suggestion: err.suggestion && words(err.suggestion), exitCode: err.exitCode, code: err.code})
}

function parseSkillStep(spec: string): {after: string; require: string} {
  const i = spec.indexOf(':')
  if (i < 0) return {after: spec, require: ''}
  return {after: spec.slice(0, i), require: spec.slice(i + 1)}
}
