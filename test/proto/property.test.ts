// Property tests (fast-check): encode/decode round trips for arbitrary
// messages and values, and arbitrary bytes never crash the decoders with
// anything but a protocol error.
import t from 'tap'
import fc from 'fast-check'
import {
  encodeMessage, decodeMessage, decodeRecordMessage, valueToParticle, particleToValue,
  ProtoSplitter, decodeBatchField, decodeAdminMessage, type AsMessage
} from '../../lib/proto/index.js'
import { Particle, type Value } from '../../lib/types.js'

const bytes = (max = 40): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map(a => Buffer.from(a))
const u8 = fc.integer({ min: 0, max: 255 })
const u32 = fc.integer({ min: 0, max: 0xffffffff })

const message: fc.Arbitrary<AsMessage> = fc.record({
  info1: u8, info2: u8, info3: u8, info4: u8, resultCode: u8,
  generation: u32, recordTtl: u32, transactionTtl: u32,
  fields: fc.array(fc.record({ type: u8, data: bytes() }), { maxLength: 6 }),
  ops: fc.array(fc.record({ op: u8, particle: u8, name: bytes(15), value: bytes() }), { maxLength: 6 })
})

const value: fc.Arbitrary<Value> = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(v => ({ type: Particle.INTEGER, value: v }) as Value),
  fc.double({ noNaN: true }).map(v => ({ type: Particle.DOUBLE, value: v }) as Value),
  bytes().map(v => ({ type: Particle.STRING, value: v }) as Value),
  bytes().map(v => ({ type: Particle.BLOB, value: v }) as Value),
  fc.constantFrom(7, 8, 9, 10, 11, 12, 16, 18).chain(type => bytes().map(v => ({ type, value: v }) as Value)),
  fc.boolean().map(v => ({ type: Particle.BOOL, value: v }) as Value),
  bytes().map(v => ({ type: Particle.GEOJSON, value: v }) as Value),
  fc.constantFrom(Particle.MAP, Particle.LIST).chain(type => bytes().map(v => ({ type, value: v }) as Value)),
  fc.constant({ type: Particle.NIL, value: null } as Value)
)

t.test('any as_msg round-trips through encodeMessage/decodeMessage', async t => {
  fc.assert(fc.property(message, m => {
    const enc = encodeMessage(m)
    const { msg, end } = decodeMessage(enc.subarray(8), 0)
    return end === enc.length - 8 && encodeMessage(msg).equals(enc)
  }), { numRuns: 500 })
  t.pass()
})

t.test('any value round-trips through its particle', async t => {
  fc.assert(fc.property(value, v => {
    const p = valueToParticle(v)
    const back = particleToValue(p.type, p.bytes)
    return back.type === v.type && (Buffer.isBuffer(v.value) ? (back.value as Buffer).equals(v.value) : Object.is(back.value, v.value))
  }), { numRuns: 1000 })
  t.pass()
})

t.test('arbitrary bytes only ever raise protocol errors', async t => {
  const onlyProtocol = (fn: () => unknown): boolean => {
    try { fn() } catch (err) { return (err as { code?: string }).code === 'ASB_ERR_PROTOCOL' }
    return true
  }
  fc.assert(fc.property(bytes(200), b => {
    return onlyProtocol(() => decodeMessage(b, 0)) &&
      onlyProtocol(() => decodeRecordMessage(b, 0)) &&
      onlyProtocol(() => decodeBatchField(b)) &&
      onlyProtocol(() => decodeAdminMessage(b)) &&
      onlyProtocol(() => new ProtoSplitter().push(b, () => {}))
  }), { numRuns: 2000 })
  t.pass()
})
