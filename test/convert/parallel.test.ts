// lib/convert: the chunked, multi-threaded conversion behind as-encode gives
// the serial stream pipeline's output byte for byte, and its errors word for
// word, whatever the chunk size, including cuts that fall inside records.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createConversion } from '../../lib/convert/parallel.js'
import type { ConvertSpec } from '../../lib/convert/converter.js'
import { createAsbDecoder } from '../../lib/asb/decode.js'
import { AsbEncoder, createAsbEncoder } from '../../lib/asb/encode.js'
import { createNdjsonDecoder } from '../../lib/ndjson/decode.js'
import { createNdjsonEncoder, tokenToJson } from '../../lib/ndjson/encode.js'
import { ensureHeader } from '../../lib/ndjson/header.js'
import { AsbError, ParseError } from '../../lib/errors.js'
import { Particle } from '../../lib/types.js'
import type { Header, Record, Token } from '../../lib/types.js'
import { encodeCdt } from '../../lib/cdt/msgpack.js'
import { streamArb } from '../ndjson/arbitraries.js'
import { ASB_FIXTURES } from '../helpers.js'

const RUNS = Number(process.env.FC_RUNS ?? 400)

/** `input` fed in pieces of `piece` bytes. */
function source (input: Buffer, piece: number): Readable {
  const parts: Buffer[] = []
  for (let i = 0; i < input.length; i += piece) parts.push(input.subarray(i, i + piece))
  return Readable.from(parts, { objectMode: false })
}

interface Outcome { out: Buffer, error: Error | null }

function collector (): { sink: Writable, out: Buffer[] } {
  const out: Buffer[] = []
  return { out, sink: new Writable({ write (c: Buffer, _e, cb) { out.push(Buffer.from(c)); cb() } }) }
}

/** The serial stream pipeline as as-encode ran it before lib/convert. */
async function serial (spec: ConvertSpec, input: Buffer): Promise<Outcome & { counts: number[] }> {
  const { sink, out } = collector()
  const counts = [0, 0, 0]
  const stages: Transform[] = [spec.from === 'asb' ? createAsbDecoder({ file: spec.file }) : createNdjsonDecoder({ file: spec.file })]
  if (spec.from === 'ndjson' && spec.to === 'asb') stages.push(ensureHeader())
  stages.push(new Transform({
    objectMode: true,
    transform (tok: Token, _e, cb) {
      if (tok.kind === 'record') counts[0]!++
      else if (tok.kind === 'sindex') counts[1]!++
      else if (tok.kind === 'udf') counts[2]!++
      cb(null, spec.to === null ? undefined : tok)
    }
  }))
  if (spec.to === 'asb') stages.push(createAsbEncoder({ compact: spec.compact }))
  else if (spec.to === 'ndjson') stages.push(createNdjsonEncoder({ relaxed: spec.relaxed }))
  let error: Error | null = null
  try {
    await pipeline([source(input, 65536), ...stages, sink])
  } catch (err) {
    error = err as Error
  }
  return { out: Buffer.concat(out), error, counts }
}

async function parallel (spec: ConvertSpec, input: Buffer, threads: number, chunkSize: number, piece = 4096): Promise<Outcome & { counts: number[], stats: ReturnType<typeof createConversion>['stats'] }> {
  const { sink, out } = collector()
  const conv = createConversion(spec, { threads, chunkSize })
  let error: Error | null = null
  try {
    await pipeline(source(input, piece), conv.stage, sink)
  } catch (err) {
    error = err as Error
  }
  const c = conv.counts
  return { out: Buffer.concat(out), error, counts: [c.records, c.indexes, c.udfs], stats: conv.stats }
}

const header: Header = { kind: 'header', version: '3.1', namespace: 'test', firstFile: true }

/** Records whose strings, keys and blobs imitate record starts (one in `every`), so some cuts fall inside them. */
function trickyRecords (n: number, every = 8): Token[] {
  const tokens: Token[] = [header]
  for (let i = 0; i < n; i++) {
    const fake = i % every === 0 ? '\n+ k S 3 abc\n+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n' : '-'
    const digest = Buffer.alloc(20)
    digest.writeUInt32BE(i, 0)
    const r: Record = {
      kind: 'record',
      namespace: 'test',
      set: i % 3 === 0 ? null : 'set\n+ n x',
      key: i % 4 === 0 ? null : i % 4 === 1 ? { type: Particle.STRING, value: Buffer.from(`key${i}${fake}`) } : { type: Particle.INTEGER, value: BigInt(i) },
      digest,
      generation: 1 + (i % 7),
      voidTime: i % 2 === 0 ? 0 : 530000000 + i,
      bins: [
        { name: 'id', type: Particle.INTEGER, value: BigInt(i) },
        { name: 's', type: Particle.STRING, value: Buffer.from(`text ${i}${i % 2 === 0 ? fake : ''} end`) },
        { name: 'b', type: Particle.BLOB, value: Buffer.from(fake.repeat(1 + (i % 3))) },
        { name: 'd', type: Particle.DOUBLE, value: i / 7 },
        { name: 'l', type: Particle.LIST, value: encodeCdt({ t: 'list', flags: null, items: [{ t: 'bytes', p: 3, v: Buffer.from(fake) }, { t: 'int', v: BigInt(-i) }] }) }
      ]
    }
    tokens.push(r)
    if (i === Math.floor(n / 2)) {
      tokens.push({ kind: 'udf', type: 'L', name: 'mid.lua', content: Buffer.from(`-- ${fake}return 1\n`) })
    }
  }
  return tokens
}

function asbOf (tokens: Token[], compact = false): Buffer {
  const enc = new AsbEncoder({ compact })
  return Buffer.concat(tokens.map((tok) => enc.encode(tok)))
}

function ndjsonOf (tokens: Token[]): Buffer {
  return Buffer.from(tokens.map((tok) => tokenToJson(tok) + '\n').join(''))
}

const SPECS: Array<{ name: string, spec: ConvertSpec }> = [
  { name: 'asb -> ndjson', spec: { from: 'asb', to: 'ndjson', file: 'in' } },
  { name: 'asb -> asb', spec: { from: 'asb', to: 'asb', file: 'in' } },
  { name: 'asb validate', spec: { from: 'asb', to: null, file: 'in' } }
]
const ND_SPECS: Array<{ name: string, spec: ConvertSpec }> = [
  { name: 'ndjson -> asb', spec: { from: 'ndjson', to: 'asb', file: 'in' } },
  { name: 'ndjson -> asb compact', spec: { from: 'ndjson', to: 'asb', compact: true, file: 'in' } },
  { name: 'ndjson -> ndjson relaxed', spec: { from: 'ndjson', to: 'ndjson', relaxed: true, file: 'in' } },
  { name: 'ndjson validate', spec: { from: 'ndjson', to: null, file: 'in' } }
]

t.test('golden .asb files: same bytes and counts as the serial pipeline at every chunk size', async t => {
  for (const f of ['golden.asb', 'golden_compact.asb', 'golden_expidx.asb', 'golden_v391.asb', 'golden_big.asb', 'golden_ns.asb']) {
    const input = readFileSync(join(ASB_FIXTURES, f))
    const big = input.length > 1e6
    for (const { name, spec } of big ? SPECS.filter((s) => s.spec.to !== 'asb') : SPECS) {
      const want = await serial(spec, input)
      t.equal(want.error, null, `${f} ${name}: serial ok`)
      for (const size of big ? [1 << 20] : [1, 200, 4096]) {
        for (const threads of big ? [2] : [0, 2]) {
          const got = await parallel(spec, input, threads, size)
          t.equal(got.error, null, `${f} ${name} chunk ${size} threads ${threads}: no error`)
          t.ok(got.out.equals(want.out), `${f} ${name} chunk ${size} threads ${threads}: same bytes`)
          t.same(got.counts, want.counts, `${f} ${name} chunk ${size} threads ${threads}: same counts`)
          if (threads === 2 && input.length > 4 * size) t.ok(got.stats.workerChunks > 0, `${f} ${name} chunk ${size}: workers used`)
        }
      }
    }
  }
})

t.test('a version 3.0 stream (no escapes) and a stream with globals between records convert the same in chunks', async t => {
  const big = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))
  // 3.0 has no global lines: the header, then golden_big's records
  const first = Math.min(...['\n+ k ', '\n+ n '].map((m) => big.indexOf(m)).filter((i) => i > 0)) + 1
  const meta = big.subarray(0, big.indexOf('\n* ') + 1)
  const v30 = Buffer.concat([Buffer.from('Version 3.0'), meta.subarray('Version 3.1'.length), big.subarray(first)])
  const tokens = trickyRecords(600, 1000)
  tokens.splice(300, 0, { kind: 'sindex', namespace: 'test', set: 'set', name: 'idx_mid', indexType: 'N', paths: [{ path: 'id', type: 'N' }], context: null })
  const mixed = asbOf(tokens)
  for (const [name, input] of [['3.0', v30], ['globals', mixed]] as Array<[string, Buffer]>) {
    for (const spec of [{ from: 'asb', to: 'ndjson', file: 'in' }, { from: 'asb', to: 'asb', file: 'in' }] as ConvertSpec[]) {
      const want = await serial(spec, input)
      t.equal(want.error, null, `${name} -> ${String(spec.to)}: serial ok`)
      const got = await parallel(spec, input, 2, name === '3.0' ? 65536 : 2048, 5000)
      t.equal(got.error, null, `${name} -> ${String(spec.to)}: no error`)
      t.ok(got.out.equals(want.out), `${name} -> ${String(spec.to)}: same bytes (${want.out.length})`)
      t.ok(got.stats.workerChunks > 0, `${name}: workers used`)
    }
  }
})

t.test('cuts inside records (strings, keys, blobs, UDFs that look like record starts) are caught and redone', async t => {
  const tokens = trickyRecords(400)
  for (const compact of [false, true]) {
    const asb = asbOf(tokens, compact)
    for (const { name, spec } of SPECS) {
      const want = await serial(spec, asb)
      t.equal(want.error, null)
      for (const size of [300, 4000]) {
        const got = await parallel(spec, asb, 2, size, 777)
        t.equal(got.error, null, `${name} compact=${compact} chunk ${size}: no error`)
        t.ok(got.out.equals(want.out), `${name} compact=${compact} chunk ${size}: same bytes`)
        t.same(got.counts, want.counts)
        t.ok(got.stats.redone > 0, `${name} compact=${compact} chunk ${size}: some cuts were redone (${got.stats.redone})`)
        t.ok(got.stats.workerChunks > 0, `${name} compact=${compact} chunk ${size}: workers used (${got.stats.workerChunks})`)
      }
    }
  }
  const nd = ndjsonOf(tokens)
  for (const { name, spec } of ND_SPECS) {
    const want = await serial(spec, nd)
    t.equal(want.error, null)
    const got = await parallel(spec, nd, 2, 3000, 1000)
    t.equal(got.error, null, `${name}: no error`)
    t.ok(got.out.equals(want.out), `${name}: same bytes`)
    t.same(got.counts, want.counts)
    t.equal(got.stats.redone, 0, `${name}: NDJSON cuts are always exact`)
  }
})

t.test('generated streams: parallel output equals serial output (property)', async t => {
  await fc.assert(fc.asyncProperty(streamArb({ asb: true }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), async (tokens, size, piece, compact) => {
    const asb = asbOf(tokens, compact)
    const nd = ndjsonOf(tokens)
    for (const [spec, input] of [[{ from: 'asb', to: 'ndjson' }, asb], [{ from: 'ndjson', to: 'asb', compact }, nd]] as Array<[ConvertSpec, Buffer]>) {
      const want = await serial(spec, input)
      const got = await parallel(spec, input, 2, size, piece)
      if (want.error !== null || got.error !== null) throw new Error(`unexpected error: ${String(want.error ?? got.error)}`)
      if (!got.out.equals(want.out)) throw new Error(`${spec.from} -> ${String(spec.to)}: output differs`)
    }
  }), { numRuns: Math.max(10, Math.floor(RUNS / 40)) })
  t.pass('property held')
})

/** NDJSON of `n` plain records. */
function plainLines (n: number): string[] {
  const lines = [tokenToJson(header)]
  for (let i = 0; i < n; i++) lines.push(`{"namespace":"test","set":"s","digest":"${Buffer.alloc(20, i & 0xff).toString('base64')}","generation":1,"bins":{"i":${i},"s":"value ${i}"}}`)
  return lines
}

t.test('errors in later chunks: the serial message (line, offset), and the output before the bad line', async t => {
  const lines = plainLines(3000)
  const cases: Array<{ name: string, at: number, line: string | Buffer }> = [
    { name: 'bad JSON', at: 2500, line: '{"namespace":"test",' },
    { name: 'bad typed value', at: 1700, line: '{"namespace":"test","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","bins":{"a":{"$int":"x"}}}' },
    { name: 'invalid UTF-8', at: 2999, line: Buffer.from([0x7b, 0xff, 0x7d]) },
    { name: 'disagreeing header', at: 1200, line: '{"$meta":"header","version":"3.1","namespace":"other","firstFile":true}' }
  ]
  for (const c of cases) {
    const parts = lines.map((l) => Buffer.from(l + '\n'))
    parts[c.at] = Buffer.concat([Buffer.from(c.line), Buffer.from('\n')])
    const input = Buffer.concat(parts)
    const spec: ConvertSpec = { from: 'ndjson', to: 'asb', file: 'in.ndjson' }
    const want = await serial(spec, input)
    t.ok(want.error instanceof AsbError, `${c.name}: serial fails`)
    const before = await serial(spec, Buffer.concat(parts.slice(0, c.at)))
    for (const threads of [0, 2]) {
      const got = await parallel(spec, input, threads, 4096)
      t.equal(got.error?.message, want.error!.message, `${c.name} threads ${threads}: same message`)
      t.equal((got.error as AsbError).exitCode, (want.error as AsbError).exitCode)
      t.equal(got.error?.constructor, want.error!.constructor, `${c.name}: same class`)
      t.ok(got.out.equals(before.out), `${c.name} threads ${threads}: everything before the bad line was written`)
    }
  }
  t.match((await parallel({ from: 'ndjson', to: 'asb', file: 'in.ndjson' }, Buffer.from(lines.slice(0, 2500).join('\n') + '\n{"namespace":\n'), 2, 4096)).error?.message, /^in\.ndjson: line 2501: /)
})

t.test('.asb errors in later chunks keep line, column and offset', async t => {
  const tokens = trickyRecords(300)
  const asb = asbOf(tokens)
  const spec: ConvertSpec = { from: 'asb', to: 'ndjson', file: 'in.asb' }
  const mutations: Array<{ name: string, input: Buffer }> = []
  const g = asb.indexOf('\n+ g ', Math.floor(asb.length * 0.8))
  const bad = Buffer.from(asb)
  bad[g + 3] = 0x71 // '+ q'
  mutations.push({ name: 'bad record line', input: bad })
  mutations.push({ name: 'truncated in a record', input: asb.subarray(0, asb.indexOf('\n- D ', Math.floor(asb.length * 0.7)) + 3) })
  const bin = Buffer.from(asb)
  const d = bin.indexOf('\n- D d ', Math.floor(asb.length * 0.5))
  bin[d + 7] = 0x78 // 'x' in the double
  mutations.push({ name: 'bad double', input: bin })
  for (const m of mutations) {
    const want = await serial(spec, m.input)
    t.ok(want.error instanceof ParseError, `${m.name}: serial fails`)
    for (const size of [500, 5000]) {
      const got = await parallel(spec, m.input, 2, size, 999)
      t.equal(got.error?.message, want.error!.message, `${m.name} chunk ${size}: same message (${want.error!.message})`)
      t.ok(got.error instanceof ParseError)
    }
  }
})

t.test('a consumer that fails stops the conversion and its workers', async t => {
  const input = ndjsonOf(trickyRecords(2000))
  const conv = createConversion({ from: 'ndjson', to: 'asb' }, { threads: 2, chunkSize: 8192 })
  let writes = 0
  const sink = new Writable({
    write (_c, _e, cb) {
      writes++
      cb(writes === 3 ? new Error('reader gone') : null)
    }
  })
  await t.rejects(pipeline(source(input, 4096), conv.stage, sink), /reader gone/)
  t.equal(writes, 3)
  // the test file ends: no worker was left running
})

t.test('a slow consumer holds back the input (bounded read-ahead)', async t => {
  const input = Buffer.from(plainLines(20000).join('\n') + '\n')
  let read = 0
  const parts: Buffer[] = []
  for (let i = 0; i < input.length; i += 4096) parts.push(input.subarray(i, i + 4096))
  let k = 0
  const src = new Readable({ read () { if (k < parts.length) { read += parts[k]!.length; this.push(parts[k++]) } else this.push(null) } })
  const conv = createConversion({ from: 'ndjson', to: 'asb' }, { threads: 2, chunkSize: 16384 })
  let seen = 0
  const sink = new Writable({
    highWaterMark: 1,
    write (c: Buffer, _e, cb) {
      seen += c.length
      if (seen > 16384 && seen < 40000) {
        // stalled consumer: the input read so far stays small
        setTimeout(() => { t.ok(read < 400000, `read ahead ${read} bytes of ${input.length} while the consumer stalls`); cb() }, 200)
      } else cb()
    }
  })
  await pipeline(src, conv.stage, sink)
  t.equal(read, input.length)
})
