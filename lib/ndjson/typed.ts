// Typed JSON for Aerospike values (man/as-ndjson.5 is the specification).
//
// Canonical form: plain JSON where JSON is exact, `$`-tagged objects
// otherwise, so every value survives NDJSON -> .asb -> NDJSON unchanged:
//
//   nil null | bool true/false | int 42 or {"$int":"9223372036854775807"}
//   double 1.5 or {"$double":"3"|"-0"|"NaN"|"-NaN"|"Infinity"|"-Infinity"}
//   string "text" or {"$str64":"<base64>"} (not valid UTF-8)
//   bytes {"$blob"|"$java"|"$csharp"|"$python"|"$ruby"|"$php"|"$erlang"|"$vector"|"$hll":"<base64>"}
//   GeoJSON {"$geo":"<exact text>"} or {"$geo64":"<base64>"}
//   list [..] or {"$list":[..],"$flags":n}
//   map {"k":v,..} or {"$map":{..}|[[k,v],..],"$flags":n}
//   float32 (inside lists/maps only) {"$float32":1.5|"NaN"|..}
//   raw list/map particle {"$msgpack":"<base64>","$type":"list"|"map"}
//
// An object is a tag exactly when it has a member whose name starts with `$`;
// a plain object (a map) never has one.
import { isUtf8 } from 'node:buffer'
import { BYTES_PARTICLES, CITRUSLEAF_EPOCH, Particle } from '../types.js'
import type { Name, Value, BytesParticle } from '../types.js'
import { nameFromBytes } from '../name.js'
import { AsbError, ErrorCode } from '../errors.js'
import { decodeCdt, CdtError, Writer } from '../cdt/msgpack.js'
import { cdtToCanonicalJson } from './cdt-json.js'
import type { CdtNode } from '../cdt/msgpack.js'
import { base64Bytes, base64Slice, shortPlainAscii, utf8Bytes as slabUtf8, utf8Slice } from './buf.js'
import { INT64_MAX, INT64_MIN } from '../asb/int64.js'

/** A reason without position; the line decoder adds file and line. */
export class TypedJsonError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TypedJsonError'
  }
}

/** Thrown by the fast path when an integral number is beyond 2^53-1: re-parse the line exactly. */
export class NeedExactParse extends Error {}

export const BYTES_TAG: Readonly<Record<number, string>> = {
  [Particle.BLOB]: '$blob',
  [Particle.JAVA]: '$java',
  [Particle.CSHARP]: '$csharp',
  [Particle.PYTHON]: '$python',
  [Particle.RUBY]: '$ruby',
  [Particle.PHP]: '$php',
  [Particle.ERLANG]: '$erlang',
  [Particle.VECTOR]: '$vector',
  [Particle.HLL]: '$hll'
}
const TAG_BYTES: ReadonlyMap<string, BytesParticle> = new Map(
  Object.entries(BYTES_TAG).map(([p, tag]) => [tag, Number(p) as BytesParticle])
)

const MAX_SAFE = 9007199254740991n
const UINT64_MAX = 18446744073709551615n

const f64 = new Float64Array(1)
const f64u8 = new Uint8Array(f64.buffer)
const NEG_NAN = (() => { const dv = new DataView(new ArrayBuffer(8)); dv.setUint32(0, 0xfff80000); return dv.getFloat64(0) })()

// ---------------------------------------------------------------------------
// Values -> JSON text

/** The `$double` text of a double that plain JSON cannot carry exactly. */
export function doubleTag (v: number): string {
  if (Number.isNaN(v)) {
    f64[0] = v
    return (f64u8[7]! & 0x80) !== 0 ? '-NaN' : 'NaN'
  }
  if (v === 0 && Object.is(v, -0)) return '-0'
  return String(v)
}

function doubleJson (v: number, relaxed: boolean): string {
  if (Number.isFinite(v)) {
    if (relaxed) return Object.is(v, -0) ? '-0' : String(v)
    if (!Number.isInteger(v)) return String(v)
  } else if (relaxed) {
    return JSON.stringify(doubleTag(v))
  }
  return `{"$double":"${doubleTag(v)}"}`
}

function intJson (v: bigint, relaxed: boolean): string {
  if (relaxed || (v <= MAX_SAFE && v >= -MAX_SAFE)) return v.toString()
  return `{"$int":"${v.toString()}"}`
}

function stringJson (b: Buffer, relaxed: boolean): string {
  const short = shortPlainAscii(b, 0, b.length)
  if (short !== null) return '"' + short + '"'
  const s = utf8Slice(b, 0, b.length)
  // invalid UTF-8 always decodes with U+FFFD: check validity only then
  if (relaxed || s.indexOf('\uFFFD') === -1 || isUtf8(b)) return JSON.stringify(s)
  return `{"$str64":"${base64Slice(b, 0, b.length)}"}`
}

function geoJson (b: Buffer, relaxed: boolean): string {
  if (relaxed) {
    try {
      return JSON.stringify(JSON.parse(b.toString('utf8')))
    } catch {
      return JSON.stringify(b.toString('utf8'))
    }
  }
  if (isUtf8(b)) return `{"$geo":${JSON.stringify(b.toString('utf8'))}}`
  return `{"$geo64":"${b.toString('base64')}"}`
}

function bytesJson (p: number, b: Buffer, relaxed: boolean): string {
  if (relaxed) return `"${base64Slice(b, 0, b.length)}"`
  return `{"${BYTES_TAG[p]}":"${base64Slice(b, 0, b.length)}"}`
}

/** JSON text of a bin value (or key). */
export function valueToJson (v: Value, relaxed = false): string {
  switch (v.type) {
    case Particle.NIL: return 'null'
    case Particle.BOOL: return v.value ? 'true' : 'false'
    case Particle.INTEGER: return intJson(v.value, relaxed)
    case Particle.DOUBLE: return doubleJson(v.value, relaxed)
    case Particle.STRING: return stringJson(v.value, relaxed)
    case Particle.GEOJSON: return geoJson(v.value, relaxed)
    case Particle.LIST:
    case Particle.MAP: return cdtJson(v.type, v.value, relaxed)
    default:
      if (BYTES_PARTICLES.has(v.type)) return bytesJson(v.type, v.value, relaxed)
      throw new AsbError(ErrorCode.INVALID, `unknown particle type ${(v as { type: number }).type}`)
  }
}

function cdtJson (type: number, raw: Buffer, relaxed: boolean): string {
  if (relaxed) {
    try {
      return nodeJson(decodeCdt(raw), true)
    } catch (err) {
      if (!(err instanceof CdtError)) throw err
      return `"${raw.toString('base64')}"`
    }
  }
  const json = cdtToCanonicalJson(raw, type === Particle.LIST)
  if (json === null) return `{"$msgpack":"${raw.toString('base64')}","$type":"${type === Particle.LIST ? 'list' : 'map'}"}`
  return json
}

/** True for strings JSON.parse would move to the front of an object (array indexes). */
export function isIndexKey (s: string): boolean {
  const n = s.length
  if (n === 0 || n > 10) return false
  const c0 = s.charCodeAt(0)
  if (c0 < 48 || c0 > 57 || (c0 === 48 && n > 1)) return false
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return Number(s) <= 4294967294
}

/** A CDT map that can be a plain JSON object: unique, valid-UTF-8 string keys that neither look like tags nor reorder. */
function plainKeys (entries: Array<[CdtNode, CdtNode]>): string[] | null {
  const keys: string[] = []
  const seen = new Set<string>()
  for (const [k] of entries) {
    if (k.t !== 'bytes' || k.p !== Particle.STRING || !isUtf8(k.v)) return null
    const s = k.v.toString('utf8')
    if (s.charCodeAt(0) === 36 /* $ */ || isIndexKey(s) || seen.has(s)) return null
    seen.add(s)
    keys.push(s)
  }
  return keys
}

function relaxedKey (k: CdtNode): string {
  switch (k.t) {
    case 'bytes': return k.p === Particle.STRING || k.p === Particle.GEOJSON ? k.v.toString('utf8') : k.v.toString('base64')
    case 'int': return k.v.toString()
    case 'double': case 'float32': return String(k.v)
    case 'nil': return 'null'
    case 'bool': return String(k.v)
    default: return nodeJson(k, true)
  }
}

/** JSON text of a typed CDT element. */
export function nodeJson (n: CdtNode, relaxed: boolean): string {
  switch (n.t) {
    case 'nil': return 'null'
    case 'bool': return n.v ? 'true' : 'false'
    case 'int': return intJson(n.v, relaxed)
    case 'double': return doubleJson(n.v, relaxed)
    case 'float32':
      if (relaxed) return doubleJson(n.v, true)
      return Number.isFinite(n.v) && !Object.is(n.v, -0) ? `{"$float32":${String(n.v)}}` : `{"$float32":"${doubleTag(n.v)}"}`
    case 'bytes':
      if (n.p === Particle.STRING) return stringJson(n.v, relaxed)
      if (n.p === Particle.GEOJSON) return geoJson(n.v, relaxed)
      return bytesJson(n.p, n.v, relaxed)
    case 'list': {
      let s = '['
      for (let i = 0; i < n.items.length; i++) {
        if (i > 0) s += ','
        s += nodeJson(n.items[i]!, relaxed)
      }
      s += ']'
      if (relaxed || n.flags === null) return s
      return `{"$list":${s},"$flags":${n.flags}}`
    }
    case 'map': {
      if (relaxed) {
        let s = '{'
        for (let i = 0; i < n.entries.length; i++) {
          const [k, v] = n.entries[i]!
          if (i > 0) s += ','
          s += JSON.stringify(relaxedKey(k)) + ':' + nodeJson(v, true)
        }
        return s + '}'
      }
      const keys = plainKeys(n.entries)
      let s: string
      if (keys !== null) {
        s = '{'
        for (let i = 0; i < keys.length; i++) {
          if (i > 0) s += ','
          s += JSON.stringify(keys[i]) + ':' + nodeJson(n.entries[i]![1], false)
        }
        s += '}'
        if (n.flags === null) return s
      } else {
        s = '['
        for (let i = 0; i < n.entries.length; i++) {
          const [k, v] = n.entries[i]!
          if (i > 0) s += ','
          s += '[' + nodeJson(k, false) + ',' + nodeJson(v, false) + ']'
        }
        s += ']'
        if (n.flags === null) return `{"$map":${s}}`
      }
      return `{"$map":${s},"$flags":${n.flags}}`
    }
  }
}

/** JSON text of a name field (namespace, set, index, UDF): a string, or {"$str64":..} when not valid UTF-8. */
export function nameJson (name: Name, relaxed = false): string {
  if (typeof name === 'string') return JSON.stringify(name)
  if (relaxed || isUtf8(name)) return JSON.stringify(name.toString('utf8'))
  return `{"$str64":"${name.toString('base64')}"}`
}

/**
 * The member name for a bin: the name itself when it is valid UTF-8, else
 * U+0000 followed by the base64 of its bytes (a bin name can never contain
 * NUL, so the escape cannot clash with a real name).
 */
export function binKey (name: Name): string {
  if (typeof name === 'string') {
    if (name.charCodeAt(0) !== 0) return name
    return '\u0000' + Buffer.from(name, 'utf8').toString('base64')
  }
  if (isUtf8(name) && name[0] !== 0) return name.toString('utf8')
  return '\u0000' + name.toString('base64')
}

export function escapedBinKey (name: Name): string {
  return '\u0000' + (typeof name === 'string' ? Buffer.from(name, 'utf8') : name).toString('base64')
}

/** The bin name a `bins` member stands for. */
export function binNameFromKey (key: string): Name {
  if (key.charCodeAt(0) !== 0) return key
  const b64 = key.slice(1)
  if (!isBase64(b64)) throw new TypedJsonError(`bin name ${JSON.stringify(key)}: expected U+0000 followed by base64`)
  return nameFromBytes(Buffer.from(b64, 'base64'))
}

// ---------------------------------------------------------------------------
// Expiration

// Date.toISOString per record is the slowest part of a record line
// (bench/ndjson/ndjson.bench.ts): format the day once, the time of day by hand.
const dayCache = { day: -1, s: '' }

function pad2 (n: number): string {
  return n < 10 ? '0' + n : String(n)
}

/** ISO-8601 UTC text of a void-time (seconds since 2010-01-01), or null for 0 (never expires). */
export function voidTimeToIso (voidTime: number): string | null {
  if (voidTime === 0) return null
  const unix = voidTime + CITRUSLEAF_EPOCH
  const day = Math.floor(unix / 86400)
  if (day !== dayCache.day) {
    dayCache.day = day
    dayCache.s = new Date(day * 86400000).toISOString().slice(0, 11)
  }
  let sec = unix - day * 86400
  const h = Math.floor(sec / 3600)
  sec -= h * 3600
  const m = Math.floor(sec / 60)
  return `${dayCache.s}${pad2(h)}:${pad2(m)}:${pad2(sec - m * 60)}Z`
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/

function isoToVoidTimeSlow (v: unknown): number {
  const m = typeof v === 'string' ? ISO_RE.exec(v) : null
  if (m === null) {
    throw new TypedJsonError('expiration: expected null or an ISO-8601 time with a zone like "2027-01-01T00:00:00Z"')
  }
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec)
  const check = new Date(ms)
  const fracOk = m[7] === undefined || /^\.0+$/.test(m[7])
  const zoneOk = m[8] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59)
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d ||
      check.getUTCHours() !== h || check.getUTCMinutes() !== mi || check.getUTCSeconds() !== sec || !fracOk || !zoneOk) {
    throw new TypedJsonError(`expiration: ${JSON.stringify(v)} is not a valid whole-second time`)
  }
  const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60)
  const vt = ms / 1000 - offset - CITRUSLEAF_EPOCH
  if (vt < 1 || vt > 0xffffffff) {
    throw new TypedJsonError(`expiration: ${JSON.stringify(v)} is outside 2010-01-01T00:00:01Z..2146-02-07T06:28:15Z`)
  }
  return vt
}

/**
 * The void-time of an `expiration` member: null = 0 (never); else an
 * ISO-8601 time with a zone (Z or +-hh:mm) on a whole second, after
 * 2010-01-01T00:00:00Z and at most 2^32-1 seconds after it.
 */
export function isoToVoidTime (v: unknown): number {
  if (v === null) return 0
  // fast path for what we write, "YYYY-MM-DDTHH:MM:SSZ": the day from a cache
  if (typeof v === 'string' && v.length === 20 && v.charCodeAt(19) === 90 && v.charCodeAt(10) === 84 &&
      v.charCodeAt(13) === 58 && v.charCodeAt(16) === 58) {
    const day = v.slice(0, 10)
    if (day === parseDayCache.day) {
      const h = digits2(v, 11)
      const m = digits2(v, 14)
      const sec = digits2(v, 17)
      if (h < 24 && m < 60 && sec < 60) {
        const vt = parseDayCache.vt + h * 3600 + m * 60 + sec
        if (vt >= 1 && vt <= 0xffffffff) return vt
      }
    } else {
      const vt = isoToVoidTimeSlow(v)
      parseDayCache.day = day
      parseDayCache.vt = vt - (vt + CITRUSLEAF_EPOCH) % 86400
      return vt
    }
  }
  return isoToVoidTimeSlow(v)
}

const parseDayCache = { day: '', vt: 0 }

function digits2 (s: string, at: number): number {
  const a = s.charCodeAt(at) - 48
  const b = s.charCodeAt(at + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : 99
}

// ---------------------------------------------------------------------------
// JSON -> values

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

// String.prototype.isWellFormed is in Node 20 but not in the es2023 lib typings.
function wellFormed (s: string): boolean {
  return (s as unknown as { isWellFormed: () => boolean }).isWellFormed()
}

export function isBase64 (s: string): boolean {
  return B64_RE.test(s)
}

/**
 * Strict base64 (standard alphabet, padded): Node's decoder skips characters
 * outside the alphabet, so a decoded length short of what the text length
 * promises means there was one. (A regex test costs more than the decode:
 * bench/ndjson/ndjson.bench.ts.) The URL-safe `-` and `_` decode like `+` and `/`.
 */
export function fromBase64 (s: unknown, what: string, member?: string): Buffer {
  if (typeof s !== 'string' || (s.length & 3) !== 0) throw new TypedJsonError(`${member === undefined ? what : `${what}.${member}`}: expected a base64 string`)
  const n = s.length
  const pad = n === 0 ? 0 : s.charCodeAt(n - 1) !== 61 ? 0 : s.charCodeAt(n - 2) !== 61 ? 1 : 2
  const buf = base64Bytes(s, pad)
  if (buf.length !== (n / 4) * 3 - pad || (pad > 0 && s.indexOf('=') !== n - pad)) throw new TypedJsonError(`${member === undefined ? what : `${what}.${member}`}: expected a base64 string`)
  return buf
}

function utf8Bytes (s: string, what: string): Buffer {
  if (!wellFormed(s)) throw new TypedJsonError(`${what}: string has a lone surrogate (use {"$str64": ...} for bytes that are not UTF-8)`)
  return slabUtf8(s)
}

/** A name field: a string or {"$str64": base64}. */
export function jsonToName (j: unknown, what: string): Name {
  if (typeof j === 'string') {
    if (!wellFormed(j)) throw new TypedJsonError(`${what}: string has a lone surrogate`)
    return j
  }
  if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as { [k: string]: unknown }
    const keys = Object.keys(o)
    if (keys.length === 1 && keys[0] === '$str64') return nameFromBytes(fromBase64(o.$str64, `${what}.$str64`))
  }
  throw new TypedJsonError(`${what}: expected a string or {"$str64": base64}`)
}

function parseBigInt (s: unknown, what: string, min: bigint, max: bigint): bigint {
  let v: bigint
  if (typeof s === 'bigint') v = s
  else if (typeof s === 'number' && Number.isSafeInteger(s)) v = BigInt(s)
  else if (typeof s === 'string' && /^-?\d+$/.test(s)) v = BigInt(s)
  else throw new TypedJsonError(`${what}: expected an integer in a string like {"$int": "-9223372036854775808"}`)
  if (v < min || v > max) throw new TypedJsonError(`${what}: integer ${v} is out of range ${min}..${max}`)
  return v
}

const DOUBLE_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

function parseDoubleTag (s: unknown, what: string): number {
  if (typeof s === 'number') return s
  if (typeof s === 'bigint') return Number(s)
  if (typeof s === 'string') {
    switch (s) {
      case 'NaN': return NaN
      case '-NaN': return NEG_NAN
      case 'Infinity': return Infinity
      case '-Infinity': return -Infinity
    }
    if (DOUBLE_RE.test(s)) return Number(s)
  }
  throw new TypedJsonError(`${what}: expected a number or "NaN", "-NaN", "Infinity", "-Infinity", "-0"`)
}

function intOf (j: number | bigint, exact: boolean, parent: string, sub: string | null): bigint | null {
  // null: a double
  if (typeof j === 'bigint') return j
  if (exact) return null
  if (!Number.isInteger(j)) return null
  if (j <= 9007199254740991 && j >= -9007199254740991) return BigInt(j)
  throw new NeedExactParse(pathOf(parent, sub))
}

function flagsOf (o: { [k: string]: unknown }, what: string): number | null {
  const f = o.$flags
  if (f === undefined || f === null) return null
  const n = typeof f === 'bigint' ? Number(f) : f
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 255) throw new TypedJsonError(`${what}.$flags: expected an integer 0..255`)
  return n
}

function checkMembers (o: { [k: string]: unknown }, allowed: string[], what: string): void {
  for (const k in o) {
    if (!allowed.includes(k)) throw new TypedJsonError(`${what}: unexpected member ${JSON.stringify(k)} beside ${JSON.stringify(allowed[0])}`)
  }
}

/** checkMembers(o, [tag], what) without the array. */
function checkOnly (o: { [k: string]: unknown }, tag: string, what: string): void {
  for (const k in o) {
    if (k !== tag) throw new TypedJsonError(`${what}: unexpected member ${JSON.stringify(k)} beside ${JSON.stringify(tag)}`)
  }
}

function tagOf (o: { [k: string]: unknown }): string | null {
  // the main tag is the one that is not a modifier; else the first modifier
  let modifier: string | null = null
  for (const k in o) {
    if (k.charCodeAt(0) === 36) {
      if (k !== '$flags' && k !== '$type') return k
      modifier ??= k
    }
  }
  return modifier
}

// One shared writer packs every list/map read from JSON straight to msgpack
// (no CdtNode tree), as views of a 64 KiB slab rather than one allocation and
// copy each (bench/ndjson/ndjson.bench.ts).
const PACKER_SLAB = 64 * 1024
const packer = new Writer(PACKER_SLAB)

/**
 * A bin value (or user key) from parsed JSON. `exact`: the JSON came from the
 * exact parser (integral literals are bigints, other numbers doubles).
 */
export function jsonToValue (j: unknown, parent: string, exact = false, sub: string | null = null): Value {
  switch (typeof j) {
    case 'string':
      if (!wellFormed(j)) throw new TypedJsonError(`${pathOf(parent, sub)}: string has a lone surrogate (use {"$str64": ...} for bytes that are not UTF-8)`)
      return { type: Particle.STRING, value: slabUtf8(j) }
    case 'number':
    case 'bigint': {
      const i = intOf(j, exact, parent, sub)
      // integral numbers beyond int64 can only be doubles (relaxed output writes 1e+300 so)
      if (i === null || i < INT64_MIN || i > INT64_MAX) return { type: Particle.DOUBLE, value: Number(j) }
      return { type: Particle.INTEGER, value: i }
    }
    case 'boolean': return { type: Particle.BOOL, value: j }
    case 'object': {
      if (j === null) return { type: Particle.NIL, value: null }
      const what = pathOf(parent, sub)
      if (Array.isArray(j)) return { type: Particle.LIST, value: packed(j, what, exact) }
      const o = j as { [k: string]: unknown }
      const tag = tagOf(o)
      if (tag === null) return { type: Particle.MAP, value: packed(o, what, exact) }
      switch (tag) {
        case '$msgpack': {
          checkMembers(o, ['$msgpack', '$type'], what)
          const t = o.$type
          if (t !== 'list' && t !== 'map') throw new TypedJsonError(`${what}.$type: expected "list" or "map"`)
          return { type: t === 'list' ? Particle.LIST : Particle.MAP, value: fromBase64(o.$msgpack, `${what}.$msgpack`) }
        }
        case '$float32':
          throw new TypedJsonError(`${what}: $float32 is only allowed inside lists and maps`)
        case '$list':
        case '$map':
          return { type: tag === '$list' ? Particle.LIST : Particle.MAP, value: packed(o, what, exact) }
      }
      const bp = TAG_BYTES.get(tag)
      if (bp !== undefined) {
        // bytes with a subtype, as taggedScalar reads them, without the CdtNode
        checkOnly(o, tag, what)
        return { type: bp, value: fromBase64(o[tag], what, tag) }
      }
      const n = taggedScalar(o, tag, what)
      switch (n.t) {
        case 'int':
          if (n.v < INT64_MIN || n.v > INT64_MAX) throw new TypedJsonError(`${what}: integer ${n.v} is out of the int64 range`)
          return { type: Particle.INTEGER, value: n.v }
        case 'double': return { type: Particle.DOUBLE, value: n.v }
        case 'bytes':
          if (n.p === Particle.STRING) return { type: Particle.STRING, value: n.v }
          if (n.p === Particle.GEOJSON) return { type: Particle.GEOJSON, value: n.v }
          return { type: n.p as BytesParticle, value: n.v }
        default:
          throw new TypedJsonError(`${what}: unexpected tag ${tag}`)
      }
    }
  }
  throw new TypedJsonError(`${pathOf(parent, sub)}: unexpected JSON value`)
}

function packed (j: unknown, what: string, exact: boolean): Buffer {
  // a value left half-written by an error is overwritten
  packer.pos = packer.start
  pack(packer, j, what, null, exact)
  const out = packer.slice()
  if (packer.buf.length > PACKER_SLAB * 16) {
    // a huge value grew the slab: leave it to that value
    packer.buf = Buffer.allocUnsafe(PACKER_SLAB)
    packer.start = packer.pos = 0
  }
  return out
}

/** The typed CDT element of parsed JSON (a list/map element). */
export function jsonToNode (j: unknown, what: string, exact = false): CdtNode {
  return decodeCdt(packed(j, what, exact))
}

/** The path of an element for messages: built only when needed (an error, or a container's elements). */
function pathOf (parent: string, sub: string | number | null): string {
  return sub === null ? parent : typeof sub === 'number' ? `${parent}[${sub}]` : `${parent}.${sub}`
}

/** Packs j, the element `sub` (index, member name, or null for itself) of `parent`. */
function pack (w: Writer, j: unknown, parent: string, sub: string | number | null, exact: boolean): void {
  switch (typeof j) {
    case 'string':
      if (!wellFormed(j)) throw new TypedJsonError(`${pathOf(parent, sub)}: string has a lone surrogate (use {"$str64": ...} for bytes that are not UTF-8)`)
      w.str(Particle.STRING, j)
      return
    case 'number':
      if (!exact && Number.isInteger(j)) {
        if (j <= 9007199254740991 && j >= -9007199254740991) { w.intNum(j); return }
        throw new NeedExactParse(pathOf(parent, sub))
      }
      w.double(j)
      return
    case 'bigint':
      if (j < INT64_MIN || j > INT64_MAX) w.double(Number(j))
      else w.int(j)
      return
    case 'boolean': w.byte(j ? 0xc3 : 0xc2); return
    case 'object': {
      if (j === null) { w.byte(0xc0); return }
      const what = pathOf(parent, sub)
      if (Array.isArray(j)) {
        w.listHeader(j.length, null)
        for (let i = 0; i < j.length; i++) pack(w, j[i], what, i, exact)
        return
      }
      const o = j as { [k: string]: unknown }
      const tag = tagOf(o)
      if (tag === null) { packPlainMap(w, o, null, what, exact); return }
      const v = o[tag]
      const wt = `${what}.${tag}`
      switch (tag) {
        case '$list': {
          checkMembers(o, ['$list', '$flags'], what)
          if (!Array.isArray(v)) throw new TypedJsonError(`${wt}: expected an array`)
          w.listHeader(v.length, flagsOf(o, what))
          for (let i = 0; i < v.length; i++) pack(w, v[i], wt, i, exact)
          return
        }
        case '$map': {
          checkMembers(o, ['$map', '$flags'], what)
          const flags = flagsOf(o, what)
          if (Array.isArray(v)) {
            w.mapHeader(v.length, flags)
            for (let i = 0; i < v.length; i++) {
              const pair = v[i]
              if (!Array.isArray(pair) || pair.length !== 2) throw new TypedJsonError(`${wt}[${i}]: expected a [key, value] pair`)
              const pw = `${wt}[${i}]`
              pack(w, pair[0], pw, 0, exact)
              pack(w, pair[1], pw, 1, exact)
            }
            return
          }
          if (v !== null && typeof v === 'object') { packPlainMap(w, v as { [k: string]: unknown }, flags, wt, exact); return }
          throw new TypedJsonError(`${wt}: expected an object or an array of [key, value] pairs`)
        }
        case '$msgpack':
          throw new TypedJsonError(`${what}: $msgpack is only allowed as a whole bin value`)
      }
      w.node(taggedScalar(o, tag, what))
      return
    }
  }
  throw new TypedJsonError(`${pathOf(parent, sub)}: unexpected JSON value`)
}

function packPlainMap (w: Writer, o: { [k: string]: unknown }, flags: number | null, what: string, exact: boolean): void {
  const keys = Object.keys(o)
  w.mapHeader(keys.length, flags)
  for (const k of keys) {
    if (k.charCodeAt(0) === 36) throw new TypedJsonError(`${what}: map key ${JSON.stringify(k)} starts with "$"; use {"$map": [[key, value], ...]}`)
    if (!wellFormed(k)) throw new TypedJsonError(`${what}: map key has a lone surrogate`)
    w.str(Particle.STRING, k)
    pack(w, o[k], what, k, exact)
  }
}

/** A scalar tag object ($int, $double, $float32, $str64, $geo, $geo64, bytes tags). */
function taggedScalar (o: { [k: string]: unknown }, tag: string, what: string): CdtNode {
  const v = o[tag]
  switch (tag) {
    case '$int':
      checkOnly(o, tag, what)
      return { t: 'int', v: parseBigInt(v, `${what}.${tag}`, INT64_MIN, UINT64_MAX) }
    case '$double':
      checkOnly(o, tag, what)
      return { t: 'double', v: parseDoubleTag(v, `${what}.${tag}`) }
    case '$float32':
      checkOnly(o, tag, what)
      return { t: 'float32', v: Math.fround(parseDoubleTag(v, `${what}.${tag}`)) }
    case '$str64':
      checkOnly(o, tag, what)
      return { t: 'bytes', p: Particle.STRING, v: fromBase64(v, what, tag) }
    case '$geo':
      checkOnly(o, tag, what)
      if (typeof v !== 'string') throw new TypedJsonError(`${what}.${tag}: expected the GeoJSON text as a string`)
      return { t: 'bytes', p: Particle.GEOJSON, v: utf8Bytes(v, `${what}.${tag}`) }
    case '$geo64':
      checkOnly(o, tag, what)
      return { t: 'bytes', p: Particle.GEOJSON, v: fromBase64(v, what, tag) }
  }
  const p = TAG_BYTES.get(tag)
  if (p !== undefined) {
    checkOnly(o, tag, what)
    return { t: 'bytes', p, v: fromBase64(v, what, tag) }
  }
  throw new TypedJsonError(`${what}: unknown tag ${JSON.stringify(tag)}`)
}
