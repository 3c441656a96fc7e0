import {Text} from 'ink'
import {safeText} from '../../engine/util/text.js'

export interface Message {
  text: string
  error: boolean
}

const HINTS = 'Tab pane · ↑↓ select · / filter · m w b monitor/whisper/barge · p pause · ? help · q quit'

/** The bottom line: the filter being typed, the outcome of the last action, or the keys. */
export function StatusLine(p: {filter: string; editing: boolean; message: Message | null}) {
  if (p.editing) {
    return (
      <Text wrap="truncate-end">
        <Text bold>/ {safeText(p.filter, 60)}</Text>
        <Text inverse> </Text>
        <Text dimColor>{'   Enter keeps the filter · Esc clears it'}</Text>
      </Text>
    )
  }
  return (
    <Text wrap="truncate-end">
      {p.filter ? <Text color="cyan">{`filter "${safeText(p.filter, 60)}" (Esc clears)   `}</Text> : null}
      {p.message ? <Text color={p.message.error ? 'red' : 'green'}>{safeText(p.message.text, 300)}</Text> : <Text dimColor>{HINTS}</Text>}
    </Text>
  )
}
