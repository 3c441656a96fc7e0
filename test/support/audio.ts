// Reading what a call sounded like: PCM WAV parsing, loudness and tone detection, so
// tests can check that a recording is not silent and which tones each party heard.

export interface Wav {
  sampleRate: number
  channels: number
  bitsPerSample: number
  encoding: 'pcm' | 'float'
  /** One array per channel, scaled to -1..1. */
  channelData: Float32Array[]
  durationMs: number
}

const PCM = 1
const FLOAT = 3
const EXTENSIBLE = 0xfffe

export function parseWav(buf: Buffer): Wav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file')
  let fmt: {format: number; channels: number; sampleRate: number; blockAlign: number; bits: number} | undefined
  let off = 12
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4)
    const size = buf.readUInt32LE(off + 4)
    const body = off + 8
    if (id === 'fmt ') {
      let format = buf.readUInt16LE(body)
      // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of its sub-format GUID.
      if (format === EXTENSIBLE && size >= 26) format = buf.readUInt16LE(body + 24)
      fmt = {format, channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), blockAlign: buf.readUInt16LE(body + 12), bits: buf.readUInt16LE(body + 14)}
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk')
      // Writers that stream (or crashed) leave the size at 0xFFFFFFFF or past the end.
      const end = Math.min(buf.length, body + size)
      return decode(buf.subarray(body, end), fmt)
    }
    off = body + size + (size % 2)
  }
  throw new Error(fmt ? 'no data chunk' : 'no fmt chunk')
}

function decode(data: Buffer, f: {format: number; channels: number; sampleRate: number; blockAlign: number; bits: number}): Wav {
  if (f.format !== PCM && f.format !== FLOAT) throw new Error(`unsupported WAV format ${f.format} (only PCM and IEEE float)`)
  if (f.channels < 1 || f.sampleRate < 1) throw new Error('WAV header has no channels or no sample rate')
  const bytes = f.bits / 8
  if (![1, 2, 3, 4, 8].includes(bytes) || (f.format === FLOAT && bytes !== 4 && bytes !== 8)) throw new Error(`unsupported sample size ${f.bits} bits`)
  const block = f.blockAlign || bytes * f.channels
  const frames = Math.floor(data.length / block)
  const channelData = Array.from({length: f.channels}, () => new Float32Array(frames))
  const read = reader(f.format, bytes)
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < f.channels; c++) channelData[c]![i] = read(data, i * block + c * bytes)
  }
  return {sampleRate: f.sampleRate, channels: f.channels, bitsPerSample: f.bits, encoding: f.format === FLOAT ? 'float' : 'pcm', channelData, durationMs: (frames / f.sampleRate) * 1000}
}

function reader(format: number, bytes: number): (b: Buffer, at: number) => number {
  if (format === FLOAT) return bytes === 4 ? (b, at) => b.readFloatLE(at) : (b, at) => b.readDoubleLE(at)
  switch (bytes) {
    case 1:
      return (b, at) => (b[at]! - 128) / 128 // 8-bit WAV is unsigned
    case 2:
      return (b, at) => b.readInt16LE(at) / 32768
    case 3:
      return (b, at) => b.readIntLE(at, 3) / 8_388_608
    default:
      return (b, at) => b.readInt32LE(at) / 2_147_483_648
  }
}

/** All channels averaged into one. */
export function mono(w: Wav): Float32Array {
  if (w.channels === 1) return w.channelData[0]!
  const out = new Float32Array(w.channelData[0]!.length)
  for (const ch of w.channelData) for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / w.channels
  return out
}

/** The samples between two times (ms from the start). */
export function slice(samples: Float32Array, sampleRate: number, fromMs: number, toMs = Infinity): Float32Array {
  const from = Math.max(0, Math.round((fromMs * sampleRate) / 1000))
  const to = Math.min(samples.length, Math.round((Math.min(toMs, 1e12) * sampleRate) / 1000))
  return samples.subarray(from, Math.max(from, to))
}

/** Root mean square, 0..1 of full scale (a full-scale sine is about 0.707). */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0
  let sum = 0
  for (const s of samples) sum += s * s
  return Math.sqrt(sum / samples.length)
}

/**
 * Power of the component at `freq` Hz (Goertzel, evaluated at exactly that frequency),
 * scaled like the mean square: a sine of amplitude A gives A²/2. Compare it with
 * rms()² to get the share of the signal's power at that frequency.
 */
export function goertzelPower(samples: Float32Array, sampleRate: number, freq: number): number {
  const n = samples.length
  if (n === 0) return 0
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate)
  let s1 = 0
  let s2 = 0
  for (let i = 0; i < n; i++) {
    const s = samples[i]! + coeff * s1 - s2
    s2 = s1
    s1 = s
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2
  return (2 * power) / (n * n)
}

/** The share (0..1) of the signal's power that is at `freq` Hz. */
export function toneShare(samples: Float32Array, sampleRate: number, freq: number): number {
  const total = rms(samples) ** 2
  return total === 0 ? 0 : goertzelPower(samples, sampleRate, freq) / total
}

/** A WAV file from samples in -1..1 (one array per channel), for tests that need audio. */
export function encodeWav(channelData: Float32Array[], sampleRate: number, bitsPerSample: 8 | 16 | 24 | 32 = 16): Buffer {
  const channels = channelData.length
  const bytes = bitsPerSample / 8
  const frames = channelData[0]?.length ?? 0
  const data = Buffer.alloc(frames * channels * bytes)
  const full = 2 ** (bitsPerSample - 1)
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const v = Math.max(-full, Math.min(full - 1, Math.round(channelData[c]![i]! * full)))
      const at = (i * channels + c) * bytes
      if (bytes === 1) data[at] = v + 128
      else data.writeIntLE(v, at, bytes)
    }
  }
  const h = Buffer.alloc(44)
  h.write('RIFF', 0, 'ascii')
  h.writeUInt32LE(36 + data.length, 4)
  h.write('WAVEfmt ', 8, 'ascii')
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(PCM, 20)
  h.writeUInt16LE(channels, 22)
  h.writeUInt32LE(sampleRate, 24)
  h.writeUInt32LE(sampleRate * channels * bytes, 28)
  h.writeUInt16LE(channels * bytes, 32)
  h.writeUInt16LE(bitsPerSample, 34)
  h.write('data', 36, 'ascii')
  h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}

/** Sum of sines: [frequency Hz, amplitude] pairs, `ms` long. */
export function tones(parts: [number, number][], sampleRate: number, ms: number): Float32Array {
  const n = Math.round((sampleRate * ms) / 1000)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) for (const [f, a] of parts) out[i]! += a * Math.sin((2 * Math.PI * f * i) / sampleRate)
  return out
}
