// LIST/MAP particle -> canonical typed JSON in one pass, without building a
// CdtNode tree and re-encoding it (3x faster on asb->ndjson,
// bench/ndjson/ndjson.bench.ts). It writes exactly what
// nodeJson(canonicalCdt(buf)) writes, and gives up (null: the caller keeps
// the raw bytes) exactly where canonicalCdt would: anything the server's
// packer would not have written byte for byte (test/ndjson/cdt-json.test.ts
// checks the two agree).
import { isUtf8 } from 'node:buffer'
import { CDT_PREFIXES, MAX_CDT_DEPTH, isQuietNaN } from '../cdt/msgpack.js'
import { BYTES_TAG, doubleTag, isIndexKey } from './typed.js'
import { base64Slice, shortPlainAscii, utf8Slice } from './buf.js'

const NOT_CANONICAL = { notCanonical: true }

class W {
  pos = 0
  /** Set by str() to the text of a valid-UTF-8 string particle (map keys read it). */
  text: string | null = null
  constructor (readonly b: Buffer) {}

  need (n: number): void {
    if (this.pos + n > this.b.length) throw NOT_CANONICAL
  }

  int (v: number): string {
    return String(v)
  }

  big (v: bigint): string {
    if (v <= 9007199254740991n && v >= -9007199254740991n) return v.toString()
    return `{"$int":"${v.toString()}"}`
  }

  double (v: number, at: number): string {
    // only the canonical quiet NaNs (either sign) survive "NaN" / "-NaN"
    if (Number.isNaN(v) && !isQuietNaN(this.b, at, 8)) throw NOT_CANONICAL
    if (Number.isFinite(v) && !Number.isInteger(v)) return String(v)
    return `{"$double":"${doubleTag(v)}"}`
  }

  /** A str of total length n (prefix byte included). */
  str (n: number): string {
    if (n === 0) throw NOT_CANONICAL
    this.need(n)
    const b = this.b
    const p = b[this.pos]!
    const s = this.pos + 1
    const e = this.pos + n
    this.pos = e
    if (p === 3) {
      const short = shortPlainAscii(b, s, e)
      if (short !== null) { this.text = short; return '"' + short + '"' }
      const text = utf8Slice(b, s, e)
      if (text.indexOf('\uFFFD') === -1 || isUtf8(b.subarray(s, e))) { this.text = text; return JSON.stringify(text) }
      return `{"$str64":"${base64Slice(b, s, e)}"}`
    }
    if (p === 23) {
      if (isUtf8(b.subarray(s, e))) return `{"$geo":${JSON.stringify(b.toString('utf8', s, e))}}`
      return `{"$geo64":"${base64Slice(b, s, e)}"}`
    }
    if (!CDT_PREFIXES.has(p)) throw NOT_CANONICAL
    return `{"${BYTES_TAG[p]}":"${base64Slice(b, s, e)}"}`
  }

  marker (): number | null {
    const b = this.b
    if (this.pos < b.length && b[this.pos] === 0xc7) {
      this.need(3)
      if (b[this.pos + 1] !== 0) throw NOT_CANONICAL
      const f = b[this.pos + 2]!
      this.pos += 3
      return f
    }
    return null
  }

  list (n: number, depth: number): string {
    if (depth >= MAX_CDT_DEPTH || n > this.b.length - this.pos) throw NOT_CANONICAL
    let flags: number | null = null
    let i = 0
    if (n > 0) {
      flags = this.marker()
      if (flags !== null) i = 1
    }
    let s = '['
    for (let k = i; k < n; k++) {
      if (k > i) s += ','
      s += this.value(depth + 1)
    }
    s += ']'
    return flags === null ? s : `{"$list":${s},"$flags":${flags}}`
  }

  map (n: number, depth: number): string {
    if (depth >= MAX_CDT_DEPTH || n > this.b.length - this.pos) throw NOT_CANONICAL
    let flags: number | null = null
    let i = 0
    if (n > 0) {
      flags = this.marker()
      if (flags !== null) {
        this.need(1)
        if (this.b[this.pos] !== 0xc0) throw NOT_CANONICAL
        this.pos++
        i = 1
      }
    }
    // both forms are built as we go (the pairs form is dropped when every
    // key can be a plain member name); a key is read once
    let plain = true
    let sp = '{'
    let sq = '['
    const names: string[] = []
    let seen: Set<string> | null = null
    for (let k = i; k < n; k++) {
      const c = this.b[this.pos]
      this.text = null
      const kj = this.value(depth + 1)
      // a str key: text is that key's (nothing nested could have set it)
      const t = (c !== undefined && ((c >= 0xa1 && c <= 0xbf) || c === 0xd9 || c === 0xda || c === 0xdb)) ? (this.text as string | null) : null
      const vj = this.value(depth + 1)
      if (plain) {
        if (t === null || t.charCodeAt(0) === 36 /* $ */ || isIndexKey(t) || hasName(names, seen, t)) plain = false
        else {
          names.push(t)
          if (seen !== null) seen.add(t)
          else if (names.length > 16) seen = new Set(names)
          if (k > i) sp += ','
          sp += kj + ':' + vj
        }
      }
      if (k > i) sq += ','
      sq += '[' + kj + ',' + vj + ']'
    }
    let s: string
    if (plain) {
      s = sp + '}'
      if (flags === null) return s
    } else {
      s = sq + ']'
      if (flags === null) return `{"$map":${s}}`
    }
    return `{"$map":${s},"$flags":${flags}}`
  }

  value (depth: number): string {
    const b = this.b
    this.need(1)
    const c = b[this.pos++]!
    if (c <= 0x7f) return this.int(c)
    if (c >= 0xe0) return this.int(c - 256)
    if (c >= 0xa0 && c <= 0xbf) return this.str(c & 0x1f)
    if (c >= 0x90 && c <= 0x9f) return this.list(c & 0x0f, depth)
    if (c >= 0x80 && c <= 0x8f) return this.map(c & 0x0f, depth)
    const p = this.pos
    switch (c) {
      case 0xc0: return 'null'
      case 0xc2: return 'false'
      case 0xc3: return 'true'
      case 0xca: {
        this.need(4)
        const v = b.readFloatBE(p)
        if (Number.isNaN(v) && !isQuietNaN(b, p, 4)) throw NOT_CANONICAL
        this.pos += 4
        return Number.isFinite(v) && !Object.is(v, -0) ? `{"$float32":${String(v)}}` : `{"$float32":"${doubleTag(v)}"}`
      }
      case 0xcb: { this.need(8); this.pos += 8; return this.double(b.readDoubleBE(p), p) }
      case 0xcc: { this.need(1); const v = b[p]!; if (v < 0x80) throw NOT_CANONICAL; this.pos += 1; return this.int(v) }
      case 0xcd: { this.need(2); const v = b.readUInt16BE(p); if (v < 0x100) throw NOT_CANONICAL; this.pos += 2; return this.int(v) }
      case 0xce: { this.need(4); const v = b.readUInt32BE(p); if (v < 0x10000) throw NOT_CANONICAL; this.pos += 4; return this.int(v) }
      case 0xcf: { this.need(8); const v = b.readBigUInt64BE(p); if (v < 0x100000000n) throw NOT_CANONICAL; this.pos += 8; return this.big(v) }
      case 0xd0: { this.need(1); const v = b.readInt8(p); if (v >= -32) throw NOT_CANONICAL; this.pos += 1; return this.int(v) }
      case 0xd1: { this.need(2); const v = b.readInt16BE(p); if (v >= -0x80) throw NOT_CANONICAL; this.pos += 2; return this.int(v) }
      case 0xd2: { this.need(4); const v = b.readInt32BE(p); if (v >= -0x8000) throw NOT_CANONICAL; this.pos += 4; return this.int(v) }
      case 0xd3: { this.need(8); const v = b.readBigInt64BE(p); if (v >= -0x80000000n) throw NOT_CANONICAL; this.pos += 8; return this.big(v) }
      case 0xd9: { this.need(1); const n = b[p]!; if (n < 32) throw NOT_CANONICAL; this.pos += 1; return this.str(n) }
      case 0xda: { this.need(2); const n = b.readUInt16BE(p); if (n < 0x100) throw NOT_CANONICAL; this.pos += 2; return this.str(n) }
      case 0xdb: { this.need(4); const n = b.readUInt32BE(p); if (n < 0x10000) throw NOT_CANONICAL; this.pos += 4; return this.str(n) }
      case 0xdc: { this.need(2); const n = b.readUInt16BE(p); if (n < 16) throw NOT_CANONICAL; this.pos += 2; return this.list(n, depth) }
      case 0xdd: { this.need(4); const n = b.readUInt32BE(p); if (n < 0x10000) throw NOT_CANONICAL; this.pos += 4; return this.list(n, depth) }
      case 0xde: { this.need(2); const n = b.readUInt16BE(p); if (n < 16) throw NOT_CANONICAL; this.pos += 2; return this.map(n, depth) }
      case 0xdf: { this.need(4); const n = b.readUInt32BE(p); if (n < 0x10000) throw NOT_CANONICAL; this.pos += 4; return this.map(n, depth) }
    }
    throw NOT_CANONICAL
  }
}

function hasName (names: string[], seen: Set<string> | null, t: string): boolean {
  if (seen !== null) return seen.has(t)
  for (let i = 0; i < names.length; i++) if (names[i] === t) return true
  return false
}

/**
 * Canonical typed JSON of a LIST (`isList`) or MAP particle, or null when it
 * would not re-encode to the same bytes (the caller then writes `$msgpack`).
 */
export function cdtToCanonicalJson (buf: Buffer, isList: boolean): string | null {
  if (buf.length === 0) return null
  const c = buf[0]!
  if (isList ? !((c >= 0x90 && c <= 0x9f) || c === 0xdc || c === 0xdd) : !((c >= 0x80 && c <= 0x8f) || c === 0xde || c === 0xdf)) return null
  const w = new W(buf)
  try {
    const s = w.value(0)
    return w.pos === buf.length ? s : null
  } catch (err) {
    if (err === NOT_CANONICAL) return null
    throw err
  }
}
