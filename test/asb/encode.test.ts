// The encoder on its own: the literal example of asb-format.md §1.10 built
// from tokens, compact mode, escaping, index/UDF lines, backup-go `* e`, and
// values .asb cannot hold.
import t from 'tap'
import { AsbDecoder } from '../../lib/asb/decode.js'
import { AsbEncoder, escapeBytes } from '../../lib/asb/encode.js'
import { AsbError } from '../../lib/errors.js'
import { Particle } from '../../lib/types.js'
import type { Record, SIndex, Token } from '../../lib/types.js'

const LITERAL = [
  'Version 3.1',
  '# namespace test',
  '# first-file',
  '* i test demo idx_age N 1 age N',
  '* i test  idx_tags L 1 tags S',
  '* i test demo idx_nested L 1 nested N lhABI8zIIqMDaWQ=',
  '* u L example.lua 29 function f(r)',
  '  return 1',
  'end',
  '',
  '+ k S 4 key1',
  '+ n test',
  '+ d 7JEZLUt/jONdXXjTS8ply6qqyWA=',
  '+ s demo',
  '+ g 1',
  '+ t 428179113',
  '+ b 3',
  '- I foo 123',
  '- S bar 3 abc',
  '- Z baz T',
  '+ k I 42',
  '+ n test',
  '+ d en6XyZKL5Z7CHkQWQwMafUjyzMY=',
  '+ g 3',
  '+ t 0',
  '+ b 8',
  '- D pi 3.1400000000000001',
  '- S my\\ bin 23 two words',
  'and a newline',
  '- B blob 4 AAH/',
  '- L list 8 kgGiA2E=',
  '- M map 8 gaIDawE=',
  '- G loc 40 {"type":"Point","coordinates":[0.0,0.0]}',
  '- I neg -9223372036854775808',
  '- Z flag F',
  ''
].join('\n')

const b = (s: string, enc: BufferEncoding = 'latin1'): Buffer => Buffer.from(s, enc)

const LITERAL_TOKENS: Token[] = [
  { kind: 'header', version: '3.1', namespace: 'test', firstFile: true },
  { kind: 'sindex', namespace: 'test', set: 'demo', name: 'idx_age', indexType: 'N', paths: [{ path: 'age', type: 'N' }], context: null },
  { kind: 'sindex', namespace: 'test', set: null, name: 'idx_tags', indexType: 'L', paths: [{ path: 'tags', type: 'S' }], context: null },
  { kind: 'sindex', namespace: 'test', set: 'demo', name: 'idx_nested', indexType: 'L', paths: [{ path: 'nested', type: 'N' }], context: 'lhABI8zIIqMDaWQ=' },
  { kind: 'udf', type: 'L', name: 'example.lua', content: b('function f(r)\n  return 1\nend\n') },
  {
    kind: 'record', namespace: 'test', set: 'demo', key: { type: Particle.STRING, value: b('key1') },
    digest: b('7JEZLUt/jONdXXjTS8ply6qqyWA=', 'base64'), generation: 1, voidTime: 428179113,
    bins: [
      { name: 'foo', type: Particle.INTEGER, value: 123n },
      { name: 'bar', type: Particle.STRING, value: b('abc') },
      { name: 'baz', type: Particle.BOOL, value: true }
    ]
  },
  {
    kind: 'record', namespace: 'test', set: null, key: { type: Particle.INTEGER, value: 42n },
    digest: b('en6XyZKL5Z7CHkQWQwMafUjyzMY=', 'base64'), generation: 3, voidTime: 0,
    bins: [
      { name: 'pi', type: Particle.DOUBLE, value: 3.14 },
      { name: 'my bin', type: Particle.STRING, value: b('two words\nand a newline') },
      { name: 'blob', type: Particle.BLOB, value: Buffer.from([0x00, 0x01, 0xff]) },
      { name: 'list', type: Particle.LIST, value: Buffer.from([0x92, 0x01, 0xa2, 0x03, 0x61]) },
      { name: 'map', type: Particle.MAP, value: Buffer.from([0x81, 0xa2, 0x03, 0x6b, 0x01]) },
      { name: 'loc', type: Particle.GEOJSON, value: b('{"type":"Point","coordinates":[0.0,0.0]}') },
      { name: 'neg', type: Particle.INTEGER, value: -9223372036854775808n },
      { name: 'flag', type: Particle.BOOL, value: false }
    ]
  }
]

function decodeAll (data: Buffer): Token[] {
  const out: Token[] = []
  const dec = new AsbDecoder()
  dec.write(data, x => out.push(x))
  dec.end(x => out.push(x))
  return out
}

function encodeAll (tokens: Token[], compact = false): Buffer {
  const enc = new AsbEncoder({ compact })
  return Buffer.concat(tokens.map(x => enc.encode(x)))
}

t.test('encodes the §1.10 literal example from tokens, byte for byte', async t => {
  t.equal(encodeAll(LITERAL_TOKENS).toString('latin1'), LITERAL)
})

t.test('decodes the §1.10 literal example into the same tokens', async t => {
  t.same(decodeAll(b(LITERAL)), LITERAL_TOKENS)
})

t.test('encodes the §1.10 compact-mode record', async t => {
  const rec: Record = {
    kind: 'record', namespace: 'test', set: 'demo', key: { type: Particle.BLOB, value: b('\x00ab') },
    digest: b('V389c8BbTK+W5mVdE0upblV5EVM=', 'base64'), generation: 1, voidTime: 0,
    bins: [{ name: 'blob', type: Particle.BLOB, value: Buffer.from([0x00, 0x01, 0xff]) }]
  }
  const want = b('+ k B! 3 \x00ab\n+ n test\n+ d V389c8BbTK+W5mVdE0upblV5EVM=\n+ s demo\n+ g 1\n+ t 0\n+ b 1\n- B! blob 3 \x00\x01\xff\n')
  t.ok(new AsbEncoder({ compact: true }).encode(rec).equals(want))
  const back = decodeAll(Buffer.concat([b('Version 3.1\n'), want]))[1]
  t.same(back, rec)
  t.match(new AsbEncoder().encode(rec).toString('latin1'), /^\+ k B 4 AGFi\n[^]*\n- B blob 4 AAH\/\n$/, 'default mode: base64')
})

t.test('writes every bytes-like label, default and compact', async t => {
  const types: Array<[number, string]> = [[4, 'B'], [7, 'J'], [8, 'C'], [9, 'P'], [10, 'R'], [11, 'H'], [12, 'E'], [18, 'Y'], [19, 'M'], [20, 'L']]
  for (const [type, label] of types) {
    const rec: Record = {
      kind: 'record', namespace: 'n', set: null, key: null, digest: Buffer.alloc(20), generation: 0, voidTime: 0,
      bins: [{ name: 'x', type, value: Buffer.from([1, 2]) } as Record['bins'][number]]
    }
    t.match(new AsbEncoder().encode(rec).toString('latin1'), new RegExp(`\\n- ${label} x 4 AQI=\\n$`), label)
    const compact = new AsbEncoder({ compact: true }).encode(rec)
    t.ok(compact.subarray(compact.length - 12).equals(b(`- ${label}! x 2 \x01\x02\n`)), `${label}!`)
    t.same(decodeAll(Buffer.concat([b('Version 3.1\n'), compact]))[1], rec, `${label}! decodes back`)
  }
})

t.test('escapes backslash, space and LF in names only (byte-wise)', async t => {
  t.equal(escapeBytes(b('a b\\c\nd')).toString('latin1'), 'a\\ b\\\\c\\\nd')
  const nonUtf8 = Buffer.from([0xff, 0x20, 0xfe])
  const rec: Record = {
    kind: 'record', namespace: 'test', set: 'golden sp', key: null, digest: Buffer.alloc(20), generation: 1, voidTime: 0,
    bins: [{ name: nonUtf8, type: Particle.STRING, value: b('a b\\') }, { name: 'nl\nbin', type: Particle.NIL, value: null }]
  }
  const text = new AsbEncoder().encode(rec)
  t.ok(text.includes(b('+ s golden\\ sp\n')))
  t.ok(text.includes(Buffer.concat([b('- S '), Buffer.from([0xff, 0x5c, 0x20, 0xfe]), b(' 4 a b\\\n')])), 'value not escaped, name escaped')
  t.ok(text.includes(b('- N nl\\\nbin\n')))
  t.same(decodeAll(Buffer.concat([b('Version 3.1\n'), text]))[1], rec, 'a non-UTF-8 name comes back as a Buffer')
})

t.test('reads a 3.0 file without unescaping and writes it back the same', async t => {
  const v30 = b('Version 3.0\n# namespace test\n+ n test\n+ d 7JEZLUt/jONdXXjTS8ply6qqyWA=\n+ s a\\b\n+ g 1\n+ t 0\n+ b 1\n- I x\\y 1\n')
  const tokens = decodeAll(v30)
  const r = tokens[1] as Record
  t.equal(r.set, 'a\\b', 'set taken raw')
  t.equal(r.bins[0]!.name, 'x\\y', 'bin name taken raw')
  t.ok(encodeAll(tokens).equals(v30))
})

t.test('backup-go Version 3.2 and `* e` lines are read and written back', async t => {
  const v32 = b([
    'Version 3.2',
    '# namespace test',
    '* e test demo exp_idx N 1 n_int N kwGT/wFiaW50',
    '* e test demo exp_ctx L 1 lst N khAA kwGT/wFiaW50',
    '* i test demo plain N 1 age N',
    ''
  ].join('\n'))
  const tokens = decodeAll(v32)
  t.same(tokens.map(x => x.kind), ['header', 'sindex', 'sindex', 'sindex'])
  t.equal((tokens[0] as { version: string }).version, '3.2')
  const [, e1, e2, i3] = tokens as SIndex[]
  t.equal(e1!.expression, 'kwGT/wFiaW50')
  t.equal(e1!.context, null)
  t.equal(e2!.context, 'khAA')
  t.equal(e2!.expression, 'kwGT/wFiaW50')
  t.equal(i3!.expression, undefined)
  t.ok(encodeAll(tokens).equals(v32))
})

t.test('a header without namespace or first-file is the version line alone', async t => {
  t.equal(new AsbEncoder().encode({ kind: 'header', version: '3.1', namespace: null, firstFile: false }).toString(), 'Version 3.1\n')
})

t.test('refuses values .asb cannot hold, with a clear message', async t => {
  const base: Record = { kind: 'record', namespace: 'test', set: null, key: null, digest: Buffer.alloc(20), generation: 1, voidTime: 0, bins: [] }
  const cases: Array<[string, Record, RegExp]> = [
    ['vector bin', { ...base, bins: [{ name: 'v', type: Particle.VECTOR, value: Buffer.alloc(4) }] }, /particle type 16/],
    ['short digest', { ...base, digest: Buffer.alloc(19) }, /digest is 19 bytes/],
    ['generation', { ...base, generation: 70000 }, /generation 70000/],
    ['void-time', { ...base, voidTime: -1 }, /void-time -1/],
    ['namespace too long', { ...base, namespace: 'n'.repeat(32) }, /at most 31/],
    ['set too long', { ...base, set: 's'.repeat(64) }, /at most 63/],
    ['NUL in a bin name', { ...base, bins: [{ name: 'a\0b', type: Particle.NIL, value: null }] }, /contains a NUL byte/],
    ['int64 overflow', { ...base, bins: [{ name: 'i', type: Particle.INTEGER, value: 1n << 63n }] }, /outside the int64 range/]
  ]
  for (const [what, rec, msg] of cases) {
    let err: unknown
    try { new AsbEncoder().encode(rec) } catch (e) { err = e }
    t.ok(err instanceof AsbError && err.code === 'ASB_ERR_INVALID', `${what}: AsbError ASB_ERR_INVALID`)
    t.match((err as Error).message, msg, what)
  }
})

t.test('encodes doubles and int64 extremes in bins and keys', async t => {
  const rec: Record = {
    kind: 'record', namespace: 'test', set: null, key: { type: Particle.DOUBLE, value: 0.1 }, digest: Buffer.alloc(20), generation: 0, voidTime: 0,
    bins: [
      { name: 'a', type: Particle.DOUBLE, value: -0 },
      { name: 'b', type: Particle.DOUBLE, value: NaN },
      { name: 'c', type: Particle.DOUBLE, value: -Infinity },
      { name: 'd', type: Particle.INTEGER, value: 9223372036854775807n },
      { name: 'e', type: Particle.INTEGER, value: -9007199254740993n },
      { name: 'f', type: Particle.INTEGER, value: 0n }
    ]
  }
  const text = new AsbEncoder().encode(rec).toString('latin1')
  t.match(text, /^\+ k D 0\.10000000000000001\n/)
  t.match(text, /\n- D a -0\n- D b nan\n- D c -inf\n- I d 9223372036854775807\n- I e -9007199254740993\n- I f 0\n$/)
  const back = decodeAll(Buffer.concat([b('Version 3.1\n'), b(text)]))[1] as Record
  t.ok(Object.is(back.bins[0]!.value, -0))
  t.same(back, rec)
})
