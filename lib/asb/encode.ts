// .asb encoder, byte-identical to asbackup 4.5.8 (src/enc_text.c, backup.c;
// asb-format.md §1): escaping, field order, base64 lengths, compact mode, the
// two spaces of a set-less index, doubles as `%.17g`.
//
//   Token -> AsbEncoder.append() -> reusable output buffer -> take() every ~64 KiB
//
// The hot path writes ASCII straight into one growing Buffer (no per-record
// strings for numbers or prefixes) and caches escaped names, which repeat in
// every record (bench/asb/codec.bench.ts).
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'
import { nameBytes, nameToString } from '../name.js'
import { Particle } from '../types.js'
import type { Bin, Header, Key, Name, Record, SIndex, Token, Udf } from '../types.js'
import { b64EncodeInto, b64Length } from './base64.js'
import {
  BYTES_TYPE_TO_LABEL, ENCODER_CHUNK_SIZE, INDEX_PATH_TYPES, INDEX_TYPES, MAX_NAMESPACE_SIZE, MAX_SET_SIZE,
  MAX_TOKEN_SIZE, UINT32_MAX, VERSION_3_0
} from './constants.js'
import { formatDoubleInto } from './double.js'
import { INT64_MAX, INT64_MIN, int64DigitsInto } from './int64.js'

export interface AsbEncodeOptions {
  /** asbackup `--compact`: bytes-like bins and blob keys as raw bytes (`B!`), not base64. Default false. */
  compact?: boolean
}

const LF = 10
const SP = 32
const BSL = 92
const INITIAL_SIZE = 2 * ENCODER_CHUNK_SIZE
const SLAB_SIZE = 16 * ENCODER_CHUNK_SIZE
const NAME_CACHE_LIMIT = 4096

function ascii (s: string): Buffer { return Buffer.from(s, 'latin1') }

const P_KEY_I = ascii('+ k I ')
const P_KEY_D = ascii('+ k D ')
const P_KEY_S = ascii('+ k S ')
const P_KEY_B = ascii('+ k B ')
const P_KEY_BC = ascii('+ k B! ')
const P_NS = ascii('+ n ')
const P_DIGEST = ascii('+ d ')
const P_SET = ascii('+ s ')
const P_GEN = ascii('+ g ')
const P_TTL = ascii('\n+ t ')
const P_BINS = ascii('\n+ b ')
const P_NIL = ascii('- N ')
const P_BOOL = ascii('- Z ')
const P_INT = ascii('- I ')
const P_DBL = ascii('- D ')
const P_STR = ascii('- S ')
const P_GEO = ascii('- G ')
const P_TRUE = ascii(' T\n')
const P_FALSE = ascii(' F\n')
/** Bytes-like bin prefixes by particle type: `- B ` and `- B! `. */
const P_BYTES: Buffer[] = []
const P_BYTES_C: Buffer[] = []
for (const [type, label] of Object.entries(BYTES_TYPE_TO_LABEL)) {
  P_BYTES[Number(type)] = ascii(`- ${label} `)
  P_BYTES_C[Number(type)] = ascii(`- ${label}! `)
}

/** escape() of utils.h: a backslash before every `\`, SP and LF (byte-wise). */
export function escapeBytes (raw: Buffer): Buffer {
  let n = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === BSL || c === SP || c === LF) n++
  }
  if (n === 0) return raw
  const out = Buffer.allocUnsafe(raw.length + n)
  let o = 0
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c === BSL || c === SP || c === LF) out[o++] = BSL
    out[o++] = c
  }
  return out
}

function invalid (message: string): AsbError {
  return new AsbError(ErrorCode.INVALID, message)
}

export class AsbEncoder {
  readonly #compact: boolean
  #legacy = false
  #buf: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE)
  #o = 0
  readonly #names = new Map<string, Buffer>()
  #lastNs: Name | null = null
  #lastNsBytes: Buffer = Buffer.alloc(0)
  #lastSet: Name | null = null
  #lastSetBytes: Buffer = Buffer.alloc(0)

  constructor (opts: AsbEncodeOptions = {}) {
    this.#compact = opts.compact === true
  }

  /** The .asb bytes of one token (a copy; the encoder's buffer is reused). */
  encode (token: Token): Buffer {
    const start = this.#o
    this.append(token)
    const out = Buffer.from(this.#buf.subarray(start, this.#o))
    this.#o = start
    return out
  }

  /** Appends the bytes of one token to the internal buffer (see `length`, `take()`). */
  append (token: Token): void {
    switch (token.kind) {
      case 'record': this.#record(token); break
      case 'sindex': this.#sindex(token); break
      case 'udf': this.#udf(token); break
      case 'header': this.#header(token); break
      default: throw invalid(`unknown token kind ${String((token as { kind?: unknown }).kind)}`)
    }
  }

  /** Bytes appended and not yet taken. */
  get length (): number { return this.#o }

  /** Hands over the appended bytes; the encoder continues in a fresh buffer. */
  take (): Buffer {
    const o = this.#o
    const out = this.#buf.subarray(0, o)
    // Carve the next window from the same slab while it has room: one
    // ArrayBuffer per ~1 MiB of output instead of one per take() (each new
    // ArrayBuffer adds GC pressure; bench/asb/codec.bench.ts). A taken buffer
    // is never written again.
    const rest = this.#buf.length - o
    this.#buf = rest >= INITIAL_SIZE ? this.#buf.subarray(o) : Buffer.allocUnsafeSlow(SLAB_SIZE)
    this.#o = 0
    return out
  }

  // ---- output primitives --------------------------------------------------

  #ensure (n: number): void {
    if (this.#o + n <= this.#buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#o + n + 1024))
    this.#buf.copy(next, 0, 0, this.#o)
    this.#buf = next
  }

  /** Raw bytes; the caller has ensured room. */
  #put (src: Buffer): void {
    const n = src.length
    const buf = this.#buf
    let o = this.#o
    // Uint8Array#set is a flat ~25 ns; a loop only wins for a few bytes (bench/asb/codec.bench.ts).
    if (n < 16) {
      for (let i = 0; i < n; i++) buf[o++] = src[i]!
    } else {
      buf.set(src, o)
      o += n
    }
    this.#o = o
  }

  #byte (c: number): void {
    this.#buf[this.#o++] = c
  }

  /** ASCII text (numbers); the caller has ensured room. */
  #ascii (s: string): void {
    const buf = this.#buf
    let o = this.#o
    for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i)
    this.#o = o
  }

  /** A non-negative integer below 2^53 in decimal; the caller has ensured 16 bytes of room. */
  #uint (v: number): void {
    const buf = this.#buf
    if (v < 10) { buf[this.#o++] = 48 + v; return }
    if (v < 0x80000000) {
      // int32 arithmetic for the common sizes, counts and void-times
      let n = 1
      for (let t = v; t >= 10; t = (t / 10) | 0) n++
      let o = this.#o + n
      this.#o = o
      let x = v | 0
      while (x >= 10) {
        const q = (x / 10) | 0
        buf[--o] = 48 + (x - q * 10)
        x = q
      }
      buf[--o] = 48 + x
      return
    }
    let n = 1
    for (let t = v; t >= 10; t = Math.floor(t / 10)) n++
    let o = this.#o + n
    this.#o = o
    while (v >= 10) {
      const q = Math.floor(v / 10)
      buf[--o] = 48 + (v - q * 10)
      v = q
    }
    buf[--o] = 48 + v
  }

  #int64 (v: bigint): void {
    this.#ensure(21)
    // One conversion instead of two BigInt comparisons (bench/asb/codec.bench.ts):
    // values beyond 2^53 never convert to a safe integer.
    const n = Number(v)
    if (Number.isSafeInteger(n)) {
      if (n < 0) { this.#byte(45); this.#uint(-n) } else this.#uint(n)
    } else {
      if (v < INT64_MIN || v > INT64_MAX) throw invalid(`integer ${v} is outside the int64 range`)
      this.#o = int64DigitsInto(v, this.#buf, this.#o)
    }
  }

  #escapedName (name: Name, limit: number, what: string): Buffer {
    if (typeof name === 'string') {
      let b = this.#names.get(name)
      if (b === undefined) {
        const raw = Buffer.from(name, 'utf8')
        if (raw.length >= limit) throw invalid(`${what} "${name}" is ${raw.length} bytes long; .asb allows at most ${limit - 1}`)
        if (raw.includes(0)) throw invalid(`${what} ${JSON.stringify(name)} contains a NUL byte, which .asb cannot hold`)
        b = this.#legacy ? raw : escapeBytes(raw)
        if (this.#names.size >= NAME_CACHE_LIMIT) this.#names.clear()
        this.#names.set(name, b)
      }
      return b
    }
    if (name.length >= limit) throw invalid(`${what} "${nameToString(name)}" is ${name.length} bytes long; .asb allows at most ${limit - 1}`)
    if (name.includes(0)) throw invalid(`${what} ${JSON.stringify(nameToString(name))} contains a NUL byte, which .asb cannot hold`)
    return this.#legacy ? name : escapeBytes(name)
  }

  /** Length-prefixed raw data: `<len> SP <bytes>`. */
  #lenData (v: Buffer): void {
    this.#ensure(v.length + 18)
    this.#uint(v.length)
    this.#byte(SP)
    this.#put(v)
  }

  /** `<b64len> SP <base64>`. */
  #b64Data (v: Buffer): void {
    const n = b64Length(v.length)
    this.#ensure(n + 18)
    this.#uint(n)
    this.#byte(SP)
    this.#o = b64EncodeInto(v, this.#buf, this.#o)
  }

  // ---- tokens -------------------------------------------------------------

  #header (h: Header): void {
    this.#legacy = h.version === VERSION_3_0
    this.#names.clear()
    this.#lastNs = null
    this.#lastSet = null
    const parts = [ascii(`Version ${h.version}\n`)]
    if (h.namespace !== null) parts.push(ascii('# namespace '), this.#escapedName(h.namespace, MAX_TOKEN_SIZE, 'namespace'), ascii('\n'))
    if (h.firstFile) parts.push(ascii('# first-file\n'))
    const all = Buffer.concat(parts)
    this.#ensure(all.length)
    this.#put(all)
  }

  #sindex (s: SIndex): void {
    const esc = (n: Name): Buffer => escapeBytes(nameBytes(n))
    const isExp = s.expression !== undefined
    if (INDEX_TYPES.indexOf(s.indexType) === -1 || s.indexType.length !== 1) throw invalid(`invalid index type ${String(s.indexType)} in index ${nameToString(s.name)}`)
    const parts: Buffer[] = [
      ascii(isExp ? '* e ' : '* i '), esc(s.namespace), ascii(' '), s.set === null ? Buffer.alloc(0) : esc(s.set), ascii(' '),
      esc(s.name), ascii(` ${s.indexType} ${s.paths.length}`)
    ]
    for (const p of s.paths) {
      if (INDEX_PATH_TYPES.indexOf(p.type) === -1 || p.type.length !== 1) throw invalid(`invalid path type ${String(p.type)} in index ${nameToString(s.name)}`)
      parts.push(ascii(' '), esc(p.path), ascii(` ${p.type}`))
    }
    if (s.context !== null) parts.push(ascii(' '), esc(s.context))
    if (isExp && s.expression !== '') parts.push(ascii(' '), ascii(s.expression!))
    parts.push(ascii('\n'))
    const all = Buffer.concat(parts)
    this.#ensure(all.length)
    this.#put(all)
  }

  #udf (u: Udf): void {
    const head = Buffer.concat([ascii(`* u ${u.type} `), escapeBytes(nameBytes(u.name)), ascii(' ')])
    this.#ensure(head.length)
    this.#put(head)
    this.#lenData(u.content)
    this.#ensure(1)
    this.#byte(LF)
  }

  #key (k: Key): void {
    switch (k.type) {
      case Particle.INTEGER:
        this.#ensure(P_KEY_I.length)
        this.#put(P_KEY_I)
        this.#int64(k.value)
        break
      case Particle.DOUBLE:
        this.#ensure(P_KEY_D.length + 32)
        this.#put(P_KEY_D)
        this.#o = formatDoubleInto(k.value, this.#buf, this.#o)
        break
      case Particle.STRING:
        this.#ensure(P_KEY_S.length)
        this.#put(P_KEY_S)
        this.#lenData(k.value)
        break
      default:
        if (this.#compact) {
          this.#ensure(P_KEY_BC.length)
          this.#put(P_KEY_BC)
          this.#lenData(k.value)
        } else {
          this.#ensure(P_KEY_B.length)
          this.#put(P_KEY_B)
          this.#b64Data(k.value)
        }
    }
    this.#ensure(1)
    this.#byte(LF)
  }

  #record (r: Record): void {
    if (r.key !== null) this.#key(r.key)
    let ns = this.#lastNsBytes
    if (r.namespace !== this.#lastNs || typeof r.namespace !== 'string') {
      ns = this.#escapedName(r.namespace, MAX_NAMESPACE_SIZE, 'namespace')
      this.#lastNs = r.namespace
      this.#lastNsBytes = ns
    }
    const digest = r.digest
    if (digest.length !== 20) throw invalid(`digest is ${digest.length} bytes long, expected 20`)
    const gen = r.generation
    const vt = r.voidTime
    const bins = r.bins
    if (!(gen >= 0 && gen <= 65535 && Number.isInteger(gen))) throw invalid(`generation ${gen} is outside 0..65535`)
    if (!(vt >= 0 && vt <= UINT32_MAX && Number.isInteger(vt))) throw invalid(`void-time ${vt} is outside 0..${UINT32_MAX}`)
    if (bins.length > 65535) throw invalid(`record has ${bins.length} bins; .asb allows at most 65535`)
    let set = this.#lastSetBytes
    if (r.set !== null && (r.set !== this.#lastSet || typeof r.set !== 'string')) {
      set = this.#escapedName(r.set, MAX_SET_SIZE, 'set')
      this.#lastSet = r.set
      this.#lastSetBytes = set
    }
    this.#ensure(ns.length + set.length + 96)
    this.#put(P_NS)
    this.#put(ns)
    this.#byte(LF)
    this.#put(P_DIGEST)
    this.#o = b64EncodeInto(digest, this.#buf, this.#o)
    this.#byte(LF)
    if (r.set !== null) {
      this.#put(P_SET)
      this.#put(set)
      this.#byte(LF)
    }
    this.#put(P_GEN)
    this.#uint(gen)
    this.#put(P_TTL)
    this.#uint(vt)
    this.#put(P_BINS)
    this.#uint(bins.length)
    this.#byte(LF)
    for (let i = 0; i < bins.length; i++) this.#bin(bins[i]!)
  }

  #bin (b: Bin): void {
    const name = this.#escapedName(b.name, MAX_TOKEN_SIZE, 'bin name')
    this.#ensure(name.length + 32)
    switch (b.type) {
      case Particle.INTEGER:
        this.#put(P_INT)
        this.#put(name)
        this.#byte(SP)
        this.#int64(b.value)
        break
      case Particle.STRING:
        this.#put(P_STR)
        this.#put(name)
        this.#byte(SP)
        this.#lenData(b.value)
        break
      case Particle.DOUBLE:
        // room: name.length + 32 covers the prefix, SP and the longest %.17g (24)
        this.#put(P_DBL)
        this.#put(name)
        this.#byte(SP)
        this.#o = formatDoubleInto(b.value, this.#buf, this.#o)
        break
      case Particle.BOOL:
        this.#put(P_BOOL)
        this.#put(name)
        this.#put(b.value ? P_TRUE : P_FALSE)
        return
      case Particle.NIL:
        this.#put(P_NIL)
        this.#put(name)
        break
      case Particle.GEOJSON:
        this.#put(P_GEO)
        this.#put(name)
        this.#byte(SP)
        this.#lenData(b.value)
        break
      default: {
        const prefix = this.#compact ? P_BYTES_C[b.type] : P_BYTES[b.type]
        if (prefix === undefined) {
          throw invalid(`bin "${nameToString(b.name)}" has particle type ${String(b.type)}, which .asb cannot hold`)
        }
        this.#put(prefix)
        this.#put(name)
        this.#byte(SP)
        if (this.#compact) this.#lenData(b.value)
        else this.#b64Data(b.value)
      }
    }
    this.#ensure(1)
    this.#byte(LF)
  }
}

/**
 * A Transform: objectMode Tokens in, .asb bytes out, in chunks of about
 * 64 KiB (the rest on end). Backpressure is the Transform's own.
 */
export function createAsbEncoder (opts: AsbEncodeOptions = {}): Transform {
  const encoder = new AsbEncoder(opts)
  return new Transform({
    writableObjectMode: true,
    readableObjectMode: false,
    writableHighWaterMark: 256,
    transform (token: Token, _enc: BufferEncoding, cb: TransformCallback): void {
      try {
        encoder.append(token)
      } catch (err) {
        cb(err as Error)
        return
      }
      if (encoder.length >= ENCODER_CHUNK_SIZE) cb(null, encoder.take())
      else cb()
    },
    flush (cb: TransformCallback): void {
      if (encoder.length > 0) cb(null, encoder.take())
      else cb()
    }
  })
}
