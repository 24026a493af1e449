// Typed view of the server's LIST/MAP particles (wire-protocol.md §6).
//
// Lists and maps travel through the toolkit as the raw msgpack bytes the
// server stores; this module decodes them into a small typed tree (CdtNode)
// when a typed view is needed (typed NDJSON, filters) and encodes such a tree
// back the way the server and the C/Java clients pack it:
//   - strings, blobs and GeoJSON are msgpack `str` whose first content byte is
//     the particle type (3 string, 4 blob, 23 GeoJSON, 7..12/16/18 subtypes);
//   - ints in their minimal form (fixint, cc/cd/ce/cf, e0..ff/d0..d3);
//   - doubles as `cb` float64, float32 `ca` kept as float32;
//   - the order/flags marker `c7 00 <flags>` as the first element of a list,
//     or as the key of an extra first pair (value nil) of a map.
// Anything else (non-minimal headers, bin8/16/32, other ext, a marker not in
// first position, zero-length str) is a CdtError: callers that must be
// lossless keep the raw bytes instead (see canonicalCdt()).
import { Particle } from '../types.js'

export type CdtNode =
  | { t: 'nil' }
  | { t: 'bool', v: boolean }
  | { t: 'int', v: bigint }
  | { t: 'double', v: number }
  | { t: 'float32', v: number }
  /** A msgpack str carrying a particle-type prefix byte `p` (3 string, 4 blob, 23 GeoJSON...). */
  | { t: 'bytes', p: number, v: Buffer }
  /** flags: the `c7 00 <flags>` marker value, null when there is no marker. */
  | { t: 'list', flags: number | null, items: CdtNode[] }
  | { t: 'map', flags: number | null, entries: Array<[CdtNode, CdtNode]> }

export class CdtError extends Error {
  readonly offset: number
  constructor (message: string, offset: number) {
    super(`${message} at msgpack byte ${offset}`)
    this.name = 'CdtError'
    this.offset = offset
  }
}

/** Deepest nesting we decode; deeper particles are kept raw (bounded recursion). */
export const MAX_CDT_DEPTH = 256

/** Particle types a prefix byte inside a CDT str may carry and that we type. */
export const CDT_PREFIXES: ReadonlySet<number> = new Set<number>([
  Particle.STRING, Particle.BLOB, Particle.JAVA, Particle.CSHARP, Particle.PYTHON,
  Particle.RUBY, Particle.PHP, Particle.ERLANG, Particle.VECTOR, Particle.HLL, Particle.GEOJSON
])

class Reader {
  pos = 0
  /** Called before each value is read (position at its first byte). */
  onValue: ((r: Reader) => void) | null = null
  constructor (readonly buf: Buffer) {}

  need (n: number): void {
    if (this.pos + n > this.buf.length) throw new CdtError('truncated msgpack', this.pos)
  }

  node (depth: number): CdtNode {
    const b = this.buf
    this.need(1)
    if (this.onValue !== null) this.onValue(this)
    const start = this.pos
    const c = b[this.pos++]!
    if (c <= 0x7f) return { t: 'int', v: BigInt(c) }
    if (c >= 0xe0) return { t: 'int', v: BigInt(c - 256) }
    if (c >= 0xa0 && c <= 0xbf) return this.str(c & 0x1f, start)
    if (c >= 0x90 && c <= 0x9f) return this.list(c & 0x0f, depth, start)
    if (c >= 0x80 && c <= 0x8f) return this.map(c & 0x0f, depth, start)
    switch (c) {
      case 0xc0: return { t: 'nil' }
      case 0xc2: return { t: 'bool', v: false }
      case 0xc3: return { t: 'bool', v: true }
      case 0xca: {
        this.need(4)
        // kept as float32: the value is exact in a double, the bits are checked by the caller's re-encode
        const v = b.readFloatBE(this.pos); this.pos += 4
        return { t: 'float32', v }
      }
      case 0xcb: {
        this.need(8)
        const v = b.readDoubleBE(this.pos); this.pos += 8
        return { t: 'double', v }
      }
      case 0xcc: this.need(1); return { t: 'int', v: BigInt(b[this.pos++]!) }
      case 0xcd: { this.need(2); const v = b.readUInt16BE(this.pos); this.pos += 2; return { t: 'int', v: BigInt(v) } }
      case 0xce: { this.need(4); const v = b.readUInt32BE(this.pos); this.pos += 4; return { t: 'int', v: BigInt(v) } }
      case 0xcf: { this.need(8); const v = b.readBigUInt64BE(this.pos); this.pos += 8; return { t: 'int', v } }
      case 0xd0: { this.need(1); const v = b.readInt8(this.pos); this.pos += 1; return { t: 'int', v: BigInt(v) } }
      case 0xd1: { this.need(2); const v = b.readInt16BE(this.pos); this.pos += 2; return { t: 'int', v: BigInt(v) } }
      case 0xd2: { this.need(4); const v = b.readInt32BE(this.pos); this.pos += 4; return { t: 'int', v: BigInt(v) } }
      case 0xd3: { this.need(8); const v = b.readBigInt64BE(this.pos); this.pos += 8; return { t: 'int', v } }
      case 0xd9: { this.need(1); const n = b[this.pos++]!; return this.str(n, start) }
      case 0xda: { this.need(2); const n = b.readUInt16BE(this.pos); this.pos += 2; return this.str(n, start) }
      case 0xdb: { this.need(4); const n = b.readUInt32BE(this.pos); this.pos += 4; return this.str(n, start) }
      case 0xdc: { this.need(2); const n = b.readUInt16BE(this.pos); this.pos += 2; return this.list(n, depth, start) }
      case 0xdd: { this.need(4); const n = b.readUInt32BE(this.pos); this.pos += 4; return this.list(n, depth, start) }
      case 0xde: { this.need(2); const n = b.readUInt16BE(this.pos); this.pos += 2; return this.map(n, depth, start) }
      case 0xdf: { this.need(4); const n = b.readUInt32BE(this.pos); this.pos += 4; return this.map(n, depth, start) }
      default:
        throw new CdtError(`unsupported msgpack type 0x${c.toString(16)}`, start)
    }
  }

  str (n: number, start: number): CdtNode {
    if (n === 0) throw new CdtError('zero-length str (no particle prefix)', start)
    this.need(n)
    const p = this.buf[this.pos]!
    const v = this.buf.subarray(this.pos + 1, this.pos + n)
    this.pos += n
    return { t: 'bytes', p, v }
  }

  /** Reads a `c7 00 <flags>` marker if one is next; else null. */
  marker (): number | null {
    const b = this.buf
    if (this.pos < b.length && b[this.pos] === 0xc7) {
      this.need(3)
      if (b[this.pos + 1] !== 0) throw new CdtError('ext marker with a payload', this.pos)
      const flags = b[this.pos + 2]!
      this.pos += 3
      return flags
    }
    return null
  }

  list (n: number, depth: number, start: number): CdtNode {
    if (depth >= MAX_CDT_DEPTH) throw new CdtError('nesting too deep', start)
    if (n > this.buf.length - this.pos) throw new CdtError('list count larger than the particle', start)
    let flags: number | null = null
    let i = 0
    if (n > 0) {
      flags = this.marker()
      if (flags !== null) i = 1
    }
    const items: CdtNode[] = []
    for (; i < n; i++) items.push(this.node(depth + 1))
    return { t: 'list', flags, items }
  }

  map (n: number, depth: number, start: number): CdtNode {
    if (depth >= MAX_CDT_DEPTH) throw new CdtError('nesting too deep', start)
    if (n > this.buf.length - this.pos) throw new CdtError('map count larger than the particle', start)
    let flags: number | null = null
    let i = 0
    if (n > 0) {
      flags = this.marker()
      if (flags !== null) {
        this.need(1)
        if (this.buf[this.pos] !== 0xc0) throw new CdtError('map flags marker without a nil value', this.pos)
        this.pos++
        i = 1
      }
    }
    const entries: Array<[CdtNode, CdtNode]> = []
    for (; i < n; i++) {
      const k = this.node(depth + 1)
      const v = this.node(depth + 1)
      entries.push([k, v])
    }
    return { t: 'map', flags, entries }
  }
}

/** Decodes one msgpack value occupying the whole buffer. Throws CdtError. */
export function decodeCdt (buf: Buffer): CdtNode {
  const r = new Reader(buf)
  const node = r.node(0)
  if (r.pos !== buf.length) throw new CdtError('trailing bytes after the msgpack value', r.pos)
  return node
}

/** A growable msgpack writer packing the way the server does (see encodeCdt). */
export class Writer {
  buf: Buffer
  pos = 0
  constructor (size = 256) { this.buf = Buffer.allocUnsafe(size) }

  /** Where the value being written starts (slab use, see slice()). */
  start = 0

  ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    // only the value being written moves to the new buffer
    const used = this.pos - this.start
    let size = Math.max(this.buf.length, 256)
    while (size < used + n) size *= 2
    const nb = Buffer.allocUnsafe(size)
    this.buf.copy(nb, 0, this.start, this.pos)
    this.buf = nb
    this.start = 0
    this.pos = used
  }

  byte (c: number): void { this.ensure(1); this.buf[this.pos++] = c }

  header (n: number, fix: number, fixMax: number, c16: number, c32: number, c8 = -1): void {
    this.ensure(5)
    const b = this.buf
    if (n <= fixMax) b[this.pos++] = fix | n
    else if (c8 >= 0 && n < 0x100) { b[this.pos++] = c8; b[this.pos++] = n }
    else if (n < 0x10000) { b[this.pos++] = c16; b.writeUInt16BE(n, this.pos); this.pos += 2 } else { b[this.pos++] = c32; b.writeUInt32BE(n, this.pos); this.pos += 4 }
  }

  int (v: bigint): void {
    this.ensure(9)
    const b = this.buf
    if (v >= 0n) {
      if (v < 0x80n) b[this.pos++] = Number(v)
      else if (v < 0x100n) { b[this.pos++] = 0xcc; b[this.pos++] = Number(v) } else if (v < 0x10000n) { b[this.pos++] = 0xcd; b.writeUInt16BE(Number(v), this.pos); this.pos += 2 } else if (v < 0x100000000n) { b[this.pos++] = 0xce; b.writeUInt32BE(Number(v), this.pos); this.pos += 4 } else if (v <= 0xffffffffffffffffn) { b[this.pos++] = 0xcf; b.writeBigUInt64BE(v, this.pos); this.pos += 8 } else throw new RangeError(`integer ${v} does not fit in 64 bits`)
    } else {
      if (v >= -32n) b[this.pos++] = Number(v) & 0xff
      else if (v >= -0x80n) { b[this.pos++] = 0xd0; b.writeInt8(Number(v), this.pos); this.pos += 1 } else if (v >= -0x8000n) { b[this.pos++] = 0xd1; b.writeInt16BE(Number(v), this.pos); this.pos += 2 } else if (v >= -0x80000000n) { b[this.pos++] = 0xd2; b.writeInt32BE(Number(v), this.pos); this.pos += 4 } else if (v >= -0x8000000000000000n) { b[this.pos++] = 0xd3; b.writeBigInt64BE(v, this.pos); this.pos += 8 } else throw new RangeError(`integer ${v} does not fit in 64 bits`)
    }
  }

  /** A safe integer (|v| < 2^53) without going through bigint. */
  intNum (v: number): void {
    this.ensure(9)
    const b = this.buf
    if (v >= 0) {
      if (v < 0x80) b[this.pos++] = v
      else if (v < 0x100) { b[this.pos++] = 0xcc; b[this.pos++] = v } else if (v < 0x10000) { b[this.pos++] = 0xcd; b.writeUInt16BE(v, this.pos); this.pos += 2 } else if (v < 0x100000000) { b[this.pos++] = 0xce; b.writeUInt32BE(v, this.pos); this.pos += 4 } else { b[this.pos++] = 0xcf; b.writeUInt32BE(Math.floor(v / 0x100000000), this.pos); b.writeUInt32BE(v >>> 0, this.pos + 4); this.pos += 8 }
    } else {
      if (v >= -32) b[this.pos++] = v & 0xff
      else if (v >= -0x80) { b[this.pos++] = 0xd0; b.writeInt8(v, this.pos); this.pos += 1 } else if (v >= -0x8000) { b[this.pos++] = 0xd1; b.writeInt16BE(v, this.pos); this.pos += 2 } else if (v >= -0x80000000) { b[this.pos++] = 0xd2; b.writeInt32BE(v, this.pos); this.pos += 4 } else { b[this.pos++] = 0xd3; b.writeBigInt64BE(BigInt(v), this.pos); this.pos += 8 }
    }
  }

  double (v: number): void { this.ensure(9); this.buf[this.pos++] = 0xcb; this.buf.writeDoubleBE(v, this.pos); this.pos += 8 }

  /** A str with particle prefix `p` holding the UTF-8 of `s`. */
  str (p: number, s: string): void {
    const len = s.length
    if (len <= 64) {
      // a short ASCII string is copied by hand (cheaper than measuring and
      // writing it with two native calls: bench/ndjson/ndjson.bench.ts);
      // header as header() writes it: fixstr up to 31 bytes with the prefix, else str8
      const hdr = len + 1 <= 0x1f ? 1 : 2
      this.ensure(hdr + 1 + len)
      const b = this.buf
      const at = this.pos
      let o = at + hdr + 1
      let i = 0
      for (; i < len; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        b[o++] = c
      }
      if (i === len) {
        if (hdr === 1) b[at] = 0xa0 | (len + 1)
        else { b[at] = 0xd9; b[at + 1] = len + 1 }
        b[at + hdr] = p
        this.pos = o
        return
      }
    }
    const n = Buffer.byteLength(s, 'utf8')
    this.header(n + 1, 0xa0, 0x1f, 0xda, 0xdb, 0xd9)
    this.ensure(n + 1)
    this.buf[this.pos++] = p
    this.pos += this.buf.write(s, this.pos, 'utf8')
  }

  /** A str with particle prefix `p` holding `v`. */
  bytes (p: number, v: Buffer): void {
    this.header(v.length + 1, 0xa0, 0x1f, 0xda, 0xdb, 0xd9)
    this.ensure(v.length + 1)
    this.buf[this.pos++] = p
    v.copy(this.buf, this.pos); this.pos += v.length
  }

  listHeader (count: number, flags: number | null): void {
    this.header(count + (flags === null ? 0 : 1), 0x90, 0x0f, 0xdc, 0xdd)
    if (flags !== null) this.marker(flags)
  }

  mapHeader (count: number, flags: number | null): void {
    this.header(count + (flags === null ? 0 : 1), 0x80, 0x0f, 0xde, 0xdf)
    if (flags !== null) { this.marker(flags); this.byte(0xc0) }
  }

  /** A copy of what was written; the writer starts over. */
  take (): Buffer {
    const out = Buffer.from(this.buf.subarray(this.start, this.pos))
    this.pos = this.start
    return out
  }

  /**
   * The value written since the last slice(), without a copy: the writer
   * then works as a slab, each value a view of it (the next value starts
   * after this one; a full slab is left to the values that view it).
   */
  slice (): Buffer {
    const out = this.buf.subarray(this.start, this.pos)
    this.start = this.pos
    return out
  }

  node (n: CdtNode): void {
    switch (n.t) {
      case 'nil': this.byte(0xc0); return
      case 'bool': this.byte(n.v ? 0xc3 : 0xc2); return
      case 'int': this.int(n.v); return
      case 'double': this.ensure(9); this.buf[this.pos++] = 0xcb; this.buf.writeDoubleBE(n.v, this.pos); this.pos += 8; return
      case 'float32': {
        this.ensure(5)
        this.buf[this.pos++] = 0xca
        this.buf.writeFloatBE(n.v, this.pos); this.pos += 4
        return
      }
      case 'bytes': {
        this.header(n.v.length + 1, 0xa0, 0x1f, 0xda, 0xdb, 0xd9)
        this.ensure(n.v.length + 1)
        this.buf[this.pos++] = n.p
        n.v.copy(this.buf, this.pos); this.pos += n.v.length
        return
      }
      case 'list': {
        const count = n.items.length + (n.flags === null ? 0 : 1)
        this.header(count, 0x90, 0x0f, 0xdc, 0xdd)
        if (n.flags !== null) this.marker(n.flags)
        for (const it of n.items) this.node(it)
        return
      }
      case 'map': {
        const count = n.entries.length + (n.flags === null ? 0 : 1)
        this.header(count, 0x80, 0x0f, 0xde, 0xdf)
        if (n.flags !== null) { this.marker(n.flags); this.byte(0xc0) }
        for (const [k, v] of n.entries) { this.node(k); this.node(v) }
      }
    }
  }

  marker (flags: number): void {
    this.ensure(3)
    this.buf[this.pos++] = 0xc7; this.buf[this.pos++] = 0; this.buf[this.pos++] = flags & 0xff
  }
}

/** Encodes a typed tree the way the server packs it (minimal ints and headers). */
export function encodeCdt (node: CdtNode): Buffer {
  const w = new Writer()
  w.node(node)
  return w.slice()
}

/**
 * The typed tree of a LIST/MAP particle when it re-encodes to exactly the same
 * bytes (the lossless condition), else null: the caller keeps the raw bytes.
 * `type` is the bin's particle type; a top-level value of the other kind is
 * also refused.
 */
export function canonicalCdt (buf: Buffer, type: number): CdtNode | null {
  let node: CdtNode
  try {
    node = decodeCdt(buf)
  } catch (err) {
    if (err instanceof CdtError) return null
    throw err
  }
  if (type === Particle.LIST ? node.t !== 'list' : node.t !== 'map') return null
  if (!typedExactly(node)) return null
  const again = encodeCdt(node)
  if (!again.equals(buf)) return null
  // NaN payloads: a typed NaN stands for the canonical quiet NaN only
  return hasOddNaN(buf) ? null : node
}

/** True for the quiet NaN bit patterns `7ff8 0..` / `fff8 0..` (float64) and `7fc0 0000` / `ffc0 0000` (float32). */
export function isQuietNaN (b: Buffer, at: number, size: 4 | 8): boolean {
  if ((b[at]! & 0x7f) !== 0x7f) return false
  if (b[at + 1] !== (size === 8 ? 0xf8 : 0xc0)) return false
  for (let i = 2; i < size; i++) if (b[at + i] !== 0) return false
  return true
}

function typedExactly (n: CdtNode): boolean {
  switch (n.t) {
    case 'bytes': return CDT_PREFIXES.has(n.p)
    case 'list': return n.items.every(typedExactly)
    case 'map': return n.entries.every(([k, v]) => typedExactly(k) && typedExactly(v))
    default: return true
  }
}

/** Walks a canonical particle for NaNs with a payload other than the quiet NaN. */
function hasOddNaN (buf: Buffer): boolean {
  let odd = false
  const walk = (r: Reader): void => {
    const c = r.buf[r.pos]!
    if (c === 0xcb || c === 0xca) {
      const size = c === 0xcb ? 8 : 4
      const v = size === 8 ? r.buf.readDoubleBE(r.pos + 1) : r.buf.readFloatBE(r.pos + 1)
      if (Number.isNaN(v) && !isQuietNaN(r.buf, r.pos + 1, size)) odd = true
    }
  }
  const r = new Reader(buf)
  r.onValue = walk
  r.node(0)
  return odd
}
