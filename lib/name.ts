// Names (namespace, set, bin, index, UDF) are bytes on the server and in
// .asb; in memory they are strings when valid UTF-8 and Buffers otherwise.
import { isUtf8 } from 'node:buffer'
import type { Name } from './types.js'

/** The exact bytes of a name. */
export function nameBytes (name: Name): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name
}

/** Builds a Name from bytes: a string when they are valid UTF-8, else a copy of the bytes. */
export function nameFromBytes (buf: Buffer, start = 0, end = buf.length): Name {
  let ascii = true
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) { ascii = false; break }
  }
  if (ascii) return buf.toString('latin1', start, end)
  const sub = buf.subarray(start, end)
  if (isUtf8(sub)) return sub.toString('utf8')
  return Buffer.from(sub)
}

/** A readable form for messages (invalid UTF-8 shown with replacement characters). */
export function nameToString (name: Name): string {
  return typeof name === 'string' ? name : name.toString('utf8')
}

export function nameEquals (a: Name, b: Name): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b
  return nameBytes(a).equals(nameBytes(b))
}
