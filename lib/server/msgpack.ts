// A small msgpack reader for what the test server has to understand: filter
// expressions, UDF argument lists, CDT contexts. Integers are bigint; str and
// bin are kept as bytes (MpStr / Buffer) because Aerospike puts a particle
// type byte in front of string values (wire-protocol.md §6).
import { AsbError, ErrorCode } from '../errors.js'

export class MpStr {
  constructor (readonly bytes: Buffer) {}
}
export class MpExt {
  constructor (readonly type: number, readonly data: Buffer) {}
}
export class MpFloat {
  constructor (readonly value: number) {}
}
export type MpValue = null | boolean | bigint | MpFloat | MpStr | Buffer | MpValue[] | MpExt | MpMap

export class MpMap {
  constructor (readonly entries: Array<[MpValue, MpValue]>) {}
}

export function unpack (buf: Buffer): MpValue {
  const r = { off: 0 }
  const v = read(buf, r)
  return v
}

/** Reads one value at `r.off`, advancing it. */
export function read (buf: Buffer, r: { off: number }): MpValue {
  if (r.off >= buf.length) throw new AsbError(ErrorCode.PROTOCOL, 'msgpack truncated')
  const b = buf[r.off++]!
  if (b <= 0x7f) return BigInt(b)
  if (b >= 0xe0) return BigInt(b - 256)
  if ((b & 0xf0) === 0x80) return readMap(buf, r, b & 0x0f)
  if ((b & 0xf0) === 0x90) return readArray(buf, r, b & 0x0f)
  if ((b & 0xe0) === 0xa0) return readStr(buf, r, b & 0x1f)
  switch (b) {
    case 0xc0: return null
    case 0xc2: return false
    case 0xc3: return true
    case 0xc4: return readBin(buf, r, buf.readUInt8(r.off++))
    case 0xc5: { const n = buf.readUInt16BE(r.off); r.off += 2; return readBin(buf, r, n) }
    case 0xc6: { const n = buf.readUInt32BE(r.off); r.off += 4; return readBin(buf, r, n) }
    case 0xc7: { const n = buf.readUInt8(r.off); const t = buf.readInt8(r.off + 1); r.off += 2; return readExt(buf, r, t, n) }
    case 0xc8: { const n = buf.readUInt16BE(r.off); const t = buf.readInt8(r.off + 2); r.off += 3; return readExt(buf, r, t, n) }
    case 0xc9: { const n = buf.readUInt32BE(r.off); const t = buf.readInt8(r.off + 4); r.off += 5; return readExt(buf, r, t, n) }
    case 0xca: { const v = buf.readFloatBE(r.off); r.off += 4; return new MpFloat(v) }
    case 0xcb: { const v = buf.readDoubleBE(r.off); r.off += 8; return new MpFloat(v) }
    case 0xcc: return BigInt(buf.readUInt8(r.off++))
    case 0xcd: { const v = buf.readUInt16BE(r.off); r.off += 2; return BigInt(v) }
    case 0xce: { const v = buf.readUInt32BE(r.off); r.off += 4; return BigInt(v) }
    case 0xcf: { const v = buf.readBigUInt64BE(r.off); r.off += 8; return v }
    case 0xd0: return BigInt(buf.readInt8(r.off++))
    case 0xd1: { const v = buf.readInt16BE(r.off); r.off += 2; return BigInt(v) }
    case 0xd2: { const v = buf.readInt32BE(r.off); r.off += 4; return BigInt(v) }
    case 0xd3: { const v = buf.readBigInt64BE(r.off); r.off += 8; return v }
    case 0xd4: return readExt(buf, r, buf.readInt8(r.off++), 1)
    case 0xd5: return readExt(buf, r, buf.readInt8(r.off++), 2)
    case 0xd6: return readExt(buf, r, buf.readInt8(r.off++), 4)
    case 0xd7: return readExt(buf, r, buf.readInt8(r.off++), 8)
    case 0xd8: return readExt(buf, r, buf.readInt8(r.off++), 16)
    case 0xd9: return readStr(buf, r, buf.readUInt8(r.off++))
    case 0xda: { const n = buf.readUInt16BE(r.off); r.off += 2; return readStr(buf, r, n) }
    case 0xdb: { const n = buf.readUInt32BE(r.off); r.off += 4; return readStr(buf, r, n) }
    case 0xdc: { const n = buf.readUInt16BE(r.off); r.off += 2; return readArray(buf, r, n) }
    case 0xdd: { const n = buf.readUInt32BE(r.off); r.off += 4; return readArray(buf, r, n) }
    case 0xde: { const n = buf.readUInt16BE(r.off); r.off += 2; return readMap(buf, r, n) }
    case 0xdf: { const n = buf.readUInt32BE(r.off); r.off += 4; return readMap(buf, r, n) }
  }
  throw new AsbError(ErrorCode.PROTOCOL, `msgpack: unsupported byte 0x${b.toString(16)}`)
}

function take (buf: Buffer, r: { off: number }, n: number): Buffer {
  if (r.off + n > buf.length) throw new AsbError(ErrorCode.PROTOCOL, 'msgpack truncated')
  const s = buf.subarray(r.off, r.off + n)
  r.off += n
  return s
}
function readStr (buf: Buffer, r: { off: number }, n: number): MpStr { return new MpStr(take(buf, r, n)) }
function readBin (buf: Buffer, r: { off: number }, n: number): Buffer { return take(buf, r, n) }
function readExt (buf: Buffer, r: { off: number }, t: number, n: number): MpExt { return new MpExt(t, take(buf, r, n)) }
function readArray (buf: Buffer, r: { off: number }, n: number): MpValue[] {
  const out: MpValue[] = []
  for (let i = 0; i < n; i++) out.push(read(buf, r))
  return out
}
function readMap (buf: Buffer, r: { off: number }, n: number): MpMap {
  const out: Array<[MpValue, MpValue]> = []
  for (let i = 0; i < n; i++) { const k = read(buf, r); out.push([k, read(buf, r)]) }
  return new MpMap(out)
}
