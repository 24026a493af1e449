// The record model every stage shares: .asb codec, typed NDJSON, wire scanner
// and writer, filters. One stream of Tokens: a Header first, then SIndex and
// Udf definitions, then Records (the .asb decoder also accepts global lines
// between records, as the C reader does).
//
// Lossless by construction: every value keeps its server particle type, and
// bytes stay bytes. Strings, GeoJSON text, blobs, HLLs, lists and maps are
// Buffers holding exactly what the server stores (lists and maps are the raw
// msgpack particle, see wire-protocol.md §6); integers are bigint (int64
// exact); doubles are numbers (all 64-bit patterns but NaN payloads kept).

/** Server particle types (wire-protocol.md §5.1; asb-format.md §1.7). */
export const Particle = {
  NIL: 0,
  INTEGER: 1,
  DOUBLE: 2,
  STRING: 3,
  BLOB: 4,
  JAVA: 7,
  CSHARP: 8,
  PYTHON: 9,
  RUBY: 10,
  PHP: 11,
  ERLANG: 12,
  VECTOR: 16,
  BOOL: 17,
  HLL: 18,
  MAP: 19,
  LIST: 20,
  GEOJSON: 23
} as const

export type ParticleType = typeof Particle[keyof typeof Particle]

/** Particle types whose value is opaque bytes (blob and its language subtypes, vector, HLL). */
export type BytesParticle =
  | typeof Particle.BLOB
  | typeof Particle.JAVA
  | typeof Particle.CSHARP
  | typeof Particle.PYTHON
  | typeof Particle.RUBY
  | typeof Particle.PHP
  | typeof Particle.ERLANG
  | typeof Particle.VECTOR
  | typeof Particle.HLL

export const BYTES_PARTICLES: ReadonlySet<number> = new Set<number>([
  Particle.BLOB, Particle.JAVA, Particle.CSHARP, Particle.PYTHON, Particle.RUBY,
  Particle.PHP, Particle.ERLANG, Particle.VECTOR, Particle.HLL
])

/**
 * A name (namespace, set, bin, index, UDF): Aerospike names are bytes.
 * A JS string when the bytes are valid UTF-8 (the usual case), else a Buffer
 * holding the exact bytes. Use `nameBytes()` / `nameToString()` from
 * lib/name.ts rather than branching by hand.
 */
export type Name = string | Buffer

export type NilValue = { type: typeof Particle.NIL, value: null }
export type IntValue = { type: typeof Particle.INTEGER, value: bigint }
export type DoubleValue = { type: typeof Particle.DOUBLE, value: number }
/** Raw string bytes; not necessarily valid UTF-8, may contain NUL and LF. */
export type StringValue = { type: typeof Particle.STRING, value: Buffer }
export type BoolValue = { type: typeof Particle.BOOL, value: boolean }
/** GeoJSON text bytes exactly as stored (without the server's S2 cell prefix). */
export type GeoValue = { type: typeof Particle.GEOJSON, value: Buffer }
export type BytesValue = { type: BytesParticle, value: Buffer }
/** Raw server msgpack particle bytes; never re-encoded on a pass-through path. */
export type CdtValue = { type: typeof Particle.MAP | typeof Particle.LIST, value: Buffer }

export type Value =
  | NilValue
  | IntValue
  | DoubleValue
  | StringValue
  | BoolValue
  | GeoValue
  | BytesValue
  | CdtValue

export type Bin = Value & { name: Name }

/** A user key as stored with the record: integer, double (read-only in practice), string or blob. */
export type Key = IntValue | DoubleValue | StringValue | BytesValue

/** Seconds since the citrusleaf epoch 2010-01-01T00:00:00Z. */
export const CITRUSLEAF_EPOCH = 1262304000

export interface Record {
  kind: 'record'
  namespace: Name
  /** null when the record has no set. */
  set: Name | null
  /** The user key, when the server returned it (stored with `sendKey`); else null. */
  key: Key | null
  /** 20-byte RIPEMD-160 digest. */
  digest: Buffer
  /** 0..65535 */
  generation: number
  /**
   * Absolute expiration in seconds since the citrusleaf epoch, 0 = never
   * expires: exactly the .asb `+ t` value (asb-format.md §2).
   */
  voidTime: number
  bins: Bin[]
}

export interface Header {
  kind: 'header'
  /** '3.0', '3.1', or backup-go's '3.2' (metadata files with expression indexes). */
  version: string
  /** From `# namespace`; null when the file has no such line. */
  namespace: Name | null
  /** `# first-file` was present. */
  firstFile: boolean
}

/** Index types by their .asb letter (asb-format.md §1.5.1). */
export type IndexType = 'N' | 'L' | 'K' | 'V'
/** Index path (bin) types by their .asb letter. */
export type IndexPathType = 'S' | 'N' | 'G' | 'B'

export interface SIndex {
  kind: 'sindex'
  namespace: Name
  /** null for an index without a set. */
  set: Name | null
  name: Name
  indexType: IndexType
  paths: Array<{ path: Name, type: IndexPathType }>
  /** base64 CDT context exactly as the server reports it; null for none. */
  context: Name | null
  /** backup-go `* e` lines (Version 3.2): the base64 expression; absent otherwise. */
  expression?: string
}

export interface Udf {
  kind: 'udf'
  /** Always 'L' (Lua) in practice. */
  type: string
  name: Name
  content: Buffer
}

export type Token = Header | SIndex | Udf | Record
