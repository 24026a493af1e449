// Golden files from the real asbackup 4.5.8 / 3.9.1 (../shared/fixtures/asb):
// decode, re-encode byte-identically, and decode the same whatever the chunking.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsbDecoder, createAsbDecoder } from '../../lib/asb/decode.js'
import { AsbEncoder, createAsbEncoder } from '../../lib/asb/encode.js'
import type { Token } from '../../lib/types.js'
import { ASB_FIXTURES } from '../helpers.js'

const PLAIN = [
  'golden.asb', 'golden_compact.asb', 'golden_expidx.asb', 'golden_v391.asb', 'golden_big.asb', 'golden_ns.asb',
  ...readdirSync(join(ASB_FIXTURES, 'golden_dir_p4')).sort().map(f => `golden_dir_p4/${f}`),
  ...readdirSync(join(ASB_FIXTURES, 'golden_big_dir_p4')).sort().map(f => `golden_big_dir_p4/${f}`)
]
const SMALL = new Set(['golden.asb', 'golden_compact.asb', 'golden_expidx.asb', 'golden_v391.asb',
  ...PLAIN.filter(f => f.startsWith('golden_dir_p4/'))])

function decodeChunks (chunks: Buffer[], file?: string): Token[] {
  const out: Token[] = []
  const push = (tok: Token): void => { out.push(tok) }
  const dec = new AsbDecoder({ file })
  for (const c of chunks) dec.write(c, push)
  dec.end(push)
  return out
}

function split (data: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < data.length;) {
    const n = Math.max(1, sizes())
    out.push(data.subarray(i, i + n))
    i += n
  }
  return out
}

function counts (tokens: Token[]): { [k: string]: number } {
  const c: { [k: string]: number } = { header: 0, sindex: 0, udf: 0, record: 0 }
  for (const tok of tokens) c[tok.kind]!++
  return c
}

// Record counts from MANIFEST.md
const EXPECTED_RECORDS: { [f: string]: number } = {
  'golden.asb': 54,
  'golden_compact.asb': 54,
  'golden_expidx.asb': 54,
  'golden_v391.asb': 54,
  'golden_big.asb': 6000,
  'golden_ns.asb': 7089
}

for (const file of PLAIN) {
  t.test(`${file}: decodes and re-encodes byte-identically`, async t => {
    const data = readFileSync(join(ASB_FIXTURES, file))
    const tokens = decodeChunks([data], file)
    t.equal(tokens[0]!.kind, 'header', 'one header first')
    t.equal(tokens.filter(x => x.kind === 'header').length, 1, 'exactly one header')
    const c = counts(tokens)
    if (EXPECTED_RECORDS[file] !== undefined) t.equal(c.record, EXPECTED_RECORDS[file], 'record count from MANIFEST.md')
    const enc = new AsbEncoder({ compact: file.includes('compact') })
    const out = Buffer.concat(tokens.map(tok => enc.encode(tok)))
    t.equal(out.length, data.length, 'same length')
    t.ok(out.equals(data), 'same bytes')
  })
}

t.test('golden.asb carries the header, 9 indexes, 2 UDFs and 54 records of MANIFEST.md', async t => {
  const tokens = decodeChunks([readFileSync(join(ASB_FIXTURES, 'golden.asb'))])
  t.same(counts(tokens), { header: 1, sindex: 9, udf: 2, record: 54 })
  t.same(tokens[0], { kind: 'header', version: '3.1', namespace: 'test', firstFile: true })
  const idx = tokens.filter(x => x.kind === 'sindex')
  t.same(idx.find(x => x.name === 'golden_idx_ctx'), {
    kind: 'sindex', namespace: 'test', set: 'golden', name: 'golden_idx_ctx', indexType: 'L',
    paths: [{ path: 'nested', type: 'N' }], context: 'khAA'
  })
  t.same(idx.find(x => x.name === 'golden_idx_space')?.paths, [{ path: 'a b', type: 'S' }], 'escaped path a\\ b')
  t.same(idx.find(x => x.name === 'golden_idx_blob')?.paths, [{ path: 'blob', type: 'B' }])
  const udfs = tokens.filter(x => x.kind === 'udf')
  t.same(udfs.map(u => [u.name, u.content.length]), [['check_udf.lua', 98], ['golden_udf.lua', 255]])
})

t.test('directory-mode files: only _00000 has first-file, indexes and UDFs', async t => {
  const per = PLAIN.filter(f => f.startsWith('golden_dir_p4/')).map(f => decodeChunks([readFileSync(join(ASB_FIXTURES, f))]))
  t.same(per.map(tk => (tk[0] as { firstFile: boolean }).firstFile), [true, false, false, false])
  t.same(per.map(tk => counts(tk).sindex), [9, 0, 0, 0])
  t.same(per.map(tk => counts(tk).udf), [2, 0, 0, 0])
  t.same(per.map(tk => counts(tk).record), [13, 11, 16, 14])
})

for (const file of PLAIN.filter(f => SMALL.has(f))) {
  t.test(`${file}: one byte at a time gives the same tokens`, async t => {
    const data = readFileSync(join(ASB_FIXTURES, file))
    t.same(decodeChunks(split(data, () => 1)), decodeChunks([data]))
  })
}

t.test('big files: odd chunk sizes give the same tokens', async t => {
  let seed = 7
  const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed }
  for (const file of ['golden_big.asb', 'golden_ns.asb']) {
    const data = readFileSync(join(ASB_FIXTURES, file))
    // Compared through the (byte-identical) encoder: a deep t.same over 13k records is slow.
    const encodeAll = (tokens: Token[]): Buffer => { const e = new AsbEncoder(); return Buffer.concat(tokens.map(x => e.encode(x))) }
    const a = decodeChunks(split(data, () => 1 + (rnd() % 97)))
    const b = decodeChunks(split(data, () => 4093))
    t.equal(a.length, b.length)
    t.ok(encodeAll(a).equals(data), `${file}: random 1..97-byte chunks`)
    t.ok(encodeAll(b).equals(data), `${file}: 4093-byte chunks`)
  }
})

t.test('streams: file -> createAsbDecoder -> createAsbEncoder reproduces the bytes', async t => {
  for (const file of ['golden.asb', 'golden_big.asb']) {
    const data = readFileSync(join(ASB_FIXTURES, file))
    const out: Buffer[] = []
    await pipeline(
      Readable.from(split(data, () => 65536)),
      createAsbDecoder({ file }),
      createAsbEncoder(),
      new Writable({ write (c: Buffer, _e, cb) { out.push(c); cb() } })
    )
    t.ok(Buffer.concat(out).equals(data), file)
    t.ok(out.length > 1 || data.length < 65536, 'encoder output comes in several chunks')
  }
})

t.test('streams: a slow consumer holds back the decoder (bounded buffering)', async t => {
  const data = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))
  const chunks = split(data, () => 16384)
  let pulled = 0
  const source = Readable.from((function * () { for (const c of chunks) { pulled++; yield c } })(), { highWaterMark: 1 })
  const dec = createAsbDecoder()
  let seen = 0
  let maxBuffered = 0
  let maxAhead = 0
  await pipeline(source, dec, new Writable({
    objectMode: true,
    highWaterMark: 1,
    write (_tok: Token, _e, cb) {
      seen++
      maxBuffered = Math.max(maxBuffered, dec.readableLength)
      // records per 16 KiB chunk of golden_big are ~17: how far the source runs ahead of the sink
      maxAhead = Math.max(maxAhead, pulled - Math.floor(seen / 17))
      setImmediate(cb)
    }
  }))
  t.equal(seen, 6003)
  t.ok(maxBuffered <= 256 + 64, `decoder buffered at most ${maxBuffered} tokens`)
  t.ok(maxAhead < 40, `source ran at most ${maxAhead} chunks ahead of the consumer`)
})

t.test('a large value fed in tiny chunks is parsed once it is complete (linear, not quadratic)', async t => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61)
  const head = Buffer.from('Version 3.1\n+ n test\n+ d 7JEZLUt/jONdXXjTS8ply6qqyWA=\n+ g 1\n+ t 0\n+ b 1\n- S s ' + big.length + ' ', 'latin1')
  const data = Buffer.concat([head, big, Buffer.from('\n')])
  const started = process.cpuUsage()
  const tokens = decodeChunks(split(data, () => 512))
  const used = process.cpuUsage(started)
  t.equal(tokens.length, 2)
  const r = tokens[1] as Token & { kind: 'record' }
  t.ok((r.bins[0]!.value as Buffer).equals(big))
  t.ok(used.user + used.system < 5_000_000, `8192 chunks took ${((used.user + used.system) / 1000).toFixed(0)} ms of CPU`)
})

t.test('write after end is an error', async t => {
  const dec = new AsbDecoder()
  dec.write(Buffer.from('Version 3.1\n'), () => {})
  dec.end(() => {})
  t.throws(() => dec.write(Buffer.from('+'), () => {}), /write after end/)
})
