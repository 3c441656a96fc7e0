// Progress of a long command on stderr: on a terminal one line redrawn in place with a bar
// (at most 5 times a second), cleared at the end; piped (a log, cron mail) plain lines, one
// when a step starts, then at each tenth of it and when it ends, so a log shows where a run
// stopped without a line per batch.

export interface Progress {
  /** `done` of `total` of the step named `label` (a new label starts a new step). */
  update(label: string, done: number, total: number): void
  /** Clears the bar (terminal) before the result is printed. */
  done(): void
}

export function progressOnStderr(o: {quiet?: boolean} = {}): Progress {
  const out = process.stderr
  if (out.isTTY) return new Bar(out)
  if (o.quiet) return {update() {}, done() {}}
  return new Lines(out)
}

const n = (v: number) => v.toLocaleString('en-US')
const percent = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100)

class Bar implements Progress {
  private last = 0
  private shown = false
  private label = ''

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(label: string, done: number, total: number): void {
    const now = Date.now()
    // Always draw a new step and an end; in between, 5 times a second.
    if (label === this.label && done < total && now - this.last < 200) return
    this.last = now
    this.label = label
    // The figures first: on a narrow terminal the bar shrinks, then goes.
    const text = `${label.padEnd(14)} ${String(percent(done, total)).padStart(3)}%  ${n(done)}/${n(total)}`
    const columns = (this.out.columns || 80) - 1
    const width = Math.min(40, columns - text.length - 3)
    const filled = Math.round((percent(done, total) / 100) * width)
    const bar = width >= 5 ? `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : ''
    this.out.write(`\r\u001b[K${(text + bar).slice(0, columns)}`)
    this.shown = true
  }

  done(): void {
    if (this.shown) this.out.write('\r\u001b[K')
    this.shown = false
  }
}

class Lines implements Progress {
  private label = ''
  private tenth = -1

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(label: string, done: number, total: number): void {
    const tenth = Math.floor(percent(done, total) / 10)
    if (label === this.label && tenth === this.tenth) return
    this.label = label
    this.tenth = tenth
    this.out.write(`${label}: ${n(done)}/${n(total)} (${percent(done, total)}%)\n`)
  }

  done(): void {}
}
