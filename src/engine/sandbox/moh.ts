/**
 * A few seconds of music for the sandbox's music-on-hold class (Debian's minimal root
 * has none): a slow arpeggio as 8 kHz, 16-bit mono PCM WAV, the format Asterisk plays
 * without transcoding.
 */
export function holdMusicWav(seconds = 8): Buffer {
  const rate = 8000
  const notes = [261.63, 329.63, 392.0, 523.25, 392.0, 329.63] // C E G C G E
  const samples = rate * seconds
  const data = Buffer.alloc(samples * 2)
  const noteLen = Math.floor(rate / 2)
  for (let i = 0; i < samples; i++) {
    const note = notes[Math.floor(i / noteLen) % notes.length]!
    const t = (i % noteLen) / noteLen
    const envelope = Math.min(1, t * 20) * (1 - t) // soft attack, linear decay
    const v = Math.sin((2 * Math.PI * note * i) / rate) * envelope * 0.3
    data.writeInt16LE(Math.round(v * 32767), i * 2)
  }
  return wav(data, rate)
}

export function wav(pcm: Buffer, rate: number): Buffer {
  const header = Buffer.alloc(44)
  header.write('RIFF', 0)
  header.writeUInt32LE(36 + pcm.length, 4)
  header.write('WAVE', 8)
  header.write('fmt ', 12)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20) // PCM
  header.writeUInt16LE(1, 22) // mono
  header.writeUInt32LE(rate, 24)
  header.writeUInt32LE(rate * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36)
  header.writeUInt32LE(pcm.length, 40)
  return Buffer.concat([header, pcm])
}
