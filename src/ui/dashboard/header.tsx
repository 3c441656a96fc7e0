import {Box, Text} from 'ink'
import type {AgentState} from '../../engine/api/contract.js'
import {safeText} from '../../engine/util/text.js'
import {STATE_COLOR} from './agents-pane.js'
import type {HeaderFigures} from './board.js'
import {clock, duration, percent} from './format.js'
import {LEVEL_COLOR} from './table.js'
import type {Level} from './thresholds.js'

const SHOWN_STATES: readonly AgentState[] = ['idle', 'ringing', 'on-call', 'wrap-up', 'paused']

function Figure(p: {label: string; value: string; level?: Level; last?: boolean}) {
  return (
    <Text>
      <Text dimColor>{p.label} </Text>
      <Text bold color={p.level ? LEVEL_COLOR[p.level] : undefined}>
        {p.value}
      </Text>
      {p.last ? '' : '   '}
    </Text>
  )
}

// Below this width the figures' labels shorten so all five fit on one line.
const COMPACT_BELOW = 90

/** Three lines: title and time; agents by state; the figures a supervisor watches. */
export function Header(p: {title: string; at: number | null; figures: HeaderFigures | null; timeZone?: string; live: boolean; width: number}) {
  const f = p.figures
  const short = p.width < COMPACT_BELOW
  const sl = !f ? 'SL' : f.slSeconds === null ? 'SL (per-queue T)' : short ? `SL ${f.slSeconds}s` : `SL (${f.slSeconds} s)`
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>{safeText(p.title, 60)}</Text>
        <Text dimColor>{'   '}</Text>
        <Text bold>{p.at === null ? '--:--:--' : clock(p.at, p.timeZone)}</Text>
        <Text dimColor>{p.live ? '   live' : '   not live'}</Text>
        <Text dimColor>{f ? `   Today: ${f.offered} offered, ${f.answered} answered, ${f.abandoned} abandoned` : ''}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>Agents </Text>
        <Text bold>{f ? f.loggedIn : '-'}</Text>
        <Text dimColor> logged in: </Text>
        {SHOWN_STATES.map((s, i) => (
          <Text key={s}>
            {i > 0 ? <Text dimColor> · </Text> : null}
            <Text color={STATE_COLOR[s]}>{`${f ? f.agents[s] : '-'} ${s}`}</Text>
          </Text>
        ))}
        <Text dimColor>{f ? `   (${f.agents.offline} offline)` : ''}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Figure label="Waiting" value={f ? String(f.waiting) : '-'} level={f?.levels.waiting} />
        <Figure label={short ? 'Longest' : 'Longest wait'} value={duration(f?.longestWaitMs)} level={f?.levels.longestWait} />
        <Figure label={sl} value={percent(f?.serviceLevel)} level={f?.levels.serviceLevel} />
        <Figure label={short ? 'Answered' : 'Answer rate'} value={percent(f?.answerRate)} level={f?.levels.answerRate} />
        <Figure label={short ? 'Abandoned' : 'Abandon rate'} value={percent(f?.abandonRate)} level={f?.levels.abandonRate} last />
      </Text>
    </Box>
  )
}
