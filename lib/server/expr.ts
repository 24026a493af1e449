// Filter expressions (field 43, wire-protocol.md §6.1) evaluated against a
// stored record: enough of the server's exp.c for what backups filter on
// (last-update, void-time/ttl, set name, key, digest modulo, bin comparisons,
// and/or/not, regex). Anything else makes the expression unknown, which
// filters the record out, as the server does on a failed evaluation.
import { Particle } from '../types.js'
import { MpFloat, MpStr, unpack, type MpValue } from './msgpack.js'
import type { StoredRecord } from './store.js'
import { CITRUSLEAF_EPOCH } from '../types.js'

type EV =
  | { k: 'int', v: bigint }
  | { k: 'float', v: number }
  | { k: 'bool', v: boolean }
  /** string/blob/geo bytes with the particle type prefix byte, as literals carry them */
  | { k: 'bytes', v: Buffer }
  | { k: 'raw', t: number, v: Buffer }
  | { k: 'nil' }
  | { k: 'unknown' }

const UNKNOWN: EV = { k: 'unknown' }

export interface ExpContext {
  rec: StoredRecord
  nowMs: number
}

export interface CompiledExp {
  tree: MpValue
}

/** Parses a FILTER_EXP field; throws on malformed msgpack. */
export function compileFilter (data: Buffer): CompiledExp {
  return { tree: unpack(data) }
}

/** True when the record passes the filter. */
export function evalFilter (exp: CompiledExp, ctx: ExpContext): boolean {
  const v = ev(exp.tree, ctx)
  return v.k === 'bool' && v.v
}

function prefixed (type: number, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length + 1)
  out[0] = type
  b.copy(out, 1)
  return out
}

function particleEV (type: number, value: Buffer): EV {
  switch (type) {
    case Particle.NIL: return { k: 'nil' }
    case Particle.INTEGER: return { k: 'int', v: value.readBigInt64BE(0) }
    case Particle.DOUBLE: return { k: 'float', v: value.readDoubleBE(0) }
    case Particle.BOOL: return { k: 'bool', v: value[0] !== 0 }
    case Particle.GEOJSON: {
      const n = value.readUInt16BE(1)
      return { k: 'bytes', v: prefixed(type, value.subarray(3 + 8 * n)) }
    }
    case Particle.LIST:
    case Particle.MAP:
      return { k: 'raw', t: type, v: value }
    default: return { k: 'bytes', v: prefixed(type, value) }
  }
}

// exp types of BIN / KEY reads: NIL 0, BOOL 1, INT 2, STR 3, LIST 4, MAP 5, BLOB 6, FLOAT 7, GEO 8, HLL 9
const EXP_TYPE_PARTICLE: Record<number, number[]> = {
  1: [Particle.BOOL],
  2: [Particle.INTEGER],
  3: [Particle.STRING],
  4: [Particle.LIST],
  5: [Particle.MAP],
  6: [Particle.BLOB, Particle.JAVA, Particle.CSHARP, Particle.PYTHON, Particle.RUBY, Particle.PHP, Particle.ERLANG, Particle.VECTOR],
  7: [Particle.DOUBLE],
  8: [Particle.GEOJSON],
  9: [Particle.HLL]
}

function literal (x: MpValue): EV {
  if (x === null) return { k: 'nil' }
  if (typeof x === 'boolean') return { k: 'bool', v: x }
  if (typeof x === 'bigint') return { k: 'int', v: BigInt.asIntN(64, x) }
  if (x instanceof MpFloat) return { k: 'float', v: x.value }
  if (x instanceof MpStr) return { k: 'bytes', v: x.bytes }
  if (Buffer.isBuffer(x)) return { k: 'bytes', v: prefixed(Particle.BLOB, x) }
  return UNKNOWN
}

function cmp (a: EV, b: EV): number | null {
  if ((a.k === 'int' || a.k === 'float') && (b.k === 'int' || b.k === 'float')) {
    if (a.k === 'int' && b.k === 'int') return a.v < b.v ? -1 : a.v > b.v ? 1 : 0
    const x = Number(a.v); const y = Number(b.v)
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (a.k === 'bytes' && b.k === 'bytes') return Buffer.compare(a.v, b.v)
  if (a.k === 'bool' && b.k === 'bool') return Number(a.v) - Number(b.v)
  if (a.k === 'nil' && b.k === 'nil') return 0
  if (a.k === 'raw' && b.k === 'raw') return Buffer.compare(a.v, b.v)
  return null
}

function nameOf (x: MpValue): Buffer | null {
  if (x instanceof MpStr) return x.bytes
  if (Buffer.isBuffer(x)) return x
  return null
}

function ev (x: MpValue, ctx: ExpContext): EV {
  if (!Array.isArray(x)) return literal(x)
  if (x.length === 0) return UNKNOWN
  const op = x[0]
  if (typeof op !== 'bigint') return UNKNOWN
  const rec = ctx.rec
  switch (Number(op)) {
    case 1: case 2: case 3: case 4: case 5: case 6: {
      const a = ev(x[1]!, ctx); const b = ev(x[2]!, ctx)
      if (a.k === 'unknown' || b.k === 'unknown') return UNKNOWN
      const c = cmp(a, b)
      if (c === null) return Number(op) === 2 ? { k: 'bool', v: true } : Number(op) === 1 ? { k: 'bool', v: false } : UNKNOWN
      const r = [c === 0, c !== 0, c > 0, c >= 0, c < 0, c <= 0][Number(op) - 1]!
      return { k: 'bool', v: r }
    }
    case 7: { // REGEX [7, flags, regex, exp]
      const flags = Number(x[1] as bigint)
      const re = nameOf(x[2]!)
      const s = ev(x[3]!, ctx)
      if (re === null || s.k !== 'bytes' || s.v[0] !== Particle.STRING) return UNKNOWN
      const f = ((flags & 2) !== 0 ? 'i' : '') + ((flags & 8) !== 0 ? 'm' : '')
      return { k: 'bool', v: new RegExp(re.toString('utf8'), f).test(s.v.subarray(1).toString('utf8')) }
    }
    case 16: case 17: { // AND / OR
      let sawUnknown = false
      for (const a of x.slice(1)) {
        const v = ev(a, ctx)
        if (v.k !== 'bool') { sawUnknown = true; continue }
        if (Number(op) === 16 && !v.v) return { k: 'bool', v: false }
        if (Number(op) === 17 && v.v) return { k: 'bool', v: true }
      }
      return sawUnknown ? UNKNOWN : { k: 'bool', v: Number(op) === 16 }
    }
    case 18: { const v = ev(x[1]!, ctx); return v.k === 'bool' ? { k: 'bool', v: !v.v } : UNKNOWN }
    case 19: { // EXCLUSIVE: exactly one true
      let n = 0
      for (const a of x.slice(1)) { const v = ev(a, ctx); if (v.k !== 'bool') return UNKNOWN; if (v.v) n++ }
      return { k: 'bool', v: n === 1 }
    }
    case 20: case 21: case 22: { // ADD SUB MUL on ints
      const vals = x.slice(1).map(a => ev(a, ctx))
      if (vals.some(v => v.k !== 'int')) return UNKNOWN
      let acc = (vals[0] as { v: bigint }).v
      for (const v of vals.slice(1)) {
        const n = (v as { v: bigint }).v
        acc = Number(op) === 20 ? acc + n : Number(op) === 21 ? acc - n : acc * n
      }
      return { k: 'int', v: BigInt.asIntN(64, acc) }
    }
    case 64: { // DIGEST_MODULO
      const m = x[1]
      if (typeof m !== 'bigint' || m <= 0n) return UNKNOWN
      return { k: 'int', v: BigInt(rec.digest.readUInt32LE(16)) % m }
    }
    case 65: case 73: case 74: return { k: 'int', v: BigInt(recordSize(rec)) }
    case 66: return { k: 'int', v: BigInt(rec.lutMs) * 1_000_000n }
    case 67: return { k: 'int', v: BigInt(Math.max(0, ctx.nowMs - rec.lutMs)) }
    case 68: return { k: 'int', v: rec.voidTime === 0 ? -1n : BigInt(rec.voidTime + CITRUSLEAF_EPOCH) * 1_000_000_000n }
    case 69: {
      if (rec.voidTime === 0) return { k: 'int', v: -1n }
      const now = Math.floor(ctx.nowMs / 1000) - CITRUSLEAF_EPOCH
      return { k: 'int', v: BigInt(Math.max(0, rec.voidTime - now)) }
    }
    case 70: return { k: 'bytes', v: prefixed(Particle.STRING, rec.set ?? Buffer.alloc(0)) }
    case 71: return { k: 'bool', v: rec.key !== null }
    case 72: return { k: 'bool', v: false }
    case 80: { // KEY [80, exp type]
      if (rec.key === null) return UNKNOWN
      const v = particleEV(rec.key[0]!, rec.key.subarray(1))
      return v
    }
    case 81: { // BIN [81, exp type, name]
      const want = Number(x[1] as bigint)
      const name = nameOf(x[2]!)
      if (name === null) return UNKNOWN
      const bin = rec.bins.get(name.toString('latin1'))
      if (bin === undefined) return UNKNOWN
      const allowed = EXP_TYPE_PARTICLE[want]
      if (allowed !== undefined && !allowed.includes(bin.particle)) return UNKNOWN
      return particleEV(bin.particle, bin.value)
    }
    case 82: { // BIN_TYPE [82, name]
      const name = nameOf(x[1]!)
      if (name === null) return UNKNOWN
      const bin = rec.bins.get(name.toString('latin1'))
      return { k: 'int', v: BigInt(bin === undefined ? 0 : bin.particle) }
    }
    case 126: return x[1] !== undefined && Array.isArray(x[1]) ? UNKNOWN : literal(x[1] ?? null)
  }
  return UNKNOWN
}

export function recordSize (rec: StoredRecord): number {
  let n = 0
  for (const [name, b] of rec.bins) n += name.length + b.value.length + 2
  return n + (rec.key?.length ?? 0)
}
