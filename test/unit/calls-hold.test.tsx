import chalk from 'chalk'
import {render} from 'ink-testing-library'
import {afterEach, expect, it} from 'vitest'
import Calls, {type CallsResult} from '../../src/commands/calls.js'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {CallsPane} from '../../src/ui/dashboard/calls-pane.js'
import {plainBoard} from '../../src/ui/dashboard/plain.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'
import {AT, fixtureSnapshot, SIZE} from '../support/dashboard.js'

// A supervisor could not see who is on hold: calls and the dashboard printed a held call as
// "connected" (misuse report 21, finding 8). Both read the call view's heldSince now.

const level = chalk.level
afterEach(() => {
  chalk.level = level
})

/** The fixture's call-talk (a2) held 42 s ago; call-vip connected to a1 and held 10 s ago for a consultation. */
function heldSnapshot() {
  const s = fixtureSnapshot()
  s.calls = s.calls.map((c) =>
    c.id === 'call-talk'
      ? {...c, heldSince: AT - 42_000, holdMs: 42_000}
      : c.id === 'call-vip'
        ? {...c, state: 'connected', agent: 'a1', connectedAt: AT - 20_000, heldSince: AT - 10_000, holdMs: 10_000, consulting: true}
        : c,
  )
  return s
}

it('calls: STATE says on-hold (or consulting) and for how long; other calls keep their state', () => {
  chalk.level = 0
  const snap = heldSnapshot()
  const result: CallsResult = {at: snap.at, calls: snap.calls.map((c) => ({...c, waitedMs: null, talkMs: null})), link: null, phoneProblems: []}
  const out: string[] = []
  const cmd = Object.create(Calls.prototype) as {render(r: CallsResult): void; print(s: string): void; warn(s: string): void}
  cmd.print = (s) => void out.push(s)
  cmd.warn = (s) => void out.push(s)
  cmd.render(result)
  const rows = out.join('\n').split('\n')
  expect(rows.find((r) => r.startsWith('call-talk'))).toMatch(/\sa2\s+on-hold 0:42\s/)
  expect(rows.find((r) => r.startsWith('call-vip'))).toMatch(/\sa1\s+consulting 0:10\s/)
  expect(rows.find((r) => r.startsWith('call-evil'))).toMatch(/\swaiting\s/)
})

it('dashboard: the calls pane says on-hold and consult, dashboard --once for how long; the board row carries heldSince for --once --json', () => {
  chalk.level = 0
  const b = buildBoard(heldSnapshot(), {thresholds: DEFAULT_THRESHOLDS})
  expect(b.calls.find((c) => c.id === 'call-talk')).toMatchObject({state: 'connected', heldSince: AT - 42_000, consulting: false})
  const frame = render(<CallsPane rows={b.calls} total={3} width={SIZE.columns} height={6} focused={false} selected={0} />).lastFrame()!
  expect(frame).toMatch(/\+8613800000002 .* a2 +on-hold /)
  expect(frame).toMatch(/\+8613800000001 .* a1 +consult /)
  expect(frame).not.toContain('connected')
  const plain = plainBoard(b)
  expect(plain).toMatch(/\+8613800000002 .* a2 +on-hold 0:42 /)
  expect(plain).toMatch(/\+8613800000001 .* a1 +consulting 0:10 /)
})
