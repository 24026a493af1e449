// The CDT typed view (lib/cdt/msgpack.ts) against the byte forms in
// wire-protocol.md §6, and the one-pass canonical JSON writer
// (lib/ndjson/cdt-json.ts) against the tree path it must agree with.
import t from 'tap'
import fc from 'fast-check'
import { canonicalCdt, decodeCdt, encodeCdt, CdtError } from '../../lib/cdt/msgpack.js'
import type { CdtNode } from '../../lib/cdt/msgpack.js'
import { cdtToCanonicalJson } from '../../lib/ndjson/cdt-json.js'
import { jsonToValue, nodeJson } from '../../lib/ndjson/typed.js'
import { Particle } from '../../lib/types.js'
import { cdtArb } from '../ndjson/arbitraries.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex')
const str = (s: string, p = 3): CdtNode => ({ t: 'bytes', p, v: Buffer.from(s) })
const int = (v: bigint | number): CdtNode => ({ t: 'int', v: BigInt(v) })

t.test('encodes the byte forms of wire-protocol.md §6', async t => {
  const cases: Array<[string, CdtNode, string]> = [
    ['list [1,"a"]', { t: 'list', flags: null, items: [int(1), str('a')] }, '92 01 a2 03 61'],
    ['map {"k":1}', { t: 'map', flags: null, entries: [[str('k'), int(1)]] }, '81 a2 03 6b 01'],
    ['K_ORDERED map {a:1}', { t: 'map', flags: 1, entries: [[str('a'), int(1)]] }, '82 c7 00 01 c0 a2 03 61 01'],
    ['empty K_ORDERED map', { t: 'map', flags: 1, entries: [] }, '81 c7 00 01 c0'],
    ['ORDERED list [1,2,3]', { t: 'list', flags: 1, items: [int(1), int(2), int(3)] }, '94 c7 00 01 01 02 03'],
    ['blob 78 79', { t: 'list', flags: null, items: [{ t: 'bytes', p: 4, v: hex('7879') }] }, '91 a3 04 78 79'],
    ['double 3.0 stays a double', { t: 'list', flags: null, items: [{ t: 'double', v: 3 }] }, '91 cb 40 08 00 00 00 00 00 00'],
    ['float32 1.5', { t: 'list', flags: null, items: [{ t: 'float32', v: 1.5 }] }, '91 ca 3f c0 00 00'],
    ['nil false true', { t: 'list', flags: null, items: [{ t: 'nil' }, { t: 'bool', v: false }, { t: 'bool', v: true }] }, '93 c0 c2 c3']
  ]
  for (const [name, node, bytes] of cases) {
    t.same(encodeCdt(node), hex(bytes), name)
    t.same(decodeCdt(hex(bytes)), node, `${name} decodes`)
  }
})

t.test('packs ints minimally at every boundary', async t => {
  const cases: Array<[bigint, string]> = [
    [0n, '00'], [127n, '7f'], [128n, 'cc80'], [255n, 'ccff'], [256n, 'cd0100'], [65535n, 'cdffff'],
    [65536n, 'ce00010000'], [4294967295n, 'ceffffffff'], [4294967296n, 'cf0000000100000000'],
    [9223372036854775807n, 'cf7fffffffffffffff'], [-1n, 'ff'], [-32n, 'e0'], [-33n, 'd0df'], [-128n, 'd080'],
    [-129n, 'd1ff7f'], [-32768n, 'd18000'], [-32769n, 'd2ffff7fff'], [-2147483648n, 'd280000000'],
    [-2147483649n, 'd3ffffffff7fffffff'], [-9223372036854775808n, 'd38000000000000000']
  ]
  for (const [v, bytes] of cases) t.same(encodeCdt(int(v)), hex(bytes), `${v}`)
})

t.test('keeps non-canonical particles raw (canonicalCdt null, $msgpack in NDJSON)', async t => {
  const cases: Array<[string, string, number]> = [
    ['non-minimal int cc 01', '91 cc 01', Particle.LIST],
    ['bin8 instead of str', '81 c4 02 04 78 01', Particle.MAP],
    ['zero-length str', '91 a0', Particle.LIST],
    ['str8 for a short string', '91 d9 02 03 61', Particle.LIST],
    ['array16 for 1 element', '91 dc 00 01 01', Particle.LIST],
    ['unknown prefix byte', '91 a2 63 61', Particle.LIST],
    ['NaN with a payload', '91 cb 7f f8 00 00 00 00 00 01', Particle.LIST],
    ['float32 NaN payload', '91 ca 7f c0 00 01', Particle.LIST],
    ['fixext', '91 d4 00 00', Particle.LIST],
    ['ext marker not first', '92 01 c7 00 01', Particle.LIST],
    ['map marker without nil', '82 c7 00 01 01 01 02', Particle.MAP],
    ['truncated', '92 01', Particle.LIST],
    ['trailing bytes', '91 01 02', Particle.LIST],
    ['map in a list bin', '80', Particle.LIST],
    ['list in a map bin', '90', Particle.MAP],
    ['empty particle', '', Particle.LIST]
  ]
  for (const [name, bytes, type] of cases) {
    t.equal(canonicalCdt(hex(bytes), type), null, `${name}: tree path refuses`)
    t.equal(cdtToCanonicalJson(hex(bytes), type === Particle.LIST), null, `${name}: one-pass path refuses`)
  }
  t.throws(() => decodeCdt(hex('92 01')), CdtError)
})

t.test('canonical JSON of the §6 examples', async t => {
  const cases: Array<[string, number, string]> = [
    ['82 c7 00 01 c0 a2 03 61 01', Particle.MAP, '{"$map":{"a":1},"$flags":1}'],
    ['82 a2 03 61 01 a2 03 62 02', Particle.MAP, '{"a":1,"b":2}'],
    ['81 01 a2 03 61', Particle.MAP, '{"$map":[[1,"a"]]}'],
    ['82 a2 03 31 01 a2 03 30 02', Particle.MAP, '{"$map":[["1",1],["0",2]]}'],
    ['81 a3 03 24 6b 01', Particle.MAP, '{"$map":[["$k",1]]}'],
    ['94 c7 00 01 01 02 03', Particle.LIST, '{"$list":[1,2,3],"$flags":1}'],
    ['93 cb 40 08 00 00 00 00 00 00 cb 80 00 00 00 00 00 00 00 cb 3f f8 00 00 00 00 00 00', Particle.LIST, '[{"$double":"3"},{"$double":"-0"},1.5]'],
    ['92 ca 3f c0 00 00 ca 7f c0 00 00', Particle.LIST, '[{"$float32":1.5},{"$float32":"NaN"}]'],
    ['92 cf 7f ff ff ff ff ff ff ff cf ff ff ff ff ff ff ff ff', Particle.LIST, '[{"$int":"9223372036854775807"},{"$int":"18446744073709551615"}]'],
    ['92 a3 04 78 79 a2 17 7b', Particle.LIST, '[{"$blob":"eHk="},{"$geo":"{"}]'],
    ['91 a2 03 ff', Particle.LIST, '[{"$str64":"/w=="}]']
  ]
  for (const [bytes, type, json] of cases) {
    t.equal(cdtToCanonicalJson(hex(bytes), type === Particle.LIST), json, json)
    const v = jsonToValue(JSON.parse(json), 'x')
    t.same(v, { type, value: hex(bytes) }, `${json} re-encodes to the original bytes`)
  }
})

t.test('the one-pass writer agrees with the tree path on generated particles', async t => {
  fc.assert(fc.property(fc.oneof(cdtArb.list, cdtArb.map), (node) => {
    const raw = encodeCdt(node)
    const isList = node.t === 'list'
    const tree = canonicalCdt(raw, isList ? Particle.LIST : Particle.MAP)
    const direct = cdtToCanonicalJson(raw, isList)
    const expected = tree === null ? null : nodeJson(tree, false)
    if (direct !== expected) throw new Error(`${raw.toString('hex')}: ${direct} vs ${expected}`)
    if (direct !== null) {
      const back = jsonToValue(JSON.parse(direct), 'x')
      if (!(back.value as Buffer).equals(raw)) throw new Error(`${direct} re-encodes to ${(back.value as Buffer).toString('hex')}, not ${raw.toString('hex')}`)
    }
  }), { numRuns: 1000 })
  t.pass('agreed')
})

t.test('the one-pass writer agrees with the tree path on arbitrary bytes', async t => {
  const arb = fc.tuple(fc.constantFrom(0x91, 0x92, 0x93, 0x81, 0x82), fc.uint8Array({ maxLength: 12 }))
    .map(([h, rest]) => Buffer.from([h, ...rest]))
  fc.assert(fc.property(arb, (raw) => {
    const isList = raw[0]! >= 0x90
    const tree = canonicalCdt(raw, isList ? Particle.LIST : Particle.MAP)
    const direct = cdtToCanonicalJson(raw, isList)
    const expected = tree === null ? null : nodeJson(tree, false)
    if (direct !== expected) throw new Error(`${raw.toString('hex')}: ${direct} vs ${expected}`)
  }), { numRuns: 3000 })
  t.pass('agreed')
})
