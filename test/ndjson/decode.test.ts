// The NDJSON decoder: one exact message per kind of bad line, streaming at
// any split, line numbers, relaxed input (plain JSON), big integer literals.
import t from 'tap'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createNdjsonDecoder, parseNdjsonLine } from '../../lib/ndjson/decode.js'
import { tokenToJson } from '../../lib/ndjson/encode.js'
import { ensureHeader } from '../../lib/ndjson/header.js'
import { decodeCdt } from '../../lib/cdt/msgpack.js'
import { ParseError } from '../../lib/errors.js'
import { Particle } from '../../lib/types.js'
import type { Record, Token } from '../../lib/types.js'

const D = '"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="'
const R = (bins: string, extra = ''): string => `{"namespace":"test",${D}${extra},"bins":${bins}}`

t.test('malformed lines: one exact message each', async t => {
  const table: Array<[string, string]> = [
    ['{"namespace":"test"', 'invalid JSON: expected "," or "}" at column 20'],
    ['nope', 'invalid JSON: unexpected character "n" at column 1'],
    ['{"a":1} x', 'invalid JSON: unexpected data after the JSON value at column 9'],
    [R('{"a":1,}'), 'invalid JSON: expected a member name at column 75'],
    [R('{"a":"x\ty"}'), 'invalid JSON: invalid string at column 73'],
    ['[1,2]', 'expected a JSON object'],
    ['{"$meta":"footer"}', '$meta: expected "header", "sindex" or "udf"'],
    ['{"$meta":"header","version":3.1}', 'version: expected a format version like "3.1"'],
    ['{"$meta":"header","version":"3.1","ns":"x"}', 'unknown header member "ns"'],
    ['{"$meta":"sindex","namespace":"t","set":null,"name":"i","indexType":"X","paths":[],"context":null}', 'indexType: expected "N", "L", "K" or "V"'],
    ['{"$meta":"sindex","namespace":"t","set":null,"name":"i","indexType":"N","paths":[{"path":"b","type":"Q"}],"context":null}', 'paths[0].type: expected "S", "N", "G" or "B"'],
    ['{"$meta":"udf","type":"L","name":"x.lua","content":5}', 'content: expected a string or {"$blob": base64}'],
    [`{"set":"s",${D},"bins":{}}`, 'record: expected a "namespace" member (or "$meta" for a metadata line)'],
    ['{"namespace":"test","bins":{}}', 'record: expected a "digest" member (the base64 of 20 bytes), or a "key" to compute it from'],
    ['{"namespace":"test","digest":"AAAA","bins":{}}', 'digest: expected the base64 of 20 bytes'],
    ['{"namespace":"test","digest":"not base64!!","bins":{}}', 'digest: expected a base64 string'],
    ['{"namespace":{"$str64":5},"digest":"AAAA","bins":{}}', 'namespace.$str64: expected a base64 string'],
    [R('[]'), 'bins: expected an object of bin name -> value'],
    [R('{}', ',"ttl":5'), 'unknown record member "ttl"'],
    [R('{}', ',"generation":70000'), 'generation: expected an integer 0..65535'],
    [R('{}', ',"expiration":"2027-01-01"'), 'expiration: expected null or an ISO-8601 time with a zone like "2027-01-01T00:00:00Z"'],
    [R('{}', ',"expiration":"2009-12-31T00:00:00Z"'), 'expiration: "2009-12-31T00:00:00Z" is outside 2010-01-01T00:00:01Z..2146-02-07T06:28:15Z'],
    [R('{}', ',"expiration":"2027-01-01T00:00:00.5Z"'), 'expiration: "2027-01-01T00:00:00.5Z" is not a valid whole-second time'],
    [R('{}', ',"key":[1]'), 'key: expected an integer, a double, a string or bytes'],
    [R('{"a":{"$int":"12x"}}'), 'bins.a.$int: expected an integer in a string like {"$int": "-9223372036854775808"}'],
    [R('{"a":{"$int":"9223372036854775808"}}'), 'bins.a: integer 9223372036854775808 is out of the int64 range'],
    [R('{"a":{"$double":"nan"}}'), 'bins.a.$double: expected a number or "NaN", "-NaN", "Infinity", "-Infinity", "-0"'],
    [R('{"a":{"$blob":"AAA"}}'), 'bins.a.$blob: expected a base64 string'],
    [R('{"a":{"$blob":"AA==","x":1}}'), 'bins.a: unexpected member "x" beside "$blob"'],
    [R('{"a":{"$foo":1}}'), 'bins.a: unknown tag "$foo"'],
    [R('{"a":{"$float32":1.5}}'), 'bins.a: $float32 is only allowed inside lists and maps'],
    [R('{"a":[{"$msgpack":"kQE=","$type":"list"}]}'), 'bins.a[0]: $msgpack is only allowed as a whole bin value'],
    [R('{"a":{"$msgpack":"kQE=","$type":"set"}}'), 'bins.a.$type: expected "list" or "map"'],
    [R('{"a":{"$map":[[1]]}}'), 'bins.a.$map[0]: expected a [key, value] pair'],
    [R('{"a":{"$list":[],"$flags":300}}'), 'bins.a.$flags: expected an integer 0..255'],
    [R('{"a":{"b":{"$x":1}}}'), 'bins.a.b: unknown tag "$x"'],
    [R('{"a":"\\ud800"}'), 'bins.a: string has a lone surrogate (use {"$str64": ...} for bytes that are not UTF-8)'],
    [R('{"\\u0000!!":1}'), 'bin name "\\u0000!!": expected U+0000 followed by base64'],
    [R('{"a":1}', ',"binOrder":["b"]'), 'binOrder: expected an array naming every member of "bins" once']
  ]
  for (const [line, msg] of table) {
    t.throws(() => parseNdjsonLine(line, 7, 'in.ndjson'), { name: 'ParseError', message: `in.ndjson: line 7: ${msg}`, code: 'ASB_ERR_PARSE' }, msg)
  }
})

async function decode (chunks: Buffer[], file = 'in.ndjson'): Promise<Token[]> {
  const out: Token[] = []
  await pipeline(Readable.from(chunks), createNdjsonDecoder({ file }), new Writable({ objectMode: true, write (tok: Token, _e, cb) { out.push(tok); cb() } }))
  return out
}

const sample = [
  '{"$meta":"header","version":"3.1","namespace":"test","firstFile":true}',
  '{"$meta":"udf","type":"L","name":"a.lua","content":"return 1\\n"}',
  R('{"s":"héllo\\nworld","n":{"$int":"-9223372036854775808"},"l":[1,{"$double":"2"},"x"]}', ',"key":"k1","set":"demo","generation":3,"expiration":"2027-01-01T00:00:00Z"'),
  R('{"b":{"$blob":"AAEC"}}')
].join('\n') + '\n'

t.test('decodes the same tokens whatever the chunking (1 byte at a time)', async t => {
  const bytes = Buffer.from(sample)
  const whole = await decode([bytes])
  t.equal(whole.length, 4)
  const ones = await decode([...bytes].map((b) => Buffer.from([b])))
  t.same(ones, whole, 'byte by byte')
  const split = await decode([bytes.subarray(0, 100), bytes.subarray(100, 101), bytes.subarray(101)])
  t.same(split, whole, 'three pieces')
  const rec = whole[2] as Record
  t.equal(rec.voidTime, Date.parse('2027-01-01T00:00:00Z') / 1000 - 1262304000, 'expiration converts to the void-time')
  t.same(rec.bins[0], { type: Particle.STRING, value: Buffer.from('héllo\nworld'), name: 's' })
})

t.test('CRLF, blank lines and a missing final LF are accepted; line numbers count every line', async t => {
  const text = Buffer.from('\r\n' + R('{}') + '\r\n   \n' + R('{"a":1}'))
  const toks = await decode([text])
  t.equal(toks.length, 2)
  await t.rejects(decode([Buffer.from(R('{}') + '\n\n' + R('{"a":}') + '\n')], 'x.ndjson'),
    { message: 'x.ndjson: line 3: invalid JSON: unexpected character "}" at column 73' })
})

t.test('invalid UTF-8 in a line is an error with its byte offset', async t => {
  const bad = Buffer.concat([Buffer.from(R('{}') + '\n'), Buffer.from('{"namespace":"\xff"}\n', 'latin1')])
  await t.rejects(decode([bad]), { message: `in.ndjson: line 2 (byte ${R('{}').length + 1}): invalid UTF-8 in the line (NDJSON is UTF-8 text)` })
})

t.test('relaxed input: plain numbers, objects and arrays', async t => {
  const rec = parseNdjsonLine(R('{"i":3,"f":3.0,"d":2.5,"e":1e300,"m":{"b":1,"a":[true,null]},"big":9223372036854775807,"neg":-9007199254740993,"s":"x"}'), 1) as Record
  const byName = Object.fromEntries(rec.bins.map((b) => [b.name as string, b]))
  t.same(byName.i, { type: Particle.INTEGER, value: 3n, name: 'i' })
  t.same(byName.f, { type: Particle.INTEGER, value: 3n, name: 'f' }, 'integral 3.0 is an int')
  t.same(byName.d, { type: Particle.DOUBLE, value: 2.5, name: 'd' })
  t.same(byName.e, { type: Particle.DOUBLE, value: 1e300, name: 'e' }, 'integral beyond int64 is a double')
  t.same(byName.big, { type: Particle.INTEGER, value: 9223372036854775807n, name: 'big' }, 'int64 max literal is exact')
  t.same(byName.neg, { type: Particle.INTEGER, value: -9007199254740993n, name: 'neg' }, '-(2^53+1) literal is exact')
  t.same(decodeCdt(byName.m!.value as Buffer), {
    t: 'map',
    flags: null,
    entries: [
      [{ t: 'bytes', p: 3, v: Buffer.from('b') }, { t: 'int', v: 1n }],
      [{ t: 'bytes', p: 3, v: Buffer.from('a') }, { t: 'list', flags: null, items: [{ t: 'bool', v: true }, { t: 'nil' }] }]
    ]
  }, 'a plain object is an unordered map with keys in the order written')
  const big = parseNdjsonLine(R('{"l":[18446744073709551615, 12345678901234567890123]}'), 1) as Record
  t.same(decodeCdt(big.bins[0]!.value as Buffer), { t: 'list', flags: null, items: [{ t: 'double', v: 18446744073709551615 }, { t: 'double', v: 12345678901234567890123 }] })
})

t.test('bin order survives array-index bin names; duplicates survive escaped', async t => {
  const rec: Record = {
    kind: 'record', namespace: 'test', set: null, key: null, digest: Buffer.alloc(20), generation: 0, voidTime: 0,
    bins: [
      { name: 'b', type: Particle.INTEGER, value: 1n },
      { name: '10', type: Particle.INTEGER, value: 2n },
      { name: '2', type: Particle.INTEGER, value: 3n },
      { name: 'b', type: Particle.INTEGER, value: 4n }
    ]
  }
  const line = tokenToJson(rec)
  t.equal(line, '{"namespace":"test","set":null,"key":null,"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","generation":0,"expiration":null,"bins":{"b":1,"10":2,"2":3,"\\u0000Yg==":4},"binOrder":["b","10","2","\\u0000Yg=="]}')
  t.same(parseNdjsonLine(line, 1), rec)
  const many: Record = { ...rec, bins: Array.from({ length: 40 }, (_, i) => ({ name: `b${i % 20}`, type: Particle.INTEGER, value: BigInt(i) })) }
  const manyLine = tokenToJson(many)
  t.same(parseNdjsonLine(manyLine, 1), many, '40 bins, each name twice')
  t.throws(() => tokenToJson({ ...rec, bins: [...rec.bins, { name: 'b', type: Particle.NIL, value: null }] }), { message: 'bin "b" appears more than twice in one record' })
})

t.test('ensureHeader puts the asbackup header in front of header-less NDJSON', async t => {
  const out: Token[] = []
  const toks = await decode([Buffer.from('{"$meta":"udf","type":"L","name":"a.lua","content":""}\n' + R('{}') + '\n')])
  await pipeline(Readable.from(toks), ensureHeader(), new Writable({ objectMode: true, write (tok: Token, _e, cb) { out.push(tok); cb() } }))
  t.same(out.map((x) => x.kind), ['header', 'udf', 'record'])
  t.same(out[0], { kind: 'header', version: '3.1', namespace: 'test', firstFile: true })
  const passthrough: Token[] = []
  const withHeader = await decode([Buffer.from(sample)])
  await pipeline(Readable.from(withHeader), ensureHeader(), new Writable({ objectMode: true, write (tok: Token, _e, cb) { passthrough.push(tok); cb() } }))
  t.same(passthrough, withHeader, 'unchanged when the header is there')
  await t.rejects(pipeline(Readable.from([{ kind: 'udf', type: 'L', name: 'a', content: Buffer.alloc(0) }]), ensureHeader(), new Writable({ objectMode: true, write (_x, _e, cb) { cb() } })),
    { message: 'no header line, index or record names the namespace; add a {"$meta":"header",...} line' })
  const other = await decode([Buffer.from(sample + sample.replace('"namespace":"test","firstFile"', '"namespace":"bar","firstFile"'))])
  const kept: Token[] = []
  await t.rejects(pipeline(Readable.from(other), ensureHeader(), new Writable({ objectMode: true, write (tok: Token, _e, cb) { kept.push(tok); cb() } })),
    { message: 'a second header line (version 3.1, namespace bar) disagrees with the first (version 3.1, namespace test); one .asb has one header' })
  const twice: Token[] = []
  await pipeline(Readable.from(await decode([Buffer.from(sample + sample)])), ensureHeader(), new Writable({ objectMode: true, write (tok: Token, _e, cb) { twice.push(tok); cb() } }))
  t.same(twice.map((x) => x.kind), ['header', 'udf', 'record', 'record', 'udf', 'record', 'record'], 'an agreeing second header is dropped')
})

t.test('ParseError carries the position', async t => {
  try {
    parseNdjsonLine('{', 12, 'f')
    t.fail('no error')
  } catch (err) {
    t.ok(err instanceof ParseError)
    t.same((err as ParseError).position, { file: 'f', line: 12 })
  }
})

t.test('lists and maps packed from JSON stay intact around a value larger than the packing slab', async t => {
  const big = Array.from({ length: 300_000 }, (_, i) => i * 7919)
  const a = parseNdjsonLine(R(`{"small":[1,2,3],"big":${JSON.stringify(big)},"after":{"k":"v"}}`), 1) as Record
  const b = parseNdjsonLine(R('{"next":[4,5]}'), 2) as Record
  t.same(decodeCdt(a.bins[0]!.value as Buffer), { t: 'list', flags: null, items: [1n, 2n, 3n].map((v) => ({ t: 'int', v })) })
  const bigNode = decodeCdt(a.bins[1]!.value as Buffer) as { items: Array<{ v: bigint }> }
  t.equal(bigNode.items.length, big.length)
  t.equal(bigNode.items[299_999]!.v, BigInt(299_999 * 7919))
  t.same(decodeCdt(a.bins[2]!.value as Buffer), { t: 'map', flags: null, entries: [[{ t: 'bytes', p: 3, v: Buffer.from('k') }, { t: 'bytes', p: 3, v: Buffer.from('v') }]] })
  t.same(decodeCdt(b.bins[0]!.value as Buffer), { t: 'list', flags: null, items: [4n, 5n].map((v) => ({ t: 'int', v })) })
})

t.test('a record without a digest gets the one computed from set and key', async t => {
  // asb-format.md §1.9: set demo, string key "key1"
  const rec = parseNdjsonLine('{"namespace":"test","set":"demo","key":"key1","bins":{}}', 1) as Record
  t.equal(rec.digest.toString('base64'), '7JEZLUt/jONdXXjTS8ply6qqyWA=')
})
