// Buffer's per-encoding methods (utf8Slice, base64Slice, utf8Write): what
// toString() and write() call once they have checked their arguments and
// looked the encoding up. The NDJSON hot paths call them directly (a few
// small strings per value: the checks cost more than the work,
// bench/ndjson/ndjson.bench.ts). Falls back to the public methods where a
// Node version lacks them.

interface RawBuffer {
  utf8Slice: (start: number, end: number) => string
  base64Slice: (start: number, end: number) => string
  utf8Write: (s: string, offset: number, length: number) => number
}

const proto = Buffer.prototype as unknown as Partial<RawBuffer>
const raw = typeof proto.utf8Slice === 'function' && typeof proto.base64Slice === 'function' && typeof proto.utf8Write === 'function'

/** b.toString('utf8', start, end) for 0 <= start <= end <= b.length. */
export const utf8Slice: (b: Buffer, start: number, end: number) => string = raw
  ? (b, start, end) => (b as unknown as RawBuffer).utf8Slice(start, end)
  : (b, start, end) => b.toString('utf8', start, end)

/** b.toString('base64', start, end) for 0 <= start <= end <= b.length. */
export const base64Slice: (b: Buffer, start: number, end: number) => string = raw
  ? (b, start, end) => (b as unknown as RawBuffer).base64Slice(start, end)
  : (b, start, end) => b.toString('base64', start, end)

/** b.write(s, offset, 'utf8') for 0 <= offset <= b.length: the bytes written. */
export const utf8Write: (b: Buffer, s: string, offset: number) => number = raw
  ? (b, s, offset) => (b as unknown as RawBuffer).utf8Write(s, offset, b.length - offset)
  : (b, s, offset) => b.write(s, offset, 'utf8')
