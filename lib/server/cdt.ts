// What the server does to an incoming LIST/MAP particle (cdt_untrusted_rewrite,
// wire-protocol.md §6): re-encode every int and str header minimally, turn
// bin8/16/32 into str, sort unordered maps by key, strip persisted-index
// flags, and reject (result 1) K_ORDERED maps that are unsorted or hold
// duplicate keys, ORDERED lists that are unsorted, and map keys that are not
// int, string or blob.
import { AsbError, ErrorCode } from '../errors.js'

type N =
  | { t: 'nil' }
  | { t: 'bool', v: boolean }
  | { t: 'int', v: bigint }
  | { t: 'float', v: number, raw: Buffer }
  | { t: 'str', b: Buffer }
  | { t: 'arr', items: N[], flags: number | null }
  | { t: 'map', entries: Array<[N, N]>, flags: number | null }
  | { t: 'ext', type: number, data: Buffer }

class Invalid extends Error {}

function parse (buf: Buffer, r: { off: number }): N {
  if (r.off >= buf.length) throw new Invalid('truncated')
  const b = buf[r.off++]!
  const need = (n: number): void => { if (r.off + n > buf.length) throw new Invalid('truncated') }
  const u8 = (): number => { need(1); return buf[r.off++]! }
  const u16 = (): number => { need(2); const v = buf.readUInt16BE(r.off); r.off += 2; return v }
  const u32 = (): number => { need(4); const v = buf.readUInt32BE(r.off); r.off += 4; return v }
  const bytes = (n: number): Buffer => { need(n); const s = buf.subarray(r.off, r.off + n); r.off += n; return s }
  const ext = (n: number): N => { need(1); const type = buf[r.off++]!; return { t: 'ext', type, data: bytes(n) } }
  if (b <= 0x7f) return { t: 'int', v: BigInt(b) }
  if (b >= 0xe0) return { t: 'int', v: BigInt(b - 256) }
  if ((b & 0xf0) === 0x80) return map(buf, r, b & 0x0f)
  if ((b & 0xf0) === 0x90) return arr(buf, r, b & 0x0f)
  if ((b & 0xe0) === 0xa0) return { t: 'str', b: bytes(b & 0x1f) }
  switch (b) {
    case 0xc0: return { t: 'nil' }
    case 0xc2: return { t: 'bool', v: false }
    case 0xc3: return { t: 'bool', v: true }
    case 0xc4: return { t: 'str', b: bytes(u8()) }
    case 0xc5: return { t: 'str', b: bytes(u16()) }
    case 0xc6: return { t: 'str', b: bytes(u32()) }
    case 0xc7: return ext(u8())
    case 0xc8: return ext(u16())
    case 0xc9: return ext(u32())
    case 0xca: { const raw = bytes(4); return { t: 'float', v: raw.readFloatBE(0), raw: Buffer.concat([Buffer.from([0xca]), raw]) } }
    case 0xcb: { const raw = bytes(8); return { t: 'float', v: raw.readDoubleBE(0), raw: Buffer.concat([Buffer.from([0xcb]), raw]) } }
    case 0xcc: return { t: 'int', v: BigInt(u8()) }
    case 0xcd: return { t: 'int', v: BigInt(u16()) }
    case 0xce: return { t: 'int', v: BigInt(u32()) }
    case 0xcf: { need(8); const v = buf.readBigUInt64BE(r.off); r.off += 8; return { t: 'int', v } }
    case 0xd0: { need(1); const v = buf.readInt8(r.off); r.off += 1; return { t: 'int', v: BigInt(v) } }
    case 0xd1: { need(2); const v = buf.readInt16BE(r.off); r.off += 2; return { t: 'int', v: BigInt(v) } }
    case 0xd2: { need(4); const v = buf.readInt32BE(r.off); r.off += 4; return { t: 'int', v: BigInt(v) } }
    case 0xd3: { need(8); const v = buf.readBigInt64BE(r.off); r.off += 8; return { t: 'int', v } }
    case 0xd4: return ext(1)
    case 0xd5: return ext(2)
    case 0xd6: return ext(4)
    case 0xd7: return ext(8)
    case 0xd8: return ext(16)
    case 0xd9: return { t: 'str', b: bytes(u8()) }
    case 0xda: return { t: 'str', b: bytes(u16()) }
    case 0xdb: return { t: 'str', b: bytes(u32()) }
    case 0xdc: return arr(buf, r, u16())
    case 0xdd: return arr(buf, r, u32())
    case 0xde: return map(buf, r, u16())
    case 0xdf: return map(buf, r, u32())
  }
  throw new Invalid(`byte 0x${b.toString(16)}`)
}

function arr (buf: Buffer, r: { off: number }, n: number): N {
  const items: N[] = []
  for (let i = 0; i < n; i++) items.push(parse(buf, r))
  let flags: number | null = null
  if (items.length > 0 && items[0]!.t === 'ext') flags = (items.shift() as { type: number }).type
  return { t: 'arr', items, flags }
}

function map (buf: Buffer, r: { off: number }, n: number): N {
  const entries: Array<[N, N]> = []
  for (let i = 0; i < n; i++) { const k = parse(buf, r); entries.push([k, parse(buf, r)]) }
  let flags: number | null = null
  if (entries.length > 0 && entries[0]![0].t === 'ext') flags = (entries.shift()![0] as { type: number }).type
  return { t: 'map', entries, flags }
}

// msgpack_cmp type order: NIL < false < true < neg int < int < STRING < LIST < MAP < BYTES < DOUBLE < GEOJSON < ext
function rank (n: N): number {
  switch (n.t) {
    case 'nil': return 1
    case 'bool': return n.v ? 3 : 2
    case 'int': return n.v < 0n ? 4 : 5
    case 'str': return n.b.length === 0 ? 9 : n.b[0] === 3 ? 6 : n.b[0] === 23 ? 11 : 9
    case 'arr': return 7
    case 'map': return 8
    case 'float': return 10
    case 'ext': return 12
  }
}

export function compare (a: N, b: N): number {
  const ra = rank(a); const rb = rank(b)
  if (ra !== rb) return ra - rb
  if (a.t === 'int' && b.t === 'int') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0
  if (a.t === 'float' && b.t === 'float') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0
  if (a.t === 'str' && b.t === 'str') {
    const n = Math.min(a.b.length, b.b.length)
    const c = Buffer.compare(a.b.subarray(0, n), b.b.subarray(0, n))
    return c !== 0 ? c : a.b.length - b.b.length
  }
  if (a.t === 'arr' && b.t === 'arr') {
    const n = Math.min(a.items.length, b.items.length)
    for (let i = 0; i < n; i++) { const c = compare(a.items[i]!, b.items[i]!); if (c !== 0) return c }
    return a.items.length - b.items.length
  }
  if (a.t === 'map' && b.t === 'map') {
    if (a.entries.length !== b.entries.length) return a.entries.length - b.entries.length
    for (let i = 0; i < a.entries.length; i++) {
      const c = compare(a.entries[i]![0], b.entries[i]![0]) || compare(a.entries[i]![1], b.entries[i]![1])
      if (c !== 0) return c
    }
  }
  return 0
}

function check (n: N): void {
  if (n.t === 'arr') {
    n.items.forEach(check)
    if (n.flags !== null && (n.flags & 1) !== 0) {
      for (let i = 1; i < n.items.length; i++) if (compare(n.items[i - 1]!, n.items[i]!) > 0) throw new Invalid('list not ordered as expected')
    }
  } else if (n.t === 'map') {
    for (const [k, v] of n.entries) {
      if (k.t !== 'int' && !(k.t === 'str')) throw new Invalid('invalid map key')
      check(v)
    }
    if (n.flags !== null && (n.flags & 1) !== 0) {
      for (let i = 1; i < n.entries.length; i++) {
        const c = compare(n.entries[i - 1]![0], n.entries[i]![0])
        if (c > 0) throw new Invalid('map not ordered as expected')
        if (c === 0) throw new Invalid('duplicate keys')
      }
    } else {
      n.entries.sort((a, b) => compare(a[0], b[0]))
      for (let i = 1; i < n.entries.length; i++) if (compare(n.entries[i - 1]![0], n.entries[i]![0]) === 0) throw new Invalid('duplicate keys')
    }
  }
}

function emitInt (out: number[], v: bigint): void {
  const push = (b: Buffer): void => { for (const x of b) out.push(x) }
  if (v >= 0n) {
    if (v < 128n) out.push(Number(v))
    else if (v < 256n) out.push(0xcc, Number(v))
    else if (v < 65536n) { const b = Buffer.alloc(3); b[0] = 0xcd; b.writeUInt16BE(Number(v), 1); push(b) }
    else if (v < 4294967296n) { const b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(Number(v), 1); push(b) }
    else { const b = Buffer.alloc(9); b[0] = 0xcf; b.writeBigUInt64BE(v, 1); push(b) }
  } else {
    if (v >= -32n) out.push(Number(v) + 256)
    else if (v >= -128n) out.push(0xd0, Number(v) & 0xff)
    else if (v >= -32768n) { const b = Buffer.alloc(3); b[0] = 0xd1; b.writeInt16BE(Number(v), 1); push(b) }
    else if (v >= -2147483648n) { const b = Buffer.alloc(5); b[0] = 0xd2; b.writeInt32BE(Number(v), 1); push(b) }
    else { const b = Buffer.alloc(9); b[0] = 0xd3; b.writeBigInt64BE(v, 1); push(b) }
  }
}

function emitLen (out: number[], n: number, fix: number, fixMax: number, b16: number, b32: number, b8?: number): void {
  if (n <= fixMax) out.push(fix | n)
  else if (b8 !== undefined && n < 256) out.push(b8, n)
  else if (n < 65536) out.push(b16, n >> 8, n & 0xff)
  else out.push(b32, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

function emit (out: number[], n: N): void {
  switch (n.t) {
    case 'nil': out.push(0xc0); return
    case 'bool': out.push(n.v ? 0xc3 : 0xc2); return
    case 'int': emitInt(out, n.v); return
    case 'float': for (const x of n.raw) out.push(x); return
    case 'str': emitLen(out, n.b.length, 0xa0, 31, 0xda, 0xdb, 0xd9); for (const x of n.b) out.push(x); return
    case 'ext': {
      const len = n.data.length
      if ([1, 2, 4, 8, 16].includes(len)) out.push({ 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[len]!)
      else if (len < 256) out.push(0xc7, len)
      else out.push(0xc8, len >> 8, len & 0xff)
      out.push(n.type)
      for (const x of n.data) out.push(x)
      return
    }
    case 'arr': {
      const extra = n.flags !== null ? 1 : 0
      emitLen(out, n.items.length + extra, 0x90, 15, 0xdc, 0xdd)
      if (n.flags !== null) out.push(0xc7, 0x00, n.flags & ~0x10) // persisted index stripped
      for (const it of n.items) emit(out, it)
      return
    }
    case 'map': {
      const extra = n.flags !== null ? 1 : 0
      emitLen(out, n.entries.length + extra, 0x80, 15, 0xde, 0xdf)
      if (n.flags !== null) out.push(0xc7, 0x00, n.flags & ~0x10, 0xc0)
      for (const [k, v] of n.entries) { emit(out, k); emit(out, v) }
    }
  }
}

/** The particle as the server stores and returns it; throws AsbError (result 1 on the wire) when the server would reject it. */
export function normaliseCdt (value: Buffer): Buffer {
  try {
    const r = { off: 0 }
    const n = parse(value, r)
    if (r.off !== value.length) throw new Invalid('trailing bytes')
    if (n.t !== 'arr' && n.t !== 'map') throw new Invalid('not a list or map')
    check(n)
    const out: number[] = []
    emit(out, n)
    return Buffer.from(out)
  } catch (err) {
    if (err instanceof Invalid) throw new AsbError(ErrorCode.PROTOCOL, `invalid CDT particle: ${err.message}`)
    if (err instanceof RangeError) throw new AsbError(ErrorCode.PROTOCOL, 'invalid CDT particle: truncated')
    throw err
  }
}
