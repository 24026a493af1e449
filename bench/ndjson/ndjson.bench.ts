// NDJSON hot paths on a generated stream of 1M records (~200 B of bin data
// each): asb->ndjson (the .asb decoder feeding the NDJSON encoder) and
// ndjson->asb (the NDJSON decoder feeding the .asb encoder), beside a
// JSON.parse baseline (split on LF + JSON.parse of the same NDJSON bytes).
//
//   node dist/bench/ndjson/ndjson.bench.js [--records N] [--runs N] [--threads N] [--only TEXT]
//
// The `as-encode` rows run lib/convert, as-encode's own path: the two halves
// called directly on ~1 MiB chunks, on one thread and on --threads worker
// threads (default: as-encode's, one per core up to 4).
//
// 10 000 distinct records are generated once and their bytes replayed, so the
// run measures the codecs rather than the generator. Target on the 2-core
// build machine: >= 80 MB/s for both NDJSON paths.
//
// Figures on the 2-core build machine (Node 20.20.2, 2026-11-21, best /
// median MB/s; a shared VM: the JSON.parse baseline read 147-168 in these runs):
//
//                          ndjson->asb    asb->ndjson
//   stream pipeline        53.8 / 53.6    56.0 / 55.4   (--runs 3)
//   as-encode, 1 thread    52.6 / 48.1    50.1 / 48.7   (--runs 3)
//   as-encode, 2 threads   84.9 / 69.8    94.4 / 70.2   (--runs 3)
//   as-encode, 2 threads   78.0 / 73.9    75.8 / 74.9   (--runs 5, another hour)
//
// The 80 MB/s target is reached on good runs and missed on typical ones. Two
// threads give ~1.5x, not 2x: each worker's functions run uniformly ~35%
// slower when both cores are busy (same profile shape, no added work).

import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsbEncoder, createAsbEncoder } from '../../lib/asb/encode.js'
import { createAsbDecoder } from '../../lib/asb/decode.js'
import { createNdjsonDecoder } from '../../lib/ndjson/decode.js'
import { createNdjsonEncoder, tokenToJson } from '../../lib/ndjson/encode.js'
import { encodeCdt } from '../../lib/cdt/msgpack.js'
import { createConversion } from '../../lib/convert/parallel.js'
import type { ConvertSpec } from '../../lib/convert/converter.js'
import { availableParallelism } from 'node:os'
import { Particle } from '../../lib/types.js'
import type { Header, Record, Token } from '../../lib/types.js'

const argIdx = process.argv.indexOf('--records')
const RECORDS = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 1_000_000
const runsIdx = process.argv.indexOf('--runs')
/** Each stage runs this many times, interleaved with the others; best and median are shown (the build machine is a shared VM). */
const RUNS = runsIdx > 0 ? Number(process.argv[runsIdx + 1]) : 3
const threadsIdx = process.argv.indexOf('--threads')
/** Worker threads for the as-encode rows (lib/convert); default as-encode's own. */
const THREADS = threadsIdx > 0 ? Number(process.argv[threadsIdx + 1]) : Math.min(4, availableParallelism())
const DISTINCT = Math.min(10_000, RECORDS)
const REPEAT = Math.max(1, Math.round(RECORDS / DISTINCT))
const CHUNK = 64 * 1024

function record (i: number): Record {
  const digest = Buffer.alloc(20)
  digest.writeUInt32BE(i * 2654435761 >>> 0, 0)
  digest.writeUInt32BE(i, 16)
  const blob = Buffer.alloc(64)
  for (let j = 0; j < blob.length; j++) blob[j] = (i * 31 + j * 7) & 0xff
  return {
    kind: 'record',
    namespace: 'test',
    set: 'bench',
    key: { type: Particle.STRING, value: Buffer.from(`user-${i}`) },
    digest,
    generation: 1 + (i % 5),
    voidTime: 530000000 + i,
    bins: [
      { name: 'id', type: Particle.INTEGER, value: BigInt(i) * 1000003n },
      { name: 'score', type: Particle.DOUBLE, value: i + 0.25 },
      { name: 'name', type: Particle.STRING, value: Buffer.from(`customer number ${i} lives at ${i % 997} Long Street, Springfield (premium)`) },
      { name: 'blob', type: Particle.BLOB, value: blob },
      { name: 'tags', type: Particle.LIST, value: encodeCdt({ t: 'list', flags: null, items: [{ t: 'int', v: BigInt(i) }, { t: 'bytes', p: 3, v: Buffer.from('gold') }, { t: 'double', v: 1.5 }] }) },
      { name: 'attrs', type: Particle.MAP, value: encodeCdt({ t: 'map', flags: 1, entries: [[{ t: 'bytes', p: 3, v: Buffer.from('a') }, { t: 'int', v: BigInt(i % 100) }], [{ t: 'bytes', p: 3, v: Buffer.from('b') }, { t: 'bytes', p: 3, v: Buffer.from('yes') }]] }) },
      { name: 'active', type: Particle.BOOL, value: (i & 1) === 0 }
    ]
  }
}

function dataBytes (r: Record): number {
  let n = 0
  for (const b of r.bins) n += b.value === null ? 0 : typeof b.value === 'object' ? (b.value as Buffer).length : 8
  return n
}

function chunked (parts: Buffer[]): Buffer[] {
  const all = Buffer.concat(parts)
  const out: Buffer[] = []
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.subarray(i, i + CHUNK))
  return out
}

function replay (chunks: Buffer[], times: number): Readable {
  let i = 0
  const total = chunks.length * times
  return new Readable({
    read () {
      while (i < total) {
        if (!this.push(chunks[i++ % chunks.length])) return
      }
      this.push(null)
    }
  })
}

function replayTokens (tokens: Token[], times: number): Readable {
  let i = 0
  const total = tokens.length * times
  return new Readable({
    objectMode: true,
    highWaterMark: 256,
    read () {
      while (i < total) {
        if (!this.push(tokens[i++ % tokens.length])) return
      }
      this.push(null)
    }
  })
}

function sink (): Writable & { n: number } {
  const w = new Writable({ objectMode: true, highWaterMark: 256, write (_c, _e, cb) { w.n++; cb() } }) as Writable & { n: number }
  w.n = 0
  return w
}

interface Row { name: string, mb: number, recs: number, seconds: number, bytes: number, cpuMb: number }
const rows: Row[] = []
const onlyIdx = process.argv.indexOf('--only')
/** Only the stages whose name contains this text (the baseline always runs). */
const ONLY = onlyIdx > 0 ? process.argv[onlyIdx + 1]! : ''
async function measure (name: string, bytes: number, records: number, fn: () => Promise<void>): Promise<void> {
  if (!name.includes(ONLY) && !name.startsWith('baseline')) return
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  await fn()
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const c = process.cpuUsage(c0)
  // CPU seconds (user + system, all threads): steadier than wall time on a shared machine
  const cpu = (c.user + c.system) / 1e6
  rows.push({ name, mb: bytes / 1e6 / s, recs: records / s, seconds: s, bytes, cpuMb: bytes / 1e6 / cpu })
}

const header: Header = { kind: 'header', version: '3.1', namespace: 'test', firstFile: true }
const records: Record[] = []
for (let i = 0; i < DISTINCT; i++) records.push(record(i))
const enc = new AsbEncoder({})
const asbHead = enc.encode(header)
const asbBody = chunked(records.map((r) => enc.encode(r)))
const ndHead = Buffer.from(tokenToJson(header) + '\n')
const ndBody = chunked(records.map((r) => Buffer.from(tokenToJson(r) + '\n')))
const asbBytes = asbHead.length + asbBody.reduce((a, c) => a + c.length, 0) * REPEAT
const ndBytes = ndHead.length + ndBody.reduce((a, c) => a + c.length, 0) * REPEAT
const total = DISTINCT * REPEAT
const avgData = records.reduce((a, r) => a + dataBytes(r), 0) / DISTINCT

console.log(`${total} records, ${avgData.toFixed(0)} B of bin data each; .asb ${(asbBytes / 1e6).toFixed(1)} MB, NDJSON ${(ndBytes / 1e6).toFixed(1)} MB`)

for (let run = 0; run < RUNS; run++) {
  await measure('baseline: split + JSON.parse (NDJSON bytes)', ndBytes, total, async () => {
    let n = 0
    const parseChunk = (buf: Buffer): void => {
      let s = 0
      let i: number
      while ((i = buf.indexOf(10, s)) !== -1) { JSON.parse(buf.toString('utf8', s, i)); n++; s = i + 1 }
    }
    parseChunk(ndHead)
    const whole = Buffer.concat(ndBody)
    for (let r = 0; r < REPEAT; r++) parseChunk(whole)
    if (n !== total + 1) throw new Error('baseline line count')
  })

  await measure('ndjson decode: bytes -> Tokens (NDJSON bytes)', ndBytes, total, async () => {
    const s = sink()
    await pipeline(Readable.from([ndHead]).compose(replayHeadThen(ndBody)), createNdjsonDecoder(), s)
    if (s.n !== total + 1) throw new Error(`decoded ${s.n} tokens`)
  })

  await measure('ndjson encode: Tokens -> bytes (NDJSON bytes)', ndBytes, total, async () => {
    let n = 0
    await pipeline(replayTokens([header, ...records].slice(0), 1), createNdjsonEncoder(), new Writable({ write (c: Buffer, _e, cb) { n += c.length; cb() } }))
    // one pass over the distinct tokens warms up; then the full run
    n = 0
    await pipeline(replayTokens(records, REPEAT), createNdjsonEncoder(), new Writable({ write (c: Buffer, _e, cb) { n += c.length; cb() } }))
    if (n !== ndBytes - ndHead.length) throw new Error(`encoded ${n} bytes, expected ${ndBytes - ndHead.length}`)
  })

  await measure('ndjson->asb: NDJSON decoder + .asb encoder (NDJSON bytes)', ndBytes, total, async () => {
    let n = 0
    await pipeline(Readable.from([ndHead]).compose(replayHeadThen(ndBody)), createNdjsonDecoder(), createAsbEncoder(), new Writable({ write (c: Buffer, _e, cb) { n += c.length; cb() } }))
    if (n !== asbBytes) throw new Error(`wrote ${n} .asb bytes, expected ${asbBytes}`)
  })

  await measure('(context) .asb decoder alone (.asb bytes)', asbBytes, total, async () => {
    const s = sink()
    await pipeline(Readable.from([asbHead]).compose(replayHeadThen(asbBody)), createAsbDecoder(), s)
    if (s.n !== total + 1) throw new Error(`decoded ${s.n} tokens`)
  })

  await measure('asb->ndjson: .asb decoder + NDJSON encoder (.asb bytes)', asbBytes, total, async () => {
    let n = 0
    await pipeline(Readable.from([asbHead]).compose(replayHeadThen(asbBody)), createAsbDecoder(), createNdjsonEncoder(), new Writable({ write (c: Buffer, _e, cb) { n += c.length; cb() } }))
    if (n !== ndBytes) throw new Error(`wrote ${n} NDJSON bytes, expected ${ndBytes}`)
  })

  // as-encode's path (lib/convert): the halves called directly, no stream
  // between them; one thread, then the worker threads.
  for (const threads of [1, THREADS]) {
    const convert = async (spec: ConvertSpec, head: Buffer, body: Buffer[], want: number): Promise<void> => {
      let n = 0
      const conv = createConversion(spec, { threads })
      await pipeline(Readable.from([head]).compose(replayHeadThen(body)), conv.stage, new Writable({ write (c: Buffer, _e, cb) { n += c.length; cb() } }))
      if (n !== want) throw new Error(`wrote ${n} bytes, expected ${want}`)
    }
    await measure(`as-encode ndjson->asb, ${threads} thread${threads === 1 ? '' : 's'} (NDJSON bytes)`, ndBytes, total, async () => {
      await convert({ from: 'ndjson', to: 'asb' }, ndHead, ndBody, asbBytes)
    })
    await measure(`as-encode asb->ndjson, ${threads} thread${threads === 1 ? '' : 's'} (.asb bytes)`, asbBytes, total, async () => {
      await convert({ from: 'asb', to: 'ndjson' }, asbHead, asbBody, ndBytes)
    })
  }
}

function replayHeadThen (body: Buffer[]): (src: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function * (src) {
    for await (const c of src) yield c
    yield * replay(body, REPEAT) as AsyncIterable<Buffer>
  }
}

console.log('')
console.log(`${'stage'.padEnd(62)} ${'MB/s'.padStart(8)} ${'records/s'.padStart(11)} ${'seconds'.padStart(8)} ${'MB/cpu-s'.padStart(9)} ${'x base'.padStart(7)}`)
const names = [...new Set(rows.map((r) => r.name))]
const pick = (name: string, which: 'best' | 'median'): Row => {
  const rs = rows.filter((r) => r.name === name).sort((a, b) => a.seconds - b.seconds)
  return which === 'best' ? rs[0]! : rs[Math.floor((rs.length - 1) / 2)]!
}
for (const which of ['best', 'median'] as const) {
  if (RUNS > 1) console.log(`${which === 'best' ? 'best' : 'median'} of ${RUNS} runs:`)
  const base = pick(names[0]!, which)
  for (const name of names) {
    const r = pick(name, which)
    console.log(`${r.name.padEnd(62)} ${r.mb.toFixed(1).padStart(8)} ${Math.round(r.recs).toLocaleString('en-US').padStart(11)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpuMb.toFixed(1).padStart(9)} ${(r.mb / base.mb).toFixed(2).padStart(7)}`)
  }
  if (RUNS === 1) break
}
console.log('\nMB/s and records/s are wall-clock; MB/cpu-s divides by the CPU time the process used (steadier on a loaded machine); x base = MB/s relative to the JSON.parse baseline.')
