// Property: any stream of tokens the model can hold (names with spaces,
// backslashes, LFs and invalid UTF-8; raw bytes with NUL and LF; every
// double and int64) survives .asb encode -> decode, in default and compact
// mode and whatever the chunking.
import t from 'tap'
import fc from 'fast-check'
import { AsbDecoder } from '../../lib/asb/decode.js'
import { AsbEncoder } from '../../lib/asb/encode.js'
import { nameFromBytes } from '../../lib/name.js'
import { Particle } from '../../lib/types.js'
import type { Bin, Header, Key, Name, Record, SIndex, Token, Udf } from '../../lib/types.js'

/** Names as the decoder yields them: a string when valid UTF-8, else a Buffer; never NUL. */
const name = (maxBytes: number): fc.Arbitrary<Name> => fc.oneof(
  fc.string({ maxLength: 12 }).filter(s => !s.includes('\0') && Buffer.byteLength(s) <= maxBytes),
  fc.constantFrom('a b', 'back\\slash', 'nl\nbin', ' lead', 'trail ', 'ü'),
  fc.uint8Array({ minLength: 1, maxLength: Math.min(12, maxBytes) })
    .filter(u => !u.includes(0))
    .map(u => nameFromBytes(Buffer.from(u)))
)

const bytes = (max = 40): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map(u => Buffer.from(u))
const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
const double = fc.double()

const value: fc.Arbitrary<Omit<Bin, 'name'>> = fc.oneof(
  fc.constant({ type: Particle.NIL, value: null }),
  int64.map(v => ({ type: Particle.INTEGER, value: v })),
  double.map(v => ({ type: Particle.DOUBLE, value: v })),
  bytes().map(v => ({ type: Particle.STRING, value: v })),
  fc.boolean().map(v => ({ type: Particle.BOOL, value: v })),
  bytes().map(v => ({ type: Particle.GEOJSON, value: v })),
  fc.tuple(fc.constantFrom(4, 7, 8, 9, 10, 11, 12, 18, 19, 20), bytes()).map(([type, v]) => ({ type, value: v }))
) as fc.Arbitrary<Omit<Bin, 'name'>>

const key: fc.Arbitrary<Key | null> = fc.option(fc.oneof(
  int64.map(v => ({ type: Particle.INTEGER, value: v }) as Key),
  double.map(v => ({ type: Particle.DOUBLE, value: v }) as Key),
  bytes().map(v => ({ type: Particle.STRING, value: v }) as Key),
  bytes().map(v => ({ type: Particle.BLOB, value: v }) as Key)
))

const record: fc.Arbitrary<Record> = fc.record({
  namespace: name(31),
  set: fc.option(name(63).filter(n => n.length > 0)),
  key,
  digest: fc.uint8Array({ minLength: 20, maxLength: 20 }).map(u => Buffer.from(u)),
  generation: fc.integer({ min: 0, max: 65535 }),
  voidTime: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
  bins: fc.array(fc.tuple(name(999), value).map(([n, v]) => ({ name: n, ...v }) as Bin), { maxLength: 6 })
}).map(r => ({ kind: 'record', ...r }))

const sindex: fc.Arbitrary<SIndex> = fc.record({
  namespace: name(999).filter(n => n.length > 0),
  set: fc.option(name(999).filter(n => n.length > 0)),
  name: name(999).filter(n => n.length > 0),
  indexType: fc.constantFrom('N', 'L', 'K', 'V'),
  paths: fc.array(fc.record({ path: name(999), type: fc.constantFrom('S', 'N', 'G', 'B') }), { minLength: 1, maxLength: 2 }),
  context: fc.option(fc.constantFrom('khAA', 'lhABI8zIIqMDaWQ='))
}).map(s => ({ kind: 'sindex', ...s }) as SIndex)

const udf: fc.Arbitrary<Udf> = fc.record({ name: name(999).filter(n => n.length > 0), content: bytes(80) })
  .map(u => ({ kind: 'udf', type: 'L', ...u }))

const header: fc.Arbitrary<Header> = fc.record({ namespace: fc.option(name(31)), firstFile: fc.boolean() })
  .map(h => ({ kind: 'header', version: '3.1', ...h }))

const stream = fc.tuple(header, fc.array(fc.oneof(sindex, udf), { maxLength: 3 }), fc.array(record, { maxLength: 8 }))
  .map(([h, g, r]) => [h, ...g, ...r] as Token[])

function encode (tokens: Token[], compact: boolean): Buffer {
  const enc = new AsbEncoder({ compact })
  return Buffer.concat(tokens.map(x => enc.encode(x)))
}

function decode (data: Buffer, chunk: number): Token[] {
  const out: Token[] = []
  const dec = new AsbDecoder()
  for (let i = 0; i < data.length; i += chunk) dec.write(data.subarray(i, i + chunk), x => out.push(x))
  dec.end(x => out.push(x))
  return out
}

/** Doubles by bit pattern (NaN sign, -0), so deep comparison is exact. */
function canon (tokens: Token[]): unknown {
  const view = new DataView(new ArrayBuffer(8))
  return JSON.parse(JSON.stringify(tokens, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `bigint:${v}`
    if (typeof v === 'number' && !Number.isInteger(v)) { view.setFloat64(0, v); return `double:${view.getBigUint64(0).toString(16)}` }
    if (typeof v === 'number' && Object.is(v, -0)) return 'double:-0'
    return v
  }))
}

t.test('encode -> decode gives the same tokens (default and compact, any chunking)', async t => {
  fc.assert(fc.property(stream, fc.boolean(), fc.integer({ min: 1, max: 64 }), (tokens, compact, chunk) => {
    const data = encode(tokens, compact)
    const back = decode(data, chunk)
    t.same(canon(back), canon(tokens))
    return encode(back, compact).equals(data)
  }), { numRuns: 300 })
})
