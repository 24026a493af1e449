// fast-check arbitraries over the whole record model: every particle type,
// int64 extremes, doubles incl. -0/NaN/-NaN/inf/integral, strings with NUL/LF
// and invalid UTF-8, nested lists/maps with int/string/blob keys, ordered
// maps and lists, float32, raw (non-canonical) list/map particles.
import fc from 'fast-check'
import { nameFromBytes } from '../../lib/name.js'
import { encodeCdt } from '../../lib/cdt/msgpack.js'
import type { CdtNode } from '../../lib/cdt/msgpack.js'
import { Particle } from '../../lib/types.js'
import type { Bin, BytesParticle, Header, Key, Name, Record, SIndex, Token, Udf, Value } from '../../lib/types.js'

export const NEG_NAN = (() => { const dv = new DataView(new ArrayBuffer(8)); dv.setUint32(0, 0xfff80000); return dv.getFloat64(0) })()
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

export interface Limits {
  /** Names must survive .asb: no NUL byte, not empty, bounded length. */
  asb: boolean
}

const bytes = (max = 40): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a))

/** Strings as bytes: valid UTF-8 text (unicode, NUL, LF) or arbitrary bytes. */
export const strBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom('', '\n', '\u0000', 'a b', '\n+ n test\n- I x 1\n', '{"$int":"1"}', '\\').map((s) => Buffer.from(s)),
  bytes(20)
)

export function nameArb (opts: Limits, maxBytes = 14): fc.Arbitrary<Name> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom('a b', 'nl\nbin', 'back\\slash', '$x', '0', '17', '__proto__', 'ü') },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: maxBytes }).map((a) => nameFromBytes(Buffer.from(a))) }
  ).filter((n) => {
    const b = typeof n === 'string' ? Buffer.from(n, 'utf8') : n
    if (b.length === 0 || b.length > maxBytes) return false
    return !opts.asb || !b.includes(0)
  })
}

export const doubleArb: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer().map((i) => i * 1.0),
  fc.constantFrom(0, -0, NaN, NEG_NAN, Infinity, -Infinity, 1e20, 1e21, 2 ** 53, -(2 ** 63), 5e-324, 1.7976931348623157e308, 0.1, 1 / 3)
)

export const intArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.integer().map(BigInt),
  fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n, -1n, 127n, 128n, -32n, -33n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n)
)

const bytesParticles: BytesParticle[] = [Particle.BLOB, Particle.JAVA, Particle.CSHARP, Particle.PYTHON, Particle.RUBY, Particle.PHP, Particle.ERLANG, Particle.VECTOR, Particle.HLL]

/** CDT trees as the server stores them. */
export const cdtArb: { node: fc.Arbitrary<CdtNode>, list: fc.Arbitrary<CdtNode>, map: fc.Arbitrary<CdtNode> } = fc.letrec((tie) => ({
  scalar: fc.oneof(
    fc.constant<CdtNode>({ t: 'nil' }),
    fc.boolean().map((v): CdtNode => ({ t: 'bool', v })),
    intArb.map((v): CdtNode => ({ t: 'int', v })),
    doubleArb.filter((v) => !Object.is(v, NEG_NAN) || true).map((v): CdtNode => ({ t: 'double', v })),
    fc.oneof(fc.float(), fc.constantFrom(NaN, -0, Infinity, 3)).map((v): CdtNode => ({ t: 'float32', v: Math.fround(v) })),
    fc.tuple(fc.constantFrom(3, 4, 7, 8, 9, 10, 11, 12, 16, 18, 23), strBytes).map(([p, v]): CdtNode => ({ t: 'bytes', p, v }))
  ),
  key: fc.oneof(
    intArb.map((v): CdtNode => ({ t: 'int', v })),
    strBytes.map((v): CdtNode => ({ t: 'bytes', p: 3, v })),
    fc.constantFrom('a', 'b', '$k', '0', '10', '2').map((s): CdtNode => ({ t: 'bytes', p: 3, v: Buffer.from(s) })),
    bytes(8).map((v): CdtNode => ({ t: 'bytes', p: 4, v }))
  ),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('list'), tie('map')) as fc.Arbitrary<CdtNode>,
  list: fc.record({
    flags: fc.constantFrom(null, null, 1, 0, 0x10),
    items: fc.array(tie('node') as fc.Arbitrary<CdtNode>, { maxLength: 5 })
  }).map(({ flags, items }): CdtNode => ({ t: 'list', flags, items })),
  map: fc.record({
    flags: fc.constantFrom(null, null, 1, 3),
    entries: fc.array(fc.tuple(tie('key') as fc.Arbitrary<CdtNode>, tie('node') as fc.Arbitrary<CdtNode>), { maxLength: 5 })
  }).map(({ flags, entries }): CdtNode => ({ t: 'map', flags, entries }))
})) as unknown as { node: fc.Arbitrary<CdtNode>, list: fc.Arbitrary<CdtNode>, map: fc.Arbitrary<CdtNode> }

export function valueArb (opts: Limits): fc.Arbitrary<Value> {
  // asbackup cannot write VECTOR bins ("Invalid bytes type"), so .asb streams have none
  const particles = opts.asb ? bytesParticles.filter((p) => p !== Particle.VECTOR) : bytesParticles
  return fc.oneof(
  fc.constant<Value>({ type: Particle.NIL, value: null }),
  fc.boolean().map((value): Value => ({ type: Particle.BOOL, value })),
  intArb.map((value): Value => ({ type: Particle.INTEGER, value })),
  doubleArb.map((value): Value => ({ type: Particle.DOUBLE, value })),
  strBytes.map((value): Value => ({ type: Particle.STRING, value })),
  fc.oneof(fc.constantFrom('{"type":"Point","coordinates":[0.0,0.0]}', '{ "type": "Polygon",\n"coordinates": [] }'), fc.string()).map((s): Value => ({ type: Particle.GEOJSON, value: Buffer.from(s) })),
  bytes(40).map((v): Value => ({ type: Particle.GEOJSON, value: v })),
  fc.tuple(fc.constantFrom(...particles), bytes(60)).map(([type, value]): Value => ({ type, value })),
  cdtArb.list.map((n): Value => ({ type: Particle.LIST, value: encodeCdt(n) })),
  cdtArb.map.map((n): Value => ({ type: Particle.MAP, value: encodeCdt(n) })),
  // raw particles, canonical or not: must survive byte for byte
  fc.tuple(fc.constantFrom(Particle.LIST, Particle.MAP), bytes(16)).map(([type, value]): Value => ({ type, value })),
  fc.constantFrom<Value>(
    { type: Particle.LIST, value: Buffer.from('92cc0101', 'hex') },
    { type: Particle.MAP, value: Buffer.from('81c40204', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91a0', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91cb7ff8000000000001', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91cbfff8000000000000', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91ca7fc00001', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91d40000', 'hex') },
    { type: Particle.LIST, value: Buffer.from('91a26361', 'hex') }
  )
  )
}

export function keyArb (opts: Limits): fc.Arbitrary<Key | null> {
  return fc.oneof(
    fc.constant(null),
    intArb.map((value): Key => ({ type: Particle.INTEGER, value })),
    doubleArb.filter((d) => !opts.asb || Number.isFinite(d) || true).map((value): Key => ({ type: Particle.DOUBLE, value })),
    strBytes.map((value): Key => ({ type: Particle.STRING, value })),
    (opts.asb ? fc.constant(Particle.BLOB as BytesParticle) : fc.constantFrom(...bytesParticles)).chain((type) => bytes(20).map((value): Key => ({ type, value })))
  )
}

export function recordArb (opts: Limits): fc.Arbitrary<Record> {
  return fc.record({
    namespace: nameArb(opts, 31),
    set: fc.option(nameArb(opts, 63)),
    key: keyArb(opts),
    digest: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
    generation: fc.integer({ min: 0, max: 65535 }),
    voidTime: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xffffffff })),
    bins: fc.uniqueArray(fc.tuple(nameArb(opts), valueArb(opts)), {
      maxLength: 8,
      selector: ([n]) => typeof n === 'string' ? n : n.toString('latin1') + '\u0000'
    }).map((bs) => bs.map(([name, v]): Bin => ({ ...v, name }) as Bin))
  }).map((r): Record => ({ kind: 'record', ...r }))
}

export function headerArb (opts: Limits): fc.Arbitrary<Header> {
  return fc.record({
    version: fc.constantFrom('3.1', '3.0'),
    namespace: opts.asb ? nameArb(opts, 31) : fc.option(nameArb(opts, 31)),
    firstFile: fc.boolean()
  }).map((h): Header => ({ kind: 'header', ...h }))
}

export function sindexArb (opts: Limits): fc.Arbitrary<SIndex> {
  return fc.record({
    namespace: nameArb(opts, 31),
    set: fc.option(nameArb(opts, 63)),
    name: nameArb(opts),
    indexType: fc.constantFrom('N', 'L', 'K', 'V') as fc.Arbitrary<'N' | 'L' | 'K' | 'V'>,
    paths: fc.tuple(nameArb(opts), fc.constantFrom('S', 'N', 'G', 'B') as fc.Arbitrary<'S' | 'N' | 'G' | 'B'>).map(([path, type]) => [{ path, type }]),
    context: fc.option(fc.base64String({ minLength: 4, maxLength: 24 }).filter((s) => s.length > 0))
  }).map((s): SIndex => ({ kind: 'sindex', ...s }))
}

export function udfArb (opts: Limits): fc.Arbitrary<Udf> {
  return fc.record({
    name: nameArb(opts, 30),
    content: strBytes
  }).map((u): Udf => ({ kind: 'udf', type: 'L', ...u }))
}

export function tokenArb (opts: Limits): fc.Arbitrary<Token> {
  return fc.oneof(
    { weight: 6, arbitrary: recordArb(opts) },
    { weight: 1, arbitrary: headerArb(opts) },
    { weight: 1, arbitrary: sindexArb(opts) },
    { weight: 1, arbitrary: udfArb(opts) }
  )
}

/** A whole .asb-shaped stream: header, indexes, UDFs, records. */
export function streamArb (opts: Limits): fc.Arbitrary<Token[]> {
  return fc.tuple(
    headerArb(opts).map((h) => ({ ...h, version: '3.1' })),
    fc.array(sindexArb(opts), { maxLength: 3 }),
    fc.array(udfArb(opts), { maxLength: 2 }),
    fc.array(recordArb(opts), { maxLength: 6 })
  ).map(([h, s, u, r]) => [h, ...s, ...u, ...r])
}
