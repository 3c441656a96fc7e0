// What the terminal sends a full screen (the desk, the dashboard), before Ink reads it. Ink 6.8's key parser throws on a
// control sequence it has no key name for when its parameter reads as a Ctrl modifier:
// "\x1b[31m" (a colour, in a path or reply pasted from a coloured terminal) took the whole
// desk down (TypeError in use-input). No such sequence is a key the desk or the dashboard knows, so each is
// dropped; the keys' own sequences (arrows, Home, End, Delete, Page Up and Down, Shift-Tab,
// the kitty keyboard protocol's) pass as they are.

const CSI = /\u001b\[[0-9;:?<=>]*[ -/]*[@-~]/g
const KEY = /^\u001b\[(?:(?:1;\d{1,3})?[A-DHFZ]|(?:[1-6]|1[5-9]|2[0-4]|20[01])(?:;\d{1,3})?~|\d{1,7}(?:[;:]\d{1,7})*u)$/

export function dropUnknownSequences(chunk: string): string {
  return chunk.includes('\u001b[') ? chunk.replace(CSI, (seq) => (KEY.test(seq) ? seq : '')) : chunk
}

/** Makes `stdin` hand Ink its chunks without the sequences it would throw on (Ink reads strings: it sets utf8). */
export function guardKeyInput(stdin: NodeJS.ReadStream): void {
  const read = stdin.read.bind(stdin)
  stdin.read = ((size?: number) => {
    const chunk: unknown = read(size)
    return typeof chunk === 'string' ? dropUnknownSequences(chunk) : chunk
  }) as typeof stdin.read
}
