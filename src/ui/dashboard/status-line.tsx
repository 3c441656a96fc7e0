import {Box, Text} from 'ink'
import {safeText} from '../../engine/util/text.js'
import {useColour} from './color.js'

export interface Message {
  text: string
  error: boolean
}

// The key hints, longest first. The status line keeps them on screen whatever else it
// says: an action's outcome or the filter takes the room left, and is the part cut.
const HINTS = [
  'Tab pane · ↑↓ select · / filter · m w b monitor/whisper/barge · p pause · ? help · q quit',
  'Tab ↑↓ / filter · m w b supervise · p pause · ? help · q quit',
  '? help · q quit',
]
/** Room an outcome or the filter may claim beside the hints before they shorten (a longer one is cut). */
const ROOM = 60

/** The longest hints that leave the rest of the line room for `left` (an estimate: the line cuts what does not fit). */
function hintsFor(width: number, left: string): string {
  const room = left ? Math.min(left.length, ROOM) + 2 : 0
  return HINTS.find((h) => h.length + room <= width) ?? HINTS[HINTS.length - 1]!
}

/** The bottom line: the filter being typed, or the filter and the outcome of the last action; the keys always. */
export function StatusLine(p: {filter: string; editing: boolean; message: Message | null; width: number}) {
  const colour = useColour()
  if (p.editing) {
    return (
      <Text wrap="truncate-end">
        <Text bold>/ {safeText(p.filter, 60)}</Text>
        {colour ? <Text inverse> </Text> : '_'}
        <Text dimColor>{'   Enter keeps the filter · Esc clears it'}</Text>
      </Text>
    )
  }
  const filter = p.filter ? `filter "${safeText(p.filter, 60)}" (Esc clears)   ` : ''
  // Without colour an error reads as one by its mark.
  const message = p.message ? `${p.message.error && !colour ? '! ' : ''}${safeText(p.message.text, 300)}` : ''
  const hints = hintsFor(p.width, filter + message)
  if (!filter && !message) {
    return (
      <Text wrap="truncate-end" dimColor>
        {hints}
      </Text>
    )
  }
  return (
    <Box width={p.width}>
      <Box flexGrow={1} flexShrink={1} minWidth={0}>
        <Text wrap="truncate-end">
          {filter ? <Text color="cyan">{filter}</Text> : null}
          {p.message ? <Text color={p.message.error ? 'red' : 'green'}>{message}</Text> : null}
        </Text>
      </Box>
      <Box flexShrink={0} marginLeft={2}>
        <Text dimColor>{hints}</Text>
      </Box>
    </Box>
  )
}
