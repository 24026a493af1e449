// Streaming .asb decoder (asb-format.md §1): bytes in, Tokens out.
//
// The grammar and every error mirror the C reader (aerospike-tools-backup
// 4.5.8 src/dec_text.c, restore.c:open_file), including its quirks: global
// lines anywhere after the meta lines, NUL ending a token, escapes honoured
// inside numbers, an empty number reading as 0, token limits of 999 bytes
// (namespace 31, set 63).
//
//   chunk -> [pending chunks] -> working buffer -> parse one unit -> commit
//
// A unit is the version line, a meta line, a global line, a record header
// (`+ k` .. `+ b`) or one bin line. A unit is parsed from a contiguous buffer;
// when the data ends inside it the parser throws the NEED sentinel, remembers
// how many bytes it needs at least (a length-prefixed value tells exactly),
// and the unit is parsed again once that much has arrived. So memory holds at
// most one unit plus one chunk, and feeding 1 byte at a time stays linear for
// large values.
import type { Transform } from 'node:stream'
import { pushTransform } from '../push-transform.js'
import { ParseError } from '../errors.js'
import type { Position } from '../errors.js'
import { Particle } from '../types.js'
import type { Bin, Header, IndexPathType, IndexType, Key, Name, Record, SIndex, Token, Udf } from '../types.js'
import { b64DecodeAt, b64Digest } from './base64.js'
import {
  BIN_LABELS, BYTES_LABEL_TO_TYPE, DEFAULT_MAX_VALUE_SIZE, INDEX_PATH_TYPES, INDEX_TYPES, LDT_MESSAGE,
  MAX_META_LINE, MAX_NAMESPACE_SIZE, MAX_SET_SIZE, MAX_SIZE_FIELD, MAX_TOKEN_SIZE, SUPPORTED_VERSIONS,
  UINT32_MAX
} from './constants.js'
import { doubleTextErrorIndex, strtodChecked } from './double.js'
import { NameCache } from './name-cache.js'
import { INT64_MAX, INT64_MIN, int64FromDigits } from './int64.js'

export interface AsbDecoderOptions {
  /** Name used in error positions (e.g. the input path, or 'stdin'). */
  file?: string
  /** Largest length-prefixed value accepted, in bytes (default 256 MiB). */
  maxValueSize?: number
  /**
   * Start mid-stream, at the start of a record or global line of a stream
   * whose version line said `version` (lib/convert splits a stream at record
   * starts). No header is expected or emitted.
   */
  resume?: { version: string }
  /** Absolute offset of the first byte fed (default 0). */
  offset?: number
  /** Line number of the first byte fed (default 1). */
  line?: number
}

const LF = 10
const SP = 32
const BSL = 92
const PLUS = 43
const STAR = 42
const HASH = 35
const MINUS = 45

const S_VERSION = 0
const S_META = 1
const S_BODY = 2
const S_BINS = 3

/** Thrown (never escapes) when a unit is cut by the end of the buffered data. */
const NEED = { need: true }
const EMPTY = Buffer.alloc(0)
/** Initial size of the reused buffer that joins an unfinished unit with the next chunks. */
const WORK_BUFFER_SIZE = 256 * 1024
const SHRINK_ABOVE = 8 * 1024 * 1024
const VERSION_PREFIX = Buffer.from('Version ', 'latin1')
const FIRST_FILE = Buffer.from('first-file', 'latin1')
const NAMESPACE = Buffer.from('namespace', 'latin1')
/** Small non-negative integers are frequent bin values; their bigints are shared (immutable). */
const SMALL_INTS = 1024
const SMALL_BIGINTS: bigint[] = Array.from({ length: SMALL_INTS }, (_, i) => BigInt(i))

/** Bin label byte -> the particle type for bytes-like labels, 2 for other value labels, 1 for N and U, 0 = invalid. */
const LABELS = new Uint8Array(256)
for (const ch of BIN_LABELS) LABELS[ch.charCodeAt(0)] = BYTES_LABEL_TO_TYPE[ch] ?? (ch === 'N' || ch === 'U' ? 1 : 2)

/** Node's latin1Slice skips the argument handling of toString() (bench/asb/codec.bench.ts). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Buffer, s: number, e: number) => string }).latin1Slice

function latin1 (buf: Buffer, s: number, e: number): string {
  return latin1Slice.call(buf, s, e)
}

/** print_char() of utils.c: `"x"` for printable ASCII, `\xHH` otherwise. */
export function printChar (ch: number): string {
  return ch >= 32 && ch <= 126 ? `"${String.fromCharCode(ch)}"` : '\\x' + ch.toString(16).padStart(2, '0')
}

export class AsbDecoder {
  readonly file: string | undefined
  readonly #maxValue: number
  readonly #names = new NameCache()
  readonly #scratch = Buffer.allocUnsafe(MAX_META_LINE + 1)

  #chunks: Buffer[] = []
  #work: Buffer = EMPTY
  #pending = 0
  #buf: Buffer = EMPTY
  /** Commit point in #buf: everything before it has been turned into tokens. */
  #pos = 0
  /** Absolute offset of #buf[0]. */
  #base = 0
  /** Absolute offset that must be buffered before parsing is worth retrying. */
  #want = 0
  /** Line number and absolute offset of the line start at the commit point. */
  #line = 1
  #lineStart = 0
  /** LFs consumed by the unit being parsed, and the buffer index of the last one. */
  #uLf = 0
  #uLast = 0

  #state = S_VERSION
  #legacy = false
  #version = ''
  #namespace: Name | null = null
  #firstFile = false
  #ended = false

  #rec: Record | null = null
  #binsLeft = 0
  #bin: Bin | null = null
  #global: SIndex | Udf | null = null

  // Result of the last token / number read: bytes #tokSrc[#tokS..#tokE).
  #tokSrc: Buffer = EMPTY
  #tokS = 0
  #tokE = 0

  constructor (opts: AsbDecoderOptions = {}) {
    this.file = opts.file
    this.#maxValue = opts.maxValueSize ?? DEFAULT_MAX_VALUE_SIZE
    this.#base = this.#lineStart = opts.offset ?? 0
    this.#line = opts.line ?? 1
    if (opts.resume !== undefined) {
      this.#state = S_BODY
      this.#version = opts.resume.version
      this.#legacy = this.#version === '3.0'
    }
  }

  /** The version line's version ('' until it is read). */
  get version (): string { return this.#version }

  /** Line number at the end of what has been turned into tokens. */
  get line (): number { return this.#line }

  /**
   * True when everything fed so far has been turned into tokens and the next
   * byte would start a record or global line (not inside a header or record).
   */
  get atBoundary (): boolean {
    return this.#state === S_BODY && this.#pending === 0 && this.#pos === this.#buf.length
  }

  /** Absolute number of bytes turned into tokens so far. */
  get offset (): number { return this.#base + this.#pos }

  /** Feeds a chunk; calls onToken for every complete token it finishes. Throws ParseError on bad input. */
  write (chunk: Buffer, onToken: (t: Token) => void): void {
    if (this.#ended) throw new Error('AsbDecoder: write after end')
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#pending += chunk.length
    if (this.#base + this.#buf.length + this.#pending < this.#want) return
    this.#merge()
    this.#run(onToken)
  }

  /** Signals the end of input: emits what is left, or throws if the input stops inside a block. */
  end (onToken: (t: Token) => void): void {
    if (this.#ended) return
    this.#merge()
    this.#run(onToken)
    this.#ended = true
    const buf = this.#buf
    if (this.#state === S_VERSION) {
      this.#fail(buf.length === 0 ? 'Error while reading version from backup file: the input is empty' : 'Unexpected end of file in version line', buf.length)
    }
    if (this.#state === S_META) {
      if (this.#pos < buf.length) this.#fail('Unexpected end of file in meta data line', buf.length)
      this.#emitHeader(onToken)
      return
    }
    if (this.#state === S_BINS || this.#pos < buf.length) {
      this.#fail('Unexpected end of file in backup block', buf.length)
    }
  }

  #merge (): void {
    const chunks = this.#chunks
    if (chunks.length === 0) return
    const rest = this.#buf.length - this.#pos
    const total = rest + this.#pending
    this.#base += this.#pos
    if (rest === 0 && chunks.length === 1) {
      this.#buf = chunks[0]!
    } else {
      // Stitch the unfinished unit and the new chunks in a reused work buffer:
      // Buffer.concat allocates fresh (page-faulting) memory for every chunk,
      // which cost ~17% of decode time (bench/asb/codec.bench.ts). Tokens never
      // alias the work buffer: every value is copied out.
      let work = this.#work
      if (work.length > SHRINK_ABOVE && total <= WORK_BUFFER_SIZE) work = EMPTY // a huge value has passed: give the memory back
      if (work.length < total) {
        work = Buffer.allocUnsafeSlow(Math.max(total, 2 * work.length, WORK_BUFFER_SIZE))
      }
      if (rest > 0) {
        if (this.#buf === work || this.#buf.buffer === work.buffer) work.copyWithin(0, this.#buf.byteOffset - work.byteOffset + this.#pos, this.#buf.byteOffset - work.byteOffset + this.#buf.length)
        else this.#buf.copy(work, 0, this.#pos)
      }
      let o = rest
      for (const c of chunks) { c.copy(work, o); o += c.length }
      this.#work = work
      this.#buf = work.subarray(0, total)
    }
    this.#pos = 0
    this.#chunks = []
    this.#pending = 0
  }

  #run (onToken: (t: Token) => void): void {
    const buf = this.#buf
    const end = buf.length
    try {
      while (this.#pos < end) {
        const p = this.#pos
        this.#uLf = 0
        switch (this.#state) {
          case S_BINS: {
            // All complete bin lines of the record in one go.
            const rec = this.#rec!
            const bins = rec.bins
            let left = this.#binsLeft
            let q = p
            do {
              this.#uLf = 0
              this.#binIdx = bins.length
              q = this.#parseBin(buf, q)
              this.#commit(q)
              bins.push(this.#bin!)
              this.#binsLeft = --left
            } while (left > 0 && q < end)
            if (left === 0) {
              this.#rec = null
              this.#state = S_BODY
              onToken(rec)
            }
            break
          }
          case S_BODY: {
            const c = buf[p]
            if (c === PLUS) {
              const e = this.#parseRecordHead(buf, p)
              this.#commit(e)
              if (this.#binsLeft === 0) {
                const rec = this.#rec!
                this.#rec = null
                onToken(rec)
              } else {
                this.#state = S_BINS
              }
            } else if (c === STAR && !this.#legacy) {
              const e = this.#parseGlobal(buf, p)
              this.#commit(e)
              const g = this.#global!
              this.#global = null
              onToken(g)
            } else {
              this.#fail(`Invalid start character ${printChar(c!)} in block`, p)
            }
            break
          }
          case S_META: {
            if (buf[p] === HASH) {
              this.#commit(this.#parseMeta(buf, p))
            } else {
              this.#state = S_BODY
              this.#emitHeader(onToken)
            }
            break
          }
          default: {
            this.#commit(this.#parseVersion(buf, p))
            this.#state = S_META
          }
        }
      }
      this.#want = this.#base + end + 1
    } catch (err) {
      if (err !== NEED) throw err
    }
  }

  #commit (e: number): void {
    this.#pos = e
    if (this.#uLf > 0) {
      this.#line += this.#uLf
      this.#lineStart = this.#base + this.#uLast + 1
    }
  }

  #emitHeader (onToken: (t: Token) => void): void {
    const h: Header = { kind: 'header', version: this.#version, namespace: this.#namespace, firstFile: this.#firstFile }
    onToken(h)
  }

  // ---- positions and errors ----------------------------------------------

  /** Position of buffer index i (line and column counted like the C reader: 1-based, bytes). */
  #position (i: number): Position {
    const buf = this.#buf
    let line = this.#line
    let ls = this.#lineStart - this.#base
    const stop = Math.min(i, buf.length)
    for (let k = this.#pos; k < stop; k++) {
      if (buf[k] === LF) { line++; ls = k + 1 }
    }
    const pos: Position = { line, column: i - ls + 1, offset: this.#base + i }
    if (this.file !== undefined) pos.file = this.file
    return pos
  }

  #fail (reason: string, i: number): never {
    throw new ParseError(reason, this.#position(i))
  }

  #need (i: number): never {
    this.#want = this.#base + i
    throw NEED
  }

  // ---- low-level readers: each returns the index after what it consumed ----

  #expect (buf: Buffer, i: number, ch: number): number {
    if (i >= buf.length) this.#need(i + 1)
    const c = buf[i]!
    if (c !== ch) this.#fail(`Unexpected character ${printChar(c)} in backup block, expected ${printChar(ch)}`, i)
    if (c === LF) { this.#uLf++; this.#uLast = i }
    return i + 1
  }

  #read (buf: Buffer, i: number): number {
    if (i >= buf.length) this.#need(i + 1)
    return buf[i]!
  }

  /**
   * Reads a token up to an unescaped delimiter (SP if stopSp, LF if stopNl,
   * and always NUL), which is not consumed. The bytes (unescaped) are left in
   * #tokSrc[#tokS..#tokE). `limit` is the buffer size of the C reader.
   */
  #token (buf: Buffer, i: number, stopSp: boolean, stopNl: boolean, limit: number, unesc: boolean): number {
    const end = buf.length
    const max = i + limit - 1
    for (let k = i; k < end; k++) {
      const c = buf[k]!
      if ((c === SP && stopSp) || (c === LF && stopNl) || c === 0) {
        this.#tokSrc = buf
        this.#tokS = i
        this.#tokE = k
        return k
      }
      if (c === BSL && unesc) return this.#tokenEscaped(buf, i, stopSp, stopNl, limit)
      if (k === max) this.#fail('Buffer overflow while reading token in backup block', k)
    }
    return this.#need(end + 1)
  }

  #tokenEscaped (buf: Buffer, i: number, stopSp: boolean, stopNl: boolean, limit: number): number {
    const out = this.#scratch
    let len = 0
    let esc = false
    for (let k = i; k < buf.length; k++) {
      const c = buf[k]!
      if (c === BSL && !esc) { esc = true; continue }
      if (!esc && ((c === SP && stopSp) || (c === LF && stopNl) || c === 0)) {
        this.#tokSrc = out
        this.#tokS = 0
        this.#tokE = len
        return k
      }
      esc = false
      if (len === limit - 1) this.#fail('Buffer overflow while reading token in backup block', k)
      out[len++] = c
    }
    return this.#need(buf.length + 1)
  }

  /**
   * A bin name (delimiters SP and LF): the common unescaped case in one pass
   * that also hashes the bytes for the name cache. Returns the delimiter index.
   */
  #binName (buf: Buffer, i: number): number {
    // Records of one set usually repeat their bin names in the same order:
    // first try the name at this bin index of the previous record.
    const idx = this.#binIdx
    const prev = this.#prevBytes[idx]
    if (prev !== undefined) {
      const n = prev.length
      const d = i + n
      if (d < buf.length) {
        const c = buf[d]
        if (c === SP || c === LF) {
          let k = 0
          while (k < n && buf[i + k] === prev[k]) k++
          if (k === n) { this.#nameVal = this.#prevNames[idx]!; return d }
        }
      }
    }
    const r = this.#binNameSlow(buf, i)
    const v = this.#nameVal
    if (typeof v === 'string' && idx < 256 && this.#tokSrc === buf) {
      this.#prevBytes[idx] = Buffer.from(buf.subarray(i, r))
      this.#prevNames[idx] = v
    }
    return r
  }

  /**
   * `+ n` / `+ s` names (up to LF): the same as the previous record's in the
   * common case, checked by comparing bytes; else read as a token.
   */
  #lineName (buf: Buffer, i: number, limit: number, slot: number): number {
    const prev = this.#lineBytes[slot]
    if (prev !== undefined) {
      const n = prev.length
      const d = i + n
      if (d < buf.length && buf[d] === LF) {
        let k = 0
        while (k < n && buf[i + k] === prev[k]) k++
        if (k === n) { this.#nameVal = this.#lineNames[slot]!; return d }
      }
    }
    const r = this.#token(buf, i, false, true, limit, !this.#legacy)
    const v = this.#name()
    this.#nameVal = v
    if (typeof v === 'string' && this.#tokSrc === buf) {
      this.#lineBytes[slot] = Buffer.from(buf.subarray(i, r))
      this.#lineNames[slot] = v
    }
    return r
  }

  readonly #lineBytes: Array<Buffer | undefined> = [undefined, undefined]
  readonly #lineNames: Name[] = ['', '']

  #binIdx = 0
  readonly #prevBytes: Array<Buffer | undefined> = []
  readonly #prevNames: Name[] = []

  #binNameSlow (buf: Buffer, i: number): number {
    const end = buf.length
    const max = i + MAX_TOKEN_SIZE - 1
    let h = 0
    for (let k = i; k < end; k++) {
      const c = buf[k]!
      if (c === SP || c === LF || c === 0) {
        this.#nameVal = this.#names.lookup(buf, i, k, h)
        this.#tokSrc = buf
        return k
      }
      if (c === BSL && !this.#legacy) {
        k = this.#tokenEscaped(buf, i, true, true, MAX_TOKEN_SIZE)
        this.#nameVal = this.#name()
        return k
      }
      if (k === max) this.#fail('Buffer overflow while reading token in backup block', k)
      h = (Math.imul(h, 31) + c) | 0
    }
    return this.#need(end + 1)
  }

  #nameVal: Name = ''

  /**
   * An int64 bin/key value up to LF in one pass (digits, optional '-'), the
   * common case; anything unusual (escapes, 16+ digits, errors) goes through
   * #digits/#int64. Returns the delimiter index; the value is in #intVal.
   */
  #intValue (buf: Buffer, i: number): number {
    const end = buf.length
    let k = i
    let neg = false
    if (k < end && buf[k] === MINUS) { neg = true; k++ }
    let v = 0
    const stop = k + 15
    for (; k < end && k < stop; k++) {
      const c = buf[k]!
      if (c >= 48 && c <= 57) { v = v * 10 + c - 48; continue }
      if (c === LF) {
        this.#intVal = !neg && v < SMALL_INTS ? SMALL_BIGINTS[v]! : BigInt(neg ? -v : v)
        return k
      }
      break
    }
    const d = this.#digits(buf, i, true, false)
    this.#intVal = this.#int64(i)
    return d
  }

  #intVal = 0n

  /** The last token as a Name. */
  #name (): Name {
    return this.#names.get(this.#tokSrc, this.#tokS, this.#tokE)
  }

  /**
   * Reads digits (and a leading '-' when neg) up to an unescaped delimiter
   * (LF, or SP when stopSp; NUL always). Bytes in #tokSrc[#tokS..#tokE).
   */
  #digits (buf: Buffer, i: number, neg: boolean, stopSp: boolean): number {
    const end = buf.length
    const max = i + MAX_TOKEN_SIZE - 1
    for (let k = i; k < end; k++) {
      const c = buf[k]!
      if (c >= 48 && c <= 57) {
        if (k === max) this.#fail('Buffer overflow while reading token in backup block', k)
        continue
      }
      if ((c === SP && stopSp) || (c === LF && !stopSp) || c === 0) {
        this.#tokSrc = buf
        this.#tokS = i
        this.#tokE = k
        return k
      }
      if (c === BSL && !this.#legacy) return this.#digitsEscaped(buf, i, neg, stopSp)
      if (k === max) this.#fail('Buffer overflow while reading token in backup block', k)
      if (!(neg && k === i && c === MINUS)) {
        this.#fail(`Invalid character ${printChar(c)} in backup block, expected digit`, k)
      }
    }
    return this.#need(end + 1)
  }

  #digitsEscaped (buf: Buffer, i: number, neg: boolean, stopSp: boolean): number {
    const out = this.#scratch
    let len = 0
    let esc = false
    for (let k = i; k < buf.length; k++) {
      const c = buf[k]!
      if (c === BSL && !esc) { esc = true; continue }
      if (!esc && ((c === SP && stopSp) || (c === LF && !stopSp) || c === 0)) {
        this.#tokSrc = out
        this.#tokS = 0
        this.#tokE = len
        return k
      }
      esc = false
      if (len === MAX_TOKEN_SIZE - 1) this.#fail('Buffer overflow while reading token in backup block', k)
      if ((c < 48 || c > 57) && !(neg && len === 0 && c === MINUS)) {
        this.#fail(`Invalid character ${printChar(c)} in backup block, expected digit`, k)
      }
      out[len++] = c
    }
    return this.#need(buf.length + 1)
  }

  /** The last digit token as an int64 (C text_read_integer); `at` = index for errors. */
  #int64 (at: number): bigint {
    const src = this.#tokSrc
    let s = this.#tokS
    const e = this.#tokE
    const neg = s < e && src[s] === MINUS
    if (neg) s++
    if (e - s <= 15) {
      let v = 0
      for (let k = s; k < e; k++) v = v * 10 + src[k]! - 48
      return BigInt(neg ? -v : v)
    }
    const v = int64FromDigits(src, s, e, neg)
    if (v !== undefined) return v
    // 20+ digits: leading zeros, or an overflow
    const big = BigInt(latin1(src, s, e))
    if (neg ? -big < INT64_MIN : big > INT64_MAX) {
      this.#fail(`Integer overflow with number ${latin1(src, this.#tokS, e)} in backup block`, at)
    }
    return neg ? -big : big
  }

  /** The last digit token as a number within [min, max], else `${what} <value>` error at `at`. */
  #ranged (at: number, min: number, max: number, what: string): number {
    const src = this.#tokSrc
    const s = this.#tokS
    const e = this.#tokE
    if (e - s <= 15) {
      const neg = s < e && src[s] === MINUS
      let v = 0
      for (let k = neg ? s + 1 : s; k < e; k++) v = v * 10 + src[k]! - 48
      if (neg) v = -v
      if (v >= min && v <= max) return v === 0 ? 0 : v
      this.#fail(`${what} ${v}`, at)
    }
    const big = this.#int64(at)
    return this.#fail(`${what} ${big}`, at)
  }

  /** C text_read_size: digits delimited by SP, at most 1024^5; then our value limit. */
  #size (buf: Buffer, i: number, limit: number): number {
    // Fast path: up to 15 plain digits then SP, in one pass.
    const end = buf.length
    let fv = 0
    for (let k = i; k < end && k < i + 16; k++) {
      const c = buf[k]!
      if (c >= 48 && c <= 57) { fv = fv * 10 + c - 48; continue }
      if (c === SP && k < i + 16) {
        if (fv > limit) break
        this.#sizeVal = fv
        return k
      }
      break
    }
    const d = this.#digits(buf, i, false, true)
    const src = this.#tokSrc
    let v = 0
    for (let k = this.#tokS; k < this.#tokE; k++) {
      v = v * 10 + src[k]! - 48
      if (v > MAX_SIZE_FIELD) this.#fail(`Size overflow with number ${latin1(src, this.#tokS, this.#tokE)} in backup block`, i)
    }
    if (v > limit) this.#fail(`Size ${v} exceeds the limit of ${limit} bytes`, i)
    this.#sizeVal = v
    return d
  }

  #sizeVal = 0

  /**
   * `<len> SP <len raw bytes>`: returns the index after the data; a copy of
   * the data is left in #raw (values never alias the input chunks).
   */
  #rawData (buf: Buffer, i: number): number {
    i = this.#size(buf, i, this.#maxValue)
    i = this.#expect(buf, i, SP)
    const len = this.#sizeVal
    const e = i + len
    if (e >= buf.length) this.#need(e + 1) // the data and the LF after it
    const out = Buffer.allocUnsafe(len)
    // The C reader counts every LF, also inside raw data, for line numbers.
    // Short values: one loop copies and counts (Buffer#copy costs ~200 ns a
    // call); long ones: native copy and indexOf, bounded by the LF that must
    // follow the data (bench/asb/codec.bench.ts).
    if (len <= 128) {
      let lf = 0
      let last = 0
      for (let k = 0; k < len; k++) {
        const c = buf[i + k]!
        out[k] = c
        if (c === LF) { lf++; last = i + k }
      }
      if (lf > 0) { this.#uLf += lf; this.#uLast = last }
    } else {
      buf.copy(out, 0, i, e)
      let k = buf.indexOf(LF, i)
      while (k !== -1 && k < e) {
        this.#uLf++
        this.#uLast = k
        k = buf.indexOf(LF, k + 1)
      }
    }
    this.#raw = out
    return e
  }

  #raw: Buffer = EMPTY

  /** `<b64len> SP <base64>`: returns the index after the text; decoded bytes in #b64. */
  #b64Data (buf: Buffer, i: number): number {
    const at = i
    i = this.#size(buf, i, Math.ceil(this.#maxValue / 3) * 4)
    const len = this.#sizeVal
    if ((len & 3) !== 0) this.#fail(`Invalid encoded data size ${len}`, at)
    i = this.#expect(buf, i, SP)
    const e = i + len
    if (e >= buf.length) this.#need(e + 1)
    const out = b64DecodeAt(buf, i, len)
    if (typeof out === 'number') {
      const bad = -out - 1
      this.#fail(`Invalid base-64 character ${printChar(buf[bad]!)}`, bad)
    }
    this.#b64 = out
    return e
  }

  #b64: Buffer = EMPTY

  // ---- units ------------------------------------------------------------

  #parseVersion (buf: Buffer, p: number): number {
    for (let k = 0; k < 8; k++) {
      const c = this.#read(buf, p + k)
      if (c !== VERSION_PREFIX[k]) this.#fail('Invalid version line in backup file, expected "Version 3.1"', p + k)
    }
    for (let k = 8; k < 11; k++) {
      const c = this.#read(buf, p + k)
      if (c === LF) this.#fail('Invalid version line in backup file, expected "Version 3.1"', p + k)
    }
    if (this.#read(buf, p + 11) !== LF) this.#fail('Invalid version line in backup file, expected "Version 3.1"', p + 11)
    const version = latin1(buf, p + 8, p + 11)
    if (!SUPPORTED_VERSIONS.has(version)) this.#fail(`Invalid backup file version ${version}`, p + 8)
    this.#version = version
    this.#legacy = version === '3.0'
    this.#uLf = 1
    this.#uLast = p + 11
    return p + 12
  }

  #matchWord (buf: Buffer, i: number, word: Buffer): boolean {
    for (let k = 0; k < word.length; k++) {
      if (this.#read(buf, i + k) !== word[k]) return false
    }
    return true
  }

  #parseMeta (buf: Buffer, p: number): number {
    let i = p + 1
    if (this.#read(buf, i) !== SP) this.#fail('Invalid meta data line', i)
    i++
    if (this.#matchWord(buf, i, FIRST_FILE)) {
      i += FIRST_FILE.length
      if (this.#read(buf, i) !== LF) this.#fail('Invalid meta data line', i)
      this.#firstFile = true
      this.#uLf = 1
      this.#uLast = i
      return i + 1
    }
    if (this.#matchWord(buf, i, NAMESPACE)) {
      i += NAMESPACE.length
      if (this.#read(buf, i) !== SP) this.#fail('Invalid meta data line', i)
      i = this.#token(buf, i + 1, false, true, MAX_META_LINE - 11, !this.#legacy)
      this.#namespace = this.#name()
      return this.#expect(buf, i, LF)
    }
    return this.#fail('Invalid meta data line', i)
  }

  #parseRecordHead (buf: Buffer, p: number): number {
    let i = this.#expect(buf, p + 1, SP)
    let key: Key | null = null
    let c = this.#read(buf, i)
    if (c === 107 /* k */) {
      i = this.#expect(buf, i + 1, SP)
      i = this.#parseKey(buf, i)
      key = this.#key
      i = this.#nextHeadLine(buf, i)
      c = this.#read(buf, i)
    }
    if (c !== 110 /* n */) this.#unexpectedField(c, key === null ? 107 : 110, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#lineName(buf, i, MAX_NAMESPACE_SIZE, 0)
    const namespace = this.#nameVal
    i = this.#nextHeadLine(buf, i)
    c = this.#read(buf, i)
    if (c !== 100 /* d */) this.#unexpectedField(c, 100, i)
    i = this.#expect(buf, i + 1, SP)
    // The digest: 28 base64 characters, decoded as exactly 20 bytes.
    if (i + 28 >= buf.length) this.#need(i + 29)
    const digest = b64Digest(buf, i)
    if (typeof digest === 'number') this.#fail(`Invalid base-64 character ${printChar(buf[-digest - 1]!)}`, -digest - 1)
    i = this.#nextHeadLine(buf, i + 28)
    c = this.#read(buf, i)
    let set: Name | null = null
    if (c === 115 /* s */) {
      i = this.#expect(buf, i + 1, SP)
      i = this.#lineName(buf, i, MAX_SET_SIZE, 1)
      set = this.#nameVal
      i = this.#nextHeadLine(buf, i)
      c = this.#read(buf, i)
    }
    if (c !== 103 /* g */) this.#unexpectedField(c, set === null ? 115 : 103, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#headInt(buf, i, 65535, 'Invalid generation count')
    const generation = this.#intNum
    i = this.#nextHeadLine(buf, i)
    c = this.#read(buf, i)
    if (c !== 116 /* t */) this.#unexpectedField(c, 116, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#headInt(buf, i, UINT32_MAX, 'Invalid expiration time')
    const voidTime = this.#intNum
    i = this.#nextHeadLine(buf, i)
    c = this.#read(buf, i)
    if (c !== 98 /* b */) this.#unexpectedField(c, 98, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#headInt(buf, i, 65535, 'Invalid bin count')
    const nBins = this.#intNum
    i = this.#expect(buf, i, LF)
    this.#binsLeft = nBins
    this.#rec = { kind: 'record', namespace, set, key, digest, generation, voidTime, bins: [] }
    return i
  }

  /** LF, then `+ ` of the next record line (checked in one go when all there). */
  #nextHeadLine (buf: Buffer, i: number): number {
    if (i + 2 < buf.length && buf[i] === LF && buf[i + 1] === PLUS && buf[i + 2] === SP) {
      this.#uLf++
      this.#uLast = i
      return i + 3
    }
    i = this.#expect(buf, i, LF)
    i = this.#expect(buf, i, PLUS)
    return this.#expect(buf, i, SP)
  }

  /**
   * A record header number up to LF within [0, max]: plain digits in one pass,
   * anything else (sign, escapes, errors) through #digits/#ranged. Value in #intNum.
   */
  #headInt (buf: Buffer, i: number, max: number, what: string): number {
    const end = buf.length
    let v = 0
    for (let k = i; k < end && k < i + 11; k++) {
      const c = buf[k]!
      if (c >= 48 && c <= 57) { v = v * 10 + c - 48; continue }
      if (c === LF && v <= max) { this.#intNum = v; return k }
      break
    }
    const d = this.#digits(buf, i, true, false)
    this.#intNum = this.#ranged(i, 0, max, what)
    return d
  }

  #intNum = 0

  #unexpectedField (c: number, expected: number, i: number): never {
    return this.#fail(`Unexpected character ${printChar(c)} in backup block, expected ${printChar(expected)}`, i)
  }

  #key: Key | null = null

  #parseKey (buf: Buffer, i: number): number {
    const c = this.#read(buf, i)
    switch (c) {
      case 73: { // I
        i = this.#expect(buf, i + 1, SP)
        const at = i
        i = this.#digits(buf, i, true, false)
        this.#key = { type: Particle.INTEGER, value: this.#int64(at) }
        return i
      }
      case 68: { // D
        i = this.#expect(buf, i + 1, SP)
        i = this.#double(buf, i)
        this.#key = { type: Particle.DOUBLE, value: this.#dbl }
        return i
      }
      case 83: { // S
        i = this.#expect(buf, i + 1, SP)
        i = this.#rawData(buf, i)
        this.#key = { type: Particle.STRING, value: this.#raw }
        return i
      }
      case 88: { // X: base64 string key, read-only
        i = this.#expect(buf, i + 1, SP)
        i = this.#b64Data(buf, i)
        this.#key = { type: Particle.STRING, value: this.#b64 }
        return i
      }
      case 66: { // B, B!
        i++
        const compact = this.#read(buf, i) === 33
        if (compact) i++
        i = this.#expect(buf, i, SP)
        if (compact) {
          i = this.#rawData(buf, i)
          this.#key = { type: Particle.BLOB, value: this.#raw }
        } else {
          i = this.#b64Data(buf, i)
          this.#key = { type: Particle.BLOB, value: this.#b64 }
        }
        return i
      }
      default:
        return this.#fail(`Invalid key type character ${printChar(c)} in block`, i)
    }
  }

  #dbl = 0

  /**
   * C text_read_double. Fast path: only `0-9 . e + -` up to LF, and Number()
   * accepts it (over that alphabet Number's grammar accepts exactly what the C
   * check plus strtod accept, "" = 0 included). Everything else, and every
   * error, goes through the careful path.
   */
  #double (buf: Buffer, i: number): number {
    const end = buf.length
    for (let k = i; k < end && k < i + 64; k++) {
      const c = buf[k]!
      if ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 45 || c === 43) continue
      if (c === LF) {
        const v = +latin1(buf, i, k)
        if (v === v) { this.#dbl = v; return k }
      }
      break
    }
    return this.#doubleCareful(buf, i)
  }

  #doubleCareful (buf: Buffer, i: number): number {
    const e = this.#token(buf, i, false, true, MAX_TOKEN_SIZE, !this.#legacy)
    const text = latin1(this.#tokSrc, this.#tokS, this.#tokE)
    const bad = doubleTextErrorIndex(text)
    if (bad !== -1) {
      this.#fail(`Invalid character ${printChar(text.charCodeAt(bad))} in backup block, expected floating point notation`,
        this.#tokSrc === buf ? i + bad : i)
    }
    const v = strtodChecked(text)
    if (v === undefined) this.#fail(`Invalid floating-point value ${text} in backup block`, i)
    this.#dbl = v
    return e
  }

  #parseBin (buf: Buffer, p: number): number {
    let i: number
    let label: number
    let compact = false
    if (p + 4 < buf.length && buf[p] === MINUS && buf[p + 1] === SP && buf[p + 3] === SP && LABELS[buf[p + 2]!]! > 1) {
      // fast path: "- <bytes-or-value label> " (N, U and `!` forms take the careful path)
      label = buf[p + 2]!
      i = p + 4
    } else {
      i = this.#expect(buf, p, MINUS)
      i = this.#expect(buf, i, SP)
      label = this.#read(buf, i)
      if (LABELS[label] === 0) {
        this.#fail(`Invalid bytes label ${printChar(label)}`, i)
      }
      if (label === 85 /* U */) this.#fail(LDT_MESSAGE, i)
      i++
      compact = this.#read(buf, i) === 33 /* ! */
      if (compact) i++
      i = this.#expect(buf, i, SP)
    }
    i = this.#binName(buf, i)
    const name = this.#nameVal
    let bin: Bin
    if (label === 78 /* N */) {
      i = this.#expect(buf, i, LF)
      this.#bin = { name, type: Particle.NIL, value: null }
      return i
    }
    i = this.#expect(buf, i, SP)
    switch (label) {
      case 73: // I
        i = this.#intValue(buf, i)
        bin = { name, type: Particle.INTEGER, value: this.#intVal }
        break
      case 68: // D
        i = this.#double(buf, i)
        bin = { name, type: Particle.DOUBLE, value: this.#dbl }
        break
      case 83: // S
        i = this.#rawData(buf, i)
        bin = { name, type: Particle.STRING, value: this.#raw }
        break
      case 71: // G
        i = this.#rawData(buf, i)
        bin = { name, type: Particle.GEOJSON, value: this.#raw }
        break
      case 88: // X: base64 string, read-only
        i = this.#b64Data(buf, i)
        bin = { name, type: Particle.STRING, value: this.#b64 }
        break
      case 90: { // Z
        const c = this.#read(buf, i)
        if (c !== 84 && c !== 70) this.#fail(`Invalid boolean character ${printChar(c)} in backup block, expected "T" or "F"`, i)
        i++
        bin = { name, type: Particle.BOOL, value: c === 84 }
        break
      }
      default: { // bytes-like
        const type = LABELS[label]!
        let value: Buffer
        if (compact) {
          i = this.#rawData(buf, i)
          value = this.#raw
        } else {
          i = this.#b64Data(buf, i)
          value = this.#b64
        }
        bin = { name, type, value } as Bin
      }
    }
    i = this.#expect(buf, i, LF)
    this.#bin = bin
    return i
  }

  #parseGlobal (buf: Buffer, p: number): number {
    let i = this.#expect(buf, p + 1, SP)
    const t = this.#read(buf, i)
    if (t === 117 /* u */) return this.#parseUdf(buf, i + 1)
    if (t !== 105 /* i */ && t !== 101 /* e */) this.#fail(`Invalid global type character ${printChar(t)} in block`, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#token(buf, i, true, false, MAX_TOKEN_SIZE, true)
    const namespace = this.#name()
    i = this.#expect(buf, i, SP)
    i = this.#token(buf, i, true, false, MAX_TOKEN_SIZE, true)
    const set = this.#tokE === this.#tokS ? null : this.#name()
    i = this.#expect(buf, i, SP)
    i = this.#token(buf, i, true, false, MAX_TOKEN_SIZE, true)
    const name = this.#name()
    i = this.#expect(buf, i, SP)
    const it = this.#read(buf, i)
    if (INDEX_TYPES.indexOf(String.fromCharCode(it)) === -1 || it === 0) {
      this.#fail(`Invalid index type character ${printChar(it)} in block`, i)
    }
    i = this.#expect(buf, i + 1, SP)
    const at = i
    i = this.#size(buf, i, MAX_SIZE_FIELD)
    const nPaths = this.#sizeVal
    if (nPaths === 0) this.#fail('Missing path(s) in index block', at)
    const paths: SIndex['paths'] = []
    for (let k = 0; k < nPaths; k++) {
      i = this.#expect(buf, i, SP)
      i = this.#token(buf, i, true, false, MAX_TOKEN_SIZE, true)
      const path = this.#name()
      i = this.#expect(buf, i, SP)
      const pt = this.#read(buf, i)
      if (INDEX_PATH_TYPES.indexOf(String.fromCharCode(pt)) === -1 || pt === 0) {
        this.#fail(`Invalid path type character ${printChar(pt)} in block`, i)
      }
      i++
      paths.push({ path, type: String.fromCharCode(pt) as IndexPathType })
    }
    let context: Name | null = null
    let expression: string | undefined
    if (this.#read(buf, i) !== LF) {
      i = this.#expect(buf, i, SP)
      if (t === 105) {
        i = this.#token(buf, i, false, true, MAX_TOKEN_SIZE, true)
        context = this.#name()
      } else {
        // backup-go `* e`: [ctx SP] expression
        i = this.#token(buf, i, true, true, MAX_TOKEN_SIZE, true)
        if (buf[i] === SP) {
          context = this.#name()
          i = this.#token(buf, i + 1, false, true, MAX_TOKEN_SIZE, true)
        }
        expression = latin1(this.#tokSrc, this.#tokS, this.#tokE)
      }
    }
    i = this.#expect(buf, i, LF)
    const sindex: SIndex = {
      kind: 'sindex', namespace, set, name, indexType: String.fromCharCode(it) as IndexType, paths, context
    }
    if (t === 101) sindex.expression = expression ?? ''
    this.#global = sindex
    return i
  }

  #parseUdf (buf: Buffer, i: number): number {
    i = this.#expect(buf, i, SP)
    const type = this.#read(buf, i)
    if (type !== 76 /* L */) this.#fail(`Invalid UDF type character ${printChar(type)} in block`, i)
    i = this.#expect(buf, i + 1, SP)
    i = this.#token(buf, i, true, false, MAX_TOKEN_SIZE, true)
    const name = this.#name()
    i = this.#expect(buf, i, SP)
    i = this.#rawData(buf, i)
    const content = this.#raw
    i = this.#expect(buf, i, LF)
    const udf: Udf = { kind: 'udf', type: 'L', name, content }
    this.#global = udf
    return i
  }
}

/** A Transform: .asb bytes in, objectMode Tokens out (lib/push-transform.ts). */
export function createAsbDecoder (opts: AsbDecoderOptions = {}): Transform {
  const decoder = new AsbDecoder(opts)
  return pushTransform<Buffer, Token>({
    write: (chunk, push) => { decoder.write(chunk, push) },
    end: (push) => { decoder.end(push) }
  }, { readableObjectMode: true, writableObjectMode: false, readableHighWaterMark: 256 })
}
