// Particle values on the wire (wire-protocol.md §5.1) <-> lib/types.ts Values.
// Bytes stay bytes: strings, blobs, HLLs, lists and maps are returned as the
// exact particle bytes (subarrays of the input unless the caller copies).
import { AsbError, ErrorCode } from '../errors.js'
import { Particle, BYTES_PARTICLES, type Key, type Value } from '../types.js'

export interface WireParticle {
  type: number
  bytes: Buffer
}

const EMPTY = Buffer.alloc(0)

function int8 (v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeBigInt64BE(BigInt.asIntN(64, v))
  return b
}

function double8 (v: number): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeDoubleBE(v)
  return b
}

/** GeoJSON write form: flags 0, ncells 0, then the JSON text (the server computes the cells). */
export function geoToParticle (text: Buffer): Buffer {
  const b = Buffer.allocUnsafe(3 + text.length)
  b[0] = 0; b[1] = 0; b[2] = 0
  text.copy(b, 3)
  return b
}

/** The JSON text of a GeoJSON particle, skipping flags, ncells and the cell ids. */
export function geoFromParticle (bytes: Buffer): Buffer {
  if (bytes.length < 3) throw new AsbError(ErrorCode.PROTOCOL, `GeoJSON particle of ${bytes.length} bytes is shorter than its 3-byte prefix`)
  const ncells = bytes.readUInt16BE(1)
  const start = 3 + 8 * ncells
  if (start > bytes.length) throw new AsbError(ErrorCode.PROTOCOL, `GeoJSON particle claims ${ncells} cells but has ${bytes.length} bytes`)
  return bytes.subarray(start)
}

/** Wire form of a value (what a WRITE op carries). Integers are always 8 bytes. */
export function valueToParticle (v: Value): WireParticle {
  switch (v.type) {
    case Particle.NIL: return { type: Particle.NIL, bytes: EMPTY }
    case Particle.INTEGER: return { type: Particle.INTEGER, bytes: int8(v.value) }
    case Particle.DOUBLE: return { type: Particle.DOUBLE, bytes: double8(v.value) }
    case Particle.BOOL: return { type: Particle.BOOL, bytes: Buffer.from([v.value ? 1 : 0]) }
    case Particle.GEOJSON: return { type: Particle.GEOJSON, bytes: geoToParticle(v.value) }
    default: return { type: v.type, bytes: v.value }
  }
}

/**
 * Value of a particle as the server sends it. INTEGER accepts 1/2/4/8 bytes
 * (shorter forms are zero-extended, as the server does); the returned
 * Buffers are subarrays of `bytes`.
 */
export function particleToValue (type: number, bytes: Buffer): Value {
  switch (type) {
    case Particle.NIL: return { type: Particle.NIL, value: null }
    case Particle.INTEGER: return { type: Particle.INTEGER, value: readInt(bytes) }
    case Particle.DOUBLE:
      if (bytes.length !== 8) throw new AsbError(ErrorCode.PROTOCOL, `FLOAT particle of ${bytes.length} bytes (expected 8)`)
      return { type: Particle.DOUBLE, value: bytes.readDoubleBE(0) }
    case Particle.STRING: return { type: Particle.STRING, value: bytes }
    case Particle.BOOL:
      if (bytes.length !== 1) throw new AsbError(ErrorCode.PROTOCOL, `BOOL particle of ${bytes.length} bytes (expected 1)`)
      return { type: Particle.BOOL, value: bytes[0] !== 0 }
    case Particle.GEOJSON: return { type: Particle.GEOJSON, value: geoFromParticle(bytes) }
    case Particle.MAP:
    case Particle.LIST:
      return { type, value: bytes }
    default:
      if (BYTES_PARTICLES.has(type)) return { type: type as typeof Particle.BLOB, value: bytes }
      throw new AsbError(ErrorCode.PROTOCOL, `unknown particle type ${type}`)
  }
}

function readInt (bytes: Buffer): bigint {
  switch (bytes.length) {
    case 8: return bytes.readBigInt64BE(0)
    case 4: return BigInt(bytes.readUInt32BE(0))
    case 2: return BigInt(bytes.readUInt16BE(0))
    case 1: return BigInt(bytes[0]!)
    default: throw new AsbError(ErrorCode.PROTOCOL, `INTEGER particle of ${bytes.length} bytes (expected 8)`)
  }
}

/** The bytes a key contributes to the KEY field and the digest (particle type not included). */
export function keyBytes (key: Key): Buffer {
  switch (key.type) {
    case Particle.INTEGER: return int8(key.value)
    case Particle.DOUBLE: return double8(key.value)
    default: return key.value
  }
}

/** KEY field data: u8 particle type + key bytes (wire-protocol.md §4). */
export function encodeKeyField (key: Key): Buffer {
  const kb = keyBytes(key)
  const b = Buffer.allocUnsafe(1 + kb.length)
  b[0] = key.type
  kb.copy(b, 1)
  return b
}

/** Decodes KEY field data. Buffers are subarrays of `data`. */
export function decodeKeyField (data: Buffer): Key {
  if (data.length < 1) throw new AsbError(ErrorCode.PROTOCOL, 'empty KEY field')
  const type = data[0]!
  const bytes = data.subarray(1)
  switch (type) {
    case Particle.INTEGER: return { type: Particle.INTEGER, value: readInt(bytes) }
    case Particle.DOUBLE:
      if (bytes.length !== 8) throw new AsbError(ErrorCode.PROTOCOL, `FLOAT key of ${bytes.length} bytes`)
      return { type: Particle.DOUBLE, value: bytes.readDoubleBE(0) }
    case Particle.STRING: return { type: Particle.STRING, value: bytes }
    default:
      if (BYTES_PARTICLES.has(type)) return { type: type as typeof Particle.BLOB, value: bytes }
      throw new AsbError(ErrorCode.PROTOCOL, `KEY field with unsupported particle type ${type}`)
  }
}
