import {Box, Text} from 'ink'
import {LEVEL_MARK, useColour} from './color.js'
import {describeThresholds, type Thresholds} from './thresholds.js'

const KEYS: [string, string][] = [
  ['Tab / Shift-Tab', 'next / previous pane'],
  ['↑ ↓  j k  PgUp PgDn  Home End', 'select a row'],
  ['/', 'filter every pane (Enter keeps it, Esc clears it)'],
  ['m  w  b', "monitor, whisper to or barge into the selected agent's call (your phone rings)"],
  ['p', 'pause the selected agent, or unpause a paused one'],
  ['?', 'this help (any key closes it)'],
  ['q  Ctrl-C', 'quit'],
]

export function Help(p: {thresholds: Thresholds; from: string | null; height: number; width: number}) {
  const colour = useColour()
  return (
    <Box flexDirection="column" height={p.height} width={p.width}>
      <Text bold inverse color="cyan">
        {' HELP '}
      </Text>
      {KEYS.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text bold>{k.padEnd(32)}</Text>
          {what}
        </Text>
      ))}
      <Text wrap="truncate-end" dimColor>
        {p.from ? `Supervision rings ${p.from}.` : 'No supervisor phone: start with --from PJSIP/2001 or set supervisor.endpoint in the config.'}
      </Text>
      <Text> </Text>
      <Text bold>{`Thresholds (${colour ? 'yellow = warn, red = alert' : `${LEVEL_MARK.warn} = warn, ${LEVEL_MARK.alert} = alert`}; dashboard.yaml or --threshold NAME=WARN,ALERT)`}</Text>
      {describeThresholds(p.thresholds).map((l) => (
        <Text key={l} wrap="truncate-end">
          {l}
        </Text>
      ))}
    </Box>
  )
}
