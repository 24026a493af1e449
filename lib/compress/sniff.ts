// Recognise what a stream is from its first bytes, so that a filter given the
// wrong kind of input can say what it got ("this is a plain .asb, not zstd")
// instead of a cryptic decoder error. The users' top complaint about asbackup
// is that flags must match the file and nothing in the file says so (§3, §4).
import { ZSTD_MAGIC, ZSTD_SKIPPABLE_MASK, ZSTD_SKIPPABLE_MIN } from './constants.js'
import { AEAD_MAGIC } from '../crypto/constants.js'

export type DataKind =
  | 'empty' | 'zstd' | 'aead' | 'asb' | 'ndjson' | 'gzip' | 'xz' | 'bzip2' | 'lz4' | 'pem' | 'text' | 'unknown'

export interface DataDescription {
  kind: DataKind
  /** A phrase for error lines: "a plain .asb backup (starts with \"Version 3.1\")". */
  description: string
}

/** Bytes worth collecting before calling describeData. */
export const SNIFF_SIZE = 16

function startsWith (head: Buffer, prefix: Buffer | string): boolean {
  const p = typeof prefix === 'string' ? Buffer.from(prefix, 'latin1') : prefix
  return head.length >= p.length && head.subarray(0, p.length).equals(p)
}

function printable (head: Buffer): boolean {
  for (const c of head) {
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue
    if (c < 0x20 || c === 0x7f) return false
  }
  return true
}

/** Hex of the first few bytes, for messages: "8f 2a 00 c1". */
export function hexHead (head: Buffer, n = 8): string {
  return [...head.subarray(0, n)].map((b) => b.toString(16).padStart(2, '0')).join(' ')
}

/** Describe a stream from (up to SNIFF_SIZE of) its first bytes. */
export function describeData (head: Buffer): DataDescription {
  if (head.length === 0) return { kind: 'empty', description: 'empty input' }
  if (startsWith(head, ZSTD_MAGIC)) return { kind: 'zstd', description: 'zstd-compressed data (magic 28 b5 2f fd)' }
  if (head.length >= 4 && ((head.readUInt32LE(0) & ZSTD_SKIPPABLE_MASK) >>> 0) === ZSTD_SKIPPABLE_MIN) {
    return { kind: 'zstd', description: 'zstd data starting with a skippable frame' }
  }
  if (startsWith(head, AEAD_MAGIC)) {
    return { kind: 'aead', description: 'an as-encrypt authenticated file (magic "ASBAEAD")' }
  }
  if (startsWith(head, 'Version ')) {
    const line = head.toString('latin1').split('\n')[0]!.slice(0, 16)
    return { kind: 'asb', description: `a plain .asb backup (starts with "${line}")` }
  }
  if (startsWith(head, '-----BEGIN')) return { kind: 'pem', description: 'a PEM file (starts with "-----BEGIN")' }
  if (startsWith(head, '{"') || startsWith(head, '{ ')) return { kind: 'ndjson', description: 'NDJSON text (starts with "{")' }
  if (startsWith(head, Buffer.from([0x1f, 0x8b]))) return { kind: 'gzip', description: 'gzip data (magic 1f 8b), not zstd' }
  if (startsWith(head, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return { kind: 'xz', description: 'xz data' }
  if (startsWith(head, 'BZh')) return { kind: 'bzip2', description: 'bzip2 data' }
  if (startsWith(head, Buffer.from([0x04, 0x22, 0x4d, 0x18]))) return { kind: 'lz4', description: 'lz4 data' }
  if (printable(head)) {
    const text = head.toString('latin1').split('\n')[0]!.slice(0, 16)
    return { kind: 'text', description: `text (starts with "${text}")` }
  }
  return {
    kind: 'unknown',
    description: `binary data with no known header (first bytes ${hexHead(head)}), ` +
      'which is what asbackup AES-CTR encrypted files look like'
  }
}
