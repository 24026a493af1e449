// Tokens -> typed NDJSON (man/as-ndjson.5), one JSON object per line.
//
//   Token stream (objectMode) --> NdjsonEncoder --> bytes
//
// Lines are built as strings (no intermediate objects; see
// bench/ndjson/ndjson.bench.ts) and pushed in batches of up to
// NDJSON_BATCH_BYTES so a fast producer does not pay one push per record.
import { Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { isUtf8 } from 'node:buffer'
import type { Bin, Header, Name, Record, SIndex, Token, Udf } from '../types.js'
import { AsbError, ErrorCode } from '../errors.js'
import { nameToString } from '../name.js'
import { base64Slice, utf8Write } from './buf.js'
import { binKey, escapedBinKey, isIndexKey, nameJson, valueToJson, voidTimeToIso } from './typed.js'

export interface NdjsonEncodeOptions {
  /** Plain readable JSON for people (lossy; see as-ndjson(5)). */
  relaxed?: boolean
}

/** NDJSON text gathered before one push (at most this much, and never past the end of a tick). */
export const NDJSON_BATCH_BYTES = 64 * 1024

function headerJson (h: Header, relaxed: boolean): string {
  return `{"$meta":"header","version":${JSON.stringify(h.version)},"namespace":${h.namespace === null ? 'null' : nameJson(h.namespace, relaxed)},"firstFile":${h.firstFile ? 'true' : 'false'}}`
}

function sindexJson (s: SIndex, relaxed: boolean): string {
  let paths = ''
  for (let i = 0; i < s.paths.length; i++) {
    const p = s.paths[i]!
    if (i > 0) paths += ','
    paths += `{"path":${nameJson(p.path, relaxed)},"type":${JSON.stringify(p.type)}}`
  }
  let line = `{"$meta":"sindex","namespace":${nameJson(s.namespace, relaxed)},"set":${s.set === null ? 'null' : nameJson(s.set, relaxed)},"name":${nameJson(s.name, relaxed)},"indexType":${JSON.stringify(s.indexType)},"paths":[${paths}],"context":${s.context === null ? 'null' : nameJson(s.context, relaxed)}`
  if (s.expression !== undefined) line += `,"expression":${JSON.stringify(s.expression)}`
  return line + '}'
}

function udfJson (u: Udf, relaxed: boolean): string {
  const content = relaxed || isUtf8(u.content)
    ? JSON.stringify(u.content.toString('utf8'))
    : `{"$blob":"${u.content.toString('base64')}"}`
  return `{"$meta":"udf","type":${JSON.stringify(u.type)},"name":${nameJson(u.name, relaxed)},"content":${content}}`
}

// Names repeat in every record: their JSON text is cached (bench/ndjson/ndjson.bench.ts).
const NAME_CACHE_LIMIT = 4096
const memberCache = new Map<string, string>()
let lastNs: Name | null = null
let lastNsJson = ''
let lastSet: Name | null = null
let lastSetJson = 'null'

/** `"name":` for a member name. */
function member (k: string): string {
  let m = memberCache.get(k)
  if (m === undefined) {
    if (memberCache.size >= NAME_CACHE_LIMIT) memberCache.clear()
    m = JSON.stringify(k) + ':'
    memberCache.set(k, m)
  }
  return m
}

function recordJson (r: Record, relaxed: boolean): string {
  let ns: string
  let set: string
  if (relaxed) {
    ns = nameJson(r.namespace, true)
    set = r.set === null ? 'null' : nameJson(r.set, true)
  } else {
    if (r.namespace !== lastNs || typeof r.namespace !== 'string') { lastNs = r.namespace; lastNsJson = nameJson(r.namespace) }
    if (r.set !== lastSet || (r.set !== null && typeof r.set !== 'string')) { lastSet = r.set; lastSetJson = r.set === null ? 'null' : nameJson(r.set) }
    ns = lastNsJson
    set = lastSetJson
  }
  let line = `{"namespace":${ns},"set":${set},"key":${r.key === null ? 'null' : valueToJson(r.key, relaxed)},"digest":"${base64Slice(r.digest, 0, r.digest.length)}","generation":${r.generation},"expiration":`
  const exp = voidTimeToIso(r.voidTime)
  line += exp === null ? 'null' : `"${exp}"`
  line += ',"bins":{'
  const bins = r.bins
  const n = bins.length
  // JSON.parse moves array-index member names ("0", "17") to the front of an
  // object and drops duplicates: track both, so bin order and every bin survive.
  let keys: string[] | null = null
  let indexKeys = false
  // few bins: compare pairwise; many: a set (no per-record Set for the usual record)
  const seen: Set<string> | null = n > 16 && !relaxed ? new Set() : null
  for (let i = 0; i < n; i++) {
    const b = bins[i]!
    let k: string
    if (relaxed) {
      k = typeof b.name === 'string' ? b.name : b.name.toString('utf8')
    } else {
      k = binKey(b.name)
      let dup = false
      if (seen !== null) dup = seen.has(k)
      else for (let j = 0; j < i; j++) if (keyOf(bins, j, keys) === k) { dup = true; break }
      if (dup) {
        keys ??= bins.slice(0, i).map((x) => binKey(x.name))
        k = escapedBinKey(b.name)
        if (keys.includes(k)) throw new AsbError(ErrorCode.INVALID, `bin ${JSON.stringify(nameToString(b.name))} appears more than twice in one record`)
      }
      if (keys !== null) keys.push(k)
      if (seen !== null) seen.add(k)
      if (!indexKeys && isIndexKey(k)) indexKeys = true
    }
    if (i > 0) line += ','
    line += member(k) + valueToJson(b, relaxed)
  }
  line += '}'
  if (indexKeys) {
    const order = keys ?? bins.map((x) => binKey(x.name))
    if (!sameOrderAsParse(order)) line += `,"binOrder":${JSON.stringify(order)}`
  }
  return line + '}'
}

/** The member name used for bin j (escaped names only exist once `keys` is tracked). */
function keyOf (bins: Bin[], j: number, keys: string[] | null): string {
  return keys !== null ? keys[j]! : binKey(bins[j]!.name)
}

/** True when JSON.parse would enumerate these member names in this order. */
function sameOrderAsParse (keys: string[]): boolean {
  const o: { [k: string]: number } = {}
  for (const k of keys) o[k] = 0
  const parsed = Object.keys(o)
  for (let i = 0; i < keys.length; i++) if (parsed[i] !== keys[i]) return false
  return true
}

/** One NDJSON line (without the LF) for a token. */
export function tokenToJson (token: Token, opts: NdjsonEncodeOptions = {}): string {
  const relaxed = opts.relaxed === true
  switch (token.kind) {
    case 'record': return recordJson(token, relaxed)
    case 'header': return headerJson(token, relaxed)
    case 'sindex': return sindexJson(token, relaxed)
    case 'udf': return udfJson(token, relaxed)
  }
}

export class NdjsonEncoder extends Transform {
  readonly #relaxed: boolean
  // lines are written straight into one buffer (cheaper than joining strings
  // and converting the batch: bench/ndjson/ndjson.bench.ts); handed over
  // whole, then a fresh one is started
  #buf: Buffer = Buffer.allocUnsafe(2 * NDJSON_BATCH_BYTES)
  #off = 0
  #scheduled = false
  readonly #flushLater = (): void => {
    this.#scheduled = false
    if (this.#off > 0 && !this.destroyed) this.#push()
  }

  constructor (opts: NdjsonEncodeOptions = {}) {
    super({ writableObjectMode: true, readableObjectMode: false, writableHighWaterMark: 256, readableHighWaterMark: NDJSON_BATCH_BYTES })
    this.#relaxed = opts.relaxed === true
  }

  #push (): void {
    let out: Buffer
    if (this.#off < NDJSON_BATCH_BYTES / 4) {
      // a small batch (a slow producer): copy it out and keep the buffer
      out = Buffer.from(this.#buf.subarray(0, this.#off))
    } else {
      out = this.#buf.subarray(0, this.#off)
      this.#buf = Buffer.allocUnsafe(2 * NDJSON_BATCH_BYTES)
    }
    this.#off = 0
    this.push(out)
  }

  // Lines written in the same tick are joined into one chunk (one push per
  // batch instead of per record); a lone line still goes out at the end of
  // its tick. Pushing inside _transform once the batch is big or the readable
  // side is full lets the Transform hold back the writer (backpressure).
  override _transform (token: Token, _enc: BufferEncoding, cb: TransformCallback): void {
    let line: string
    try {
      line = tokenToJson(token, { relaxed: this.#relaxed })
    } catch (err) {
      cb(err as Error)
      return
    }
    const need = line.length * 3 + 1
    if (this.#off + need > this.#buf.length) {
      if (this.#off > 0) this.#push()
      if (need > this.#buf.length) this.#buf = Buffer.allocUnsafe(need)
    }
    this.#off += utf8Write(this.#buf, line, this.#off)
    this.#buf[this.#off++] = 0x0a
    if (this.#off >= NDJSON_BATCH_BYTES || this.readableLength >= this.readableHighWaterMark) {
      this.#push()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#flushLater)
    }
    cb()
  }

  override _flush (cb: TransformCallback): void {
    if (this.#off > 0) this.#push()
    cb()
  }
}

/** Tokens (objectMode) -> NDJSON bytes. */
export function createNdjsonEncoder (opts: NdjsonEncodeOptions = {}): Transform {
  return new NdjsonEncoder(opts)
}
