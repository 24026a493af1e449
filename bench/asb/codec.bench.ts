// .asb codec hot paths on a generated stream of 1M records (~200 B of bin data
// each, mixed bin types): AsbDecoder and AsbEncoder in-process, the same
// through their stream Transforms, beside a JSON.parse baseline over the
// equivalent NDJSON bytes (split on LF + JSON.parse per line).
//
//   node dist/bench/asb/codec.bench.js [--records N] [--runs N] [--threads N] [--only decode|encode|json|stream] [--stream]
//
// 10 000 distinct records are generated once and replayed (tokens for the
// encoder, 64 KiB chunks of their .asb text for the decoder), so the run
// measures the codec rather than the generator. Each line shows wall-clock
// and CPU time (user+system of this process): the build machine is shared,
// and CPU time is the steadier figure there. --stream adds the Transform
// variants (objectMode stream overhead per token). Target on the 2-core build
// machine: >= 200 MB/s for both .asb decode and encode.
//
// Figures on the 2-core build machine (Node 20.20.2, 2026-11-21, a shared VM
// whose speed swings ~30% between runs; --runs 3, best / median MB/s):
//
//   .asb encode (AsbEncoder)                          158.6 / 152.7
//   .asb decode (AsbDecoder)                          172.2 / 151.5
//   .asb decode (as-encode --validate, 2 threads)     203.4 / 193.0
//   NDJSON split + JSON.parse                         210.2 / 201.2
//
// The 200 MB/s target: met by as-encode's decoding on worker threads on good
// runs, not by the single-threaded decoder (0.8-0.85x the JSON.parse
// baseline) nor the encoder (0.75x). Earlier changes (int64 without BigInt
// arithmetic, doubles formatted into the output, a 256-byte base64 table)
// measured 1.11x for decode and 1.10-1.13x for encode in interleaved A/B runs.
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsbDecoder, createAsbDecoder } from '../../lib/asb/decode.js'
import { AsbEncoder, createAsbEncoder } from '../../lib/asb/encode.js'
import { Particle } from '../../lib/types.js'
import { createConversion } from '../../lib/convert/parallel.js'
import { availableParallelism } from 'node:os'
import type { Header, Record, Token } from '../../lib/types.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}
const RECORDS = Number(arg('--records') ?? 1_000_000)
const ONLY = arg('--only')
const RUNS = Number(arg('--runs') ?? 3)
/** Worker threads for the as-encode --validate row (default: as-encode's, one per core up to 4). */
const THREADS = Number(arg('--threads') ?? Math.min(4, availableParallelism()))
const DISTINCT = Math.min(10_000, RECORDS)
const REPEAT = Math.max(1, Math.round(RECORDS / DISTINCT))
const TOTAL = DISTINCT * REPEAT
const CHUNK = 64 * 1024

const HEADER: Header = { kind: 'header', version: '3.1', namespace: 'test', firstFile: true }

/** A deterministic record with ~200 bytes of bin data across 9 bin types. */
function record (i: number): Record {
  const digest = Buffer.alloc(20)
  for (let j = 0; j < 20; j++) digest[j] = (i * 131 + j * 17) & 0xff
  const blob = Buffer.alloc(40)
  for (let j = 0; j < blob.length; j++) blob[j] = (i * 31 + j * 7) & 0xff
  // [i, "gold", 1.5] as server msgpack (string with its particle-type byte)
  const list = Buffer.from([0x93, 0xce, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff, 0xa5, 0x03, 0x67, 0x6f, 0x6c, 0x64, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])
  const bins: Record['bins'] = [
    { name: 'id', type: Particle.INTEGER, value: BigInt(i) * 1000003n },
    { name: 'balance', type: Particle.INTEGER, value: -9007199254740993n - BigInt(i) },
    { name: 'score', type: Particle.DOUBLE, value: i / 7 },
    { name: 'name', type: Particle.STRING, value: Buffer.from(`customer ${i} of ${i % 997} Long Street, Springfield, Illinois, USA`) },
    { name: 'email', type: Particle.STRING, value: Buffer.from(`user.number.${i}@mail.example.com`) },
    { name: 'active', type: Particle.BOOL, value: (i & 1) === 0 },
    { name: 'blob', type: Particle.BLOB, value: blob },
    { name: 'tags', type: Particle.LIST, value: list }
  ]
  if ((i & 3) === 0) bins.push({ name: 'loc', type: Particle.GEOJSON, value: Buffer.from(`{"type":"Point","coordinates":[${(i % 180) - 90}.5,${i % 90}.25]}`) })
  if ((i & 7) === 0) bins.push({ name: 'gone', type: Particle.NIL, value: null })
  return {
    kind: 'record',
    namespace: 'test',
    set: 'bench',
    key: (i & 1) === 0 ? { type: Particle.STRING, value: Buffer.from(`user-${i}`) } : null,
    digest,
    generation: 1 + (i % 5),
    voidTime: (i % 3) === 0 ? 0 : 530000000 + i,
    bins
  }
}

function dataBytes (r: Record): number {
  let n = 0
  for (const b of r.bins) n += b.value === null ? 0 : typeof b.value === 'object' ? (b.value as Buffer).length : 8
  return n
}

/** The JSON a relaxed NDJSON line of the record would carry (same information, plain JSON). */
function jsonLine (r: Record): string {
  const bins: { [k: string]: unknown } = {}
  for (const b of r.bins) {
    const v = b.value
    bins[b.name as string] = typeof v === 'bigint' ? (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString())
      : Buffer.isBuffer(v) ? (b.type === Particle.STRING ? v.toString('utf8') : v.toString('base64')) : v
  }
  return JSON.stringify({
    ns: r.namespace, set: r.set, digest: r.digest.toString('base64'),
    key: r.key === null ? null : (r.key.value as Buffer).toString('utf8'),
    gen: r.generation, voidTime: r.voidTime, bins
  }) + '\n'
}

function chunked (all: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.subarray(i, i + CHUNK))
  return out
}

interface Result { name: string, bytes: number, records: number, ms: number, cpuMs: number }
const results: Result[] = []

/** Wall-clock and CPU (user+system) milliseconds since a mark: the build machine is shared, so both are shown. */
function mark (): () => { ms: number, cpuMs: number } {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  return () => {
    const c = process.cpuUsage(c0)
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 }
  }
}

function line (r: Result, label: string): string {
  const mbs = r.bytes / 1e6 / (r.ms / 1000)
  const rps = r.records / (r.ms / 1000)
  const cpuMbs = r.bytes / 1e6 / (r.cpuMs / 1000)
  return `${(r.name + label).padEnd(44)} ${(r.bytes / 1e6).toFixed(0).padStart(5)} MB ${r.ms.toFixed(0).padStart(6)} ms ${mbs.toFixed(1).padStart(7)} MB/s ${(rps / 1e6).toFixed(2).padStart(5)} M rec/s | CPU ${r.cpuMs.toFixed(0).padStart(6)} ms ${cpuMbs.toFixed(1).padStart(7)} MB/s\n`
}

function report (r: Result): void {
  results.push(r)
  if (RUNS === 1) process.stdout.write(line(r, ''))
}

/** With --runs N: the best and the median run of each stage (runs interleaved across stages). */
function summary (): void {
  if (RUNS === 1) return
  const names = [...new Set(results.map(r => r.name))]
  for (const name of names) {
    const runs = results.filter(r => r.name === name).sort((a, b) => a.ms - b.ms)
    process.stdout.write(line(runs[0]!, ` best of ${runs.length}`))
    process.stdout.write(line(runs[Math.floor((runs.length - 1) / 2)]!, ' median'))
  }
}

async function main (): Promise<void> {
  const pool: Record[] = []
  for (let i = 0; i < DISTINCT; i++) pool.push(record(i))
  const avgData = pool.reduce((n, r) => n + dataBytes(r), 0) / pool.length
  const enc0 = new AsbEncoder()
  const header = enc0.encode(HEADER)
  const body = Buffer.concat(pool.map(r => enc0.encode(r)))
  const bodyChunks = chunked(body)
  const asbBytes = header.length + body.length * REPEAT
  process.stdout.write(`${TOTAL} records (${DISTINCT} distinct x ${REPEAT}), ${avgData.toFixed(0)} B of bin data and ${(body.length / DISTINCT).toFixed(0)} B of .asb per record, node ${process.version}\n\n`)

  const nd = ONLY === undefined || ONLY === 'json' ? chunked(Buffer.from(pool.map(jsonLine).join(''), 'utf8')) : []
  for (let run = 0; run < RUNS; run++) {
    if (ONLY === undefined || ONLY === 'encode') {
      const enc = new AsbEncoder()
      let out = 0
      const done = mark()
      enc.append(HEADER)
      for (let k = 0; k < REPEAT; k++) {
        for (let i = 0; i < DISTINCT; i++) {
          enc.append(pool[i]!)
          if (enc.length >= CHUNK) out += enc.take().length
        }
      }
      out += enc.take().length
      report({ name: '.asb encode (AsbEncoder)', bytes: out, records: TOTAL, ...done() })
      if (out !== asbBytes) throw new Error(`encoded ${out} bytes, expected ${asbBytes}`)
    }

    if (ONLY === undefined || ONLY === 'decode') {
      const dec = new AsbDecoder()
      let n = 0
      const onToken = (t: Token): void => { if (t.kind === 'record') n++ }
      const done = mark()
      dec.write(header, onToken)
      for (let k = 0; k < REPEAT; k++) for (const c of bodyChunks) dec.write(c, onToken)
      dec.end(onToken)
      report({ name: '.asb decode (AsbDecoder)', bytes: asbBytes, records: n, ...done() })
      if (n !== TOTAL) throw new Error(`decoded ${n} records, expected ${TOTAL}`)

      // as-encode --validate: the decoder on worker threads (lib/convert)
      const conv = createConversion({ from: 'asb', to: null }, { threads: THREADS })
      const chunks = async function * (): AsyncGenerator<Buffer> {
        yield header
        for (let k = 0; k < REPEAT; k++) yield * bodyChunks
      }
      const vdone = mark()
      await pipeline(chunks, conv.stage, new Writable({ write (_c, _e, cb) { cb() } }))
      report({ name: `.asb decode (as-encode --validate, ${THREADS} threads)`, bytes: asbBytes, records: conv.counts.records, ...vdone() })
      if (conv.counts.records !== TOTAL) throw new Error(`validated ${conv.counts.records} records, expected ${TOTAL}`)
    }

    if (ONLY === undefined || ONLY === 'json') {
      const ndBytes = nd.reduce((s, c) => s + c.length, 0) * REPEAT
      let n = 0
      let sink = 0
      const done = mark()
      let rest = ''
      for (let k = 0; k < REPEAT; k++) {
        for (const c of nd) {
          const text = rest + c.toString('utf8')
          let s = 0
          for (let e = text.indexOf('\n'); e !== -1; e = text.indexOf('\n', s)) {
            const o = JSON.parse(text.slice(s, e)) as { gen: number }
            sink += o.gen
            n++
            s = e + 1
          }
          rest = text.slice(s)
        }
      }
      report({ name: 'baseline: NDJSON split + JSON.parse', bytes: ndBytes, records: n, ...done() })
      if (sink === 0) throw new Error('unreachable')
    }
  }

  if (ONLY === 'stream' || process.argv.includes('--stream')) {
    let i = 0
    const tokens = new Readable({
      objectMode: true,
      read () {
        if (i === 0) { i++; this.push(HEADER); return }
        while (i <= TOTAL) { if (!this.push(pool[(i++ - 1) % DISTINCT])) return }
        this.push(null)
      }
    })
    let out = 0
    let done = mark()
    await pipeline(tokens, createAsbEncoder(), new Writable({ write (c: Buffer, _e, cb) { out += c.length; cb() } }))
    report({ name: '.asb encode (stream)', bytes: out, records: TOTAL, ...done() })

    let j = 0
    const total = bodyChunks.length * REPEAT
    const bytes = new Readable({
      read () {
        if (j === 0) { j++; this.push(header); return }
        while (j <= total) { if (!this.push(bodyChunks[(j++ - 1) % bodyChunks.length])) return }
        this.push(null)
      }
    })
    let n = 0
    done = mark()
    await pipeline(bytes, createAsbDecoder(), new Writable({
      objectMode: true,
      highWaterMark: 1024,
      writev (chunks, cb) { n += chunks.length; cb() }
    }))
    report({ name: '.asb decode (stream)', bytes: asbBytes, records: n - 1, ...done() })
  }
  summary()
}

main().catch((err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
