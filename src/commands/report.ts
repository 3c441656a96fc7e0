import {Args, Flags} from '@oclif/core'
import {existsSync} from 'node:fs'
import {checkNamesIn} from '../engine/admin/known-names.js'
import {loadEngineConfig} from '../engine/config/engine-config.js'
import {parseInterval} from '../engine/reports/interval.js'
import {DEFAULT_FCR_WINDOW_MS} from '../engine/reports/metrics.js'
import {reportPeriod} from '../engine/reports/period.js'
import {AtomicFile, StdoutSink, type ReportFormat, type Sink} from '../engine/reports/report-output.js'
import {checkOptions, REPORT_NAMES, REPORTS, reportType} from '../engine/reports/report-types.js'
import {runReportInWorker} from '../engine/reports/run-report.js'
import {isPostgresUrl} from '../engine/store/database-url.js'
import {UserError} from '../engine/util/errors.js'
import {CallctlCommand} from '../ui/command.js'

export interface ReportResult {
  report: string
  rows: number
  /** The file written, or null for standard output. */
  file: string | null
  from: string
  to: string
  tz: string
  format: string
}

export default class Report extends CallctlCommand<ReportResult> {
  static summary = 'Export a report as CSV (or JSON): calls, queues, agents, hourly, abandoned, ivr, survey, staffing, dispositions, tickets, chats, queue-log'
  static description = `Reads the event log; never prompts, so it runs from cron. With --out the file is written under a
temporary name and renamed when complete: no partial file is ever left, and the exit status is 0 only when
the report is in place. Dates: today, yesterday, an ISO date or date-time; --tz (an IANA zone) sets what
"today" means and the interval boundaries; times are shown in that zone. Text cells that a spreadsheet would
run as a formula (=, +, -, @ first) are quoted with a leading '. Types:
${REPORT_NAMES.map((n) => `  ${n.padEnd(10)} ${REPORTS[n].summary}`).join('\n')}
Every service level figure is named after its threshold and formula (column sl_20s_default; --format json
lists the definitions).`
  static examples = [
    '<%= config.bin %> report calls --from yesterday --to today --tz Asia/Shanghai --out /srv/reports/calls.csv',
    '<%= config.bin %> report queues --from 2026-11-01 --to 2026-12-01 --interval 1d --bom --out queues.csv',
    '<%= config.bin %> report agents --from today --to now --interval 1h --format json',
    '<%= config.bin %> report staffing --from yesterday --to today --target-sl 0.8 --target-seconds 20',
    '<%= config.bin %> report queue-log --from yesterday --to today --out queue_log',
  ]
  static args = {type: Args.string({description: `report type: ${REPORT_NAMES.join(', ')}`, required: true})}
  static flags = {
    from: Flags.string({description: 'start (included): today, yesterday, 2026-11-23, 2026-11-23T08:00', required: true}),
    to: Flags.string({description: 'end (not included), same forms as --from', required: true}),
    tz: Flags.string({description: 'IANA time zone for dates, intervals and times shown (default UTC)'}),
    interval: Flags.string({description: 'interval rows for queues, agents, staffing: 15m, 30m, 1h, 1d'}),
    queue: Flags.string({description: 'only this queue'}),
    agent: Flags.string({description: 'only this agent'}),
    format: Flags.string({description: 'csv (default) or json'}),
    out: Flags.string({char: 'o', description: 'write to this file (atomically) instead of standard output'}),
    bom: Flags.boolean({description: 'start a CSV with a UTF-8 byte order mark (for Excel)'}),
    'target-sl': Flags.string({description: 'staffing: share of calls to answer within --target-seconds, 0 to 1 (default 0.8)'}),
    'target-seconds': Flags.integer({description: "staffing: answer within this many seconds (default: each queue's SL threshold)", min: 1, max: 3600}),
    'fcr-window': Flags.string({description: 'queues, agents: first-contact resolution window, a repeat within it is no resolution: 7d (default), 48h, 90m'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<ReportResult> {
    const {args, flags} = await this.parse(Report)
    const type = reportType(args.type)
    checkOptions(type, flags)
    const period = reportPeriod({from: flags.from, to: flags.to, tz: flags.tz})
    const interval = flags.interval === undefined ? null : parseInterval(flags.interval)
    const format = reportFormat(flags.format)
    const only = (flag: string, what: string) => new UserError(`${flag} applies to ${what} only`, {suggestion: `Leave out ${flag}.`, exitCode: 2, code: 'bad_option'})
    if (flags.bom && (format !== 'csv' || type === 'queue-log')) throw only('--bom', 'CSV reports')
    if (type !== 'staffing' && (flags['target-sl'] !== undefined || flags['target-seconds'] !== undefined)) throw only(flags['target-sl'] !== undefined ? '--target-sl' : '--target-seconds', 'the staffing report')
    if (flags['fcr-window'] !== undefined && type !== 'queues' && type !== 'agents') throw only('--fcr-window', 'the queues and agents reports')
    const fcrWindowMs = flags['fcr-window'] === undefined ? DEFAULT_FCR_WINDOW_MS : fcrWindow(flags['fcr-window'])
    const targetSl = Number(flags['target-sl'] ?? 0.8)
    if (!(targetSl > 0 && targetSl < 1)) throw new UserError(`Invalid --target-sl "${flags['target-sl']}"`, {suggestion: 'A share between 0 and 1, e.g. 0.8 for 80 %.', exitCode: 2})
    if (this.jsonEnabled() && !flags.out) {
      throw new UserError('--json describes the file written: give --out, or use --format json for the report itself', {exitCode: 2, code: 'bad_option'})
    }
    const database = loadEngineConfig({file: flags.config, requireAri: false}).database
    if (!isPostgresUrl(database) && !existsSync(database)) throw new UserError(`No database at ${database}`, {suggestion: 'Check --config / CALLCTL_DB, or CALLCTL_HOME.', exitCode: 1, code: 'no_database'})
    // A misspelt --queue from cron must fail, not write an empty report; a queue removed
    // since the period still counts, its calls are in the log.
    const named = await checkNamesIn(flags.config, {queue: flags.queue, agent: flags.agent, history: {since: period.from, until: period.to}})

    // The output first: an unwritable --out fails before any work.
    const sink: Sink = flags.out ? new AtomicFile(flags.out) : new StdoutSink()
    const stopOnSignal = (signal: NodeJS.Signals) => {
      sink.abort()
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    process.once('SIGINT', stopOnSignal)
    process.once('SIGTERM', stopOnSignal)
    const progress = progressLine(type)
    try {
      const rows = await runReportInWorker(
        {
          type,
          database,
          from: period.from,
          to: period.to,
          tz: period.zone.name,
          interval: interval?.label ?? null,
          queue: named.queue ?? null,
          agent: named.agent ?? null,
          staffing: {targetSl, targetSeconds: flags['target-seconds'] ?? null},
          fcrWindowMs,
          format,
          bom: flags.bom,
          now: Date.now(),
        },
        sink,
        progress.update,
      )
      await sink.commit()
      return {report: type, rows, file: sink.file, from: period.zone.format(period.from), to: period.zone.format(period.to), tz: period.zone.name, format: type === 'queue-log' ? 'queue_log' : format}
    } catch (err) {
      sink.abort()
      throw err
    } finally {
      progress.done()
      process.off('SIGINT', stopOnSignal)
      process.off('SIGTERM', stopOnSignal)
    }
  }

  protected render(r: ReportResult): void {
    if (r.file) this.print(`Wrote ${r.rows.toLocaleString('en-US')} ${r.report === 'queue-log' ? 'lines' : 'rows'} (${r.report}, ${r.from} to ${r.to}) to ${r.file}`)
  }
}

/** 7d, 48h, 90m: a first-contact resolution window, at most 90 days. */
function fcrWindow(v: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(v.trim())
  const ms = m ? Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000) : NaN
  if (!(ms > 0 && ms <= 90 * 86_400_000)) throw new UserError(`Invalid --fcr-window "${v}"`, {suggestion: 'A duration up to 90 days: 7d, 48h, 90m.', exitCode: 2, code: 'bad_option'})
  return ms
}

function reportFormat(v: string | undefined): ReportFormat {
  if (v === undefined || v === 'csv' || v === 'json') return v ?? 'csv'
  throw new UserError(`Invalid --format "${v}"`, {suggestion: 'Use csv or json.', exitCode: 2})
}

/** "report calls: 120,000 rows" on stderr, rewritten in place, only for a person watching. */
function progressLine(type: string): {update: (rows: number) => void; done: () => void} {
  if (!process.stderr.isTTY) return {update: () => {}, done: () => {}}
  let last = 0
  let shown = false
  return {
    update(rows) {
      const now = Date.now()
      if (now - last < 200) return
      last = now
      shown = true
      process.stderr.write(`\rreport ${type}: ${rows.toLocaleString('en-US')} rows`)
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K')
    },
  }
}
