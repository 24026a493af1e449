// The runner against an in-memory scan source: commit-after-write state,
// exact resume after interruptions at random points, -M over resumes,
// parallel jobs, output failures.
import t from 'tap'
import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { runScan, type ScanRequest, type ScanSource } from '../../lib/scan/run.js'
import { ScanState } from '../../lib/scan/state.js'
import { planJobs } from '../../lib/scan/jobs.js'
import { createTokenEncoder } from '../../lib/scan/encode.js'
import type { Record as AsRecord, Token } from '../../lib/types.js'
import { partitionId } from '../../lib/proto/digest.js'
import { Particle } from '../../lib/types.js'

function makeRecords (n: number): AsRecord[] {
  const out: AsRecord[] = []
  for (let i = 0; i < n; i++) {
    const digest = createHash('ripemd160').update(`k${i}`).digest()
    out.push({ kind: 'record', namespace: 'test', set: 's', key: null, digest, generation: 1, voidTime: 0, bins: [{ name: 'i', type: Particle.INTEGER, value: BigInt(i) }] })
  }
  return out
}

/** Partition -> records in descending digest order, as the server returns them. */
function byPartition (recs: AsRecord[]): Map<number, AsRecord[]> {
  const m = new Map<number, AsRecord[]>()
  for (const r of recs) {
    const p = partitionId(r.digest)
    if (!m.has(p)) m.set(p, [])
    m.get(p)!.push(r)
  }
  for (const list of m.values()) list.sort((a, b) => Buffer.compare(b.digest, a.digest))
  return m
}

function fakeSource (data: Map<number, AsRecord[]>, requests: ScanRequest[] = []): ScanSource {
  return (req, signal) => ({
    async * [Symbol.asyncIterator] () {
      requests.push(req)
      // interleave partitions, like several server threads
      const queues = req.partitions.map(p => {
        const all = data.get(p.id) ?? []
        return p.after === undefined ? all.slice() : all.filter(r => Buffer.compare(r.digest, p.after!) < 0)
      })
      let sent = 0
      let i = 0
      while (queues.some(q => q.length > 0)) {
        if (signal.aborted) return
        const q = queues[i++ % queues.length]
        const r = q.shift()
        if (r === undefined) continue
        if (req.maxRecords > 0 && sent >= req.maxRecords) return
        sent++
        if (sent % 7 === 0) await new Promise(resolve => setImmediate(resolve))
        yield r
      }
    }
  })
}

class Collect extends Writable {
  chunks: Buffer[] = []
  failAfter = Infinity
  written = 0
  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.written + chunk.length > this.failAfter) { cb(Object.assign(new Error('disk full'), { code: 'ENOSPC' })); return }
    this.written += chunk.length
    this.chunks.push(chunk)
    setImmediate(cb)
  }

  lines (): string[] { return Buffer.concat(this.chunks).toString('utf8').split('\n').filter(l => l !== '') }
}

const header: Token = { kind: 'header', version: '3.1', namespace: 'test', firstFile: true }

function opts (data: Map<number, AsRecord[]>, out: Writable, state: ScanState, extra: Partial<Parameters<typeof runScan>[0]> = {}): Parameters<typeof runScan>[0] {
  const plan = planJobs([], 1)
  return {
    source: fakeSource(data),
    namespace: 'test',
    set: null,
    binNames: null,
    noBins: false,
    filterExp: null,
    jobs: plan.jobs,
    threads: plan.threads,
    maxRecords: 0,
    jobMaxRecords: 0,
    jobRecordsPerSecond: 0,
    globals: [header],
    encode: createTokenEncoder('ndjson'),
    out,
    state,
    batchBytes: 2048,
    ...extra
  }
}

const digestsOf = (lines: string[]): string[] => lines.filter(l => l.startsWith('{"namespace"')).map(l => JSON.parse(l).digest as string)

const records = makeRecords(3000)
const data = byPartition(records)

t.test('a clean run writes the header then every record once, and the state is complete', async t => {
  const out = new Collect()
  const state = new ScanState('test', {}, [], null)
  let saves = 0
  const r = await runScan(opts(data, out, state, { saveState: () => { saves++ } }))
  t.same(r, { complete: true, interrupted: false, limitReached: false })
  const lines = out.lines()
  t.match(lines[0], /"\$meta":"header"/)
  const ds = digestsOf(lines)
  t.equal(ds.length, 3000)
  t.equal(new Set(ds).size, 3000)
  t.equal(state.counts.records, 3000)
  t.equal(state.counts.bytes, out.written)
  t.equal(state.outputBytes, out.written)
  t.equal(state.done.size, 4096, 'every partition done')
  t.ok(state.complete)
  t.ok(saves >= 1, 'state saved at the end')
})

t.test('interrupted at random points, resumed until done: union equals a clean scan, no duplicates', async t => {
  for (const parallel of [1, 4]) {
    const out = new Collect()
    let state = new ScanState('test', {}, [], null)
    let runs = 0
    let seed = 12345 + parallel
    const rand = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
    for (;;) {
      runs++
      const plan = planJobs([], parallel)
      const stop = new AbortController()
      const stopAt = Math.floor(rand() * 900) + 1
      let seen = 0
      const base = fakeSource(data)
      const source: ScanSource = (req, signal) => ({
        async * [Symbol.asyncIterator] () {
          for await (const r of base(req, signal)) {
            if (++seen === stopAt) stop.abort()
            yield r
          }
        }
      })
      // the state goes through its JSON form between runs, as through the file
      state = ScanState.fromJSON(JSON.parse(JSON.stringify(state.toJSON())))
      const r = await runScan(opts(data, out, state, { source, jobs: plan.jobs, threads: plan.threads, signal: stop.signal }))
      if (r.complete) break
      t.ok(r.interrupted)
      t.ok(state.globalsDone)
      if (runs > 100) { t.fail('too many runs'); break }
    }
    const lines = out.lines()
    t.equal(lines.filter(l => l.includes('"$meta":"header"')).length, 1, 'header once')
    const ds = digestsOf(lines)
    t.equal(new Set(ds).size, ds.length, `parallel ${parallel}: no duplicate digest over ${runs} runs`)
    t.equal(ds.length, 3000, `parallel ${parallel}: every record`)
    t.equal(state.counts.records, 3000)
    t.equal(state.counts.bytes, out.written)
    t.ok(runs > 2, `interrupted ${runs - 1} times`)
  }
})

t.test('max-records is exact over resumes', async t => {
  const out = new Collect()
  const state = new ScanState('test', {}, [], null)
  const stop = new AbortController()
  let n = 0
  const base = fakeSource(data)
  const source: ScanSource = (req, signal) => ({
    async * [Symbol.asyncIterator] () { for await (const r of base(req, signal)) { if (++n === 300) stop.abort(); yield r } }
  })
  const r1 = await runScan(opts(data, out, state, { source, maxRecords: 1000, signal: stop.signal }))
  t.ok(r1.interrupted)
  const r2 = await runScan(opts(data, out, state, { maxRecords: 1000 }))
  t.same(r2, { complete: true, interrupted: false, limitReached: true })
  const ds = digestsOf(out.lines())
  t.equal(ds.length, 1000)
  t.equal(new Set(ds).size, 1000)
})

t.test('parallel jobs get asbackup-divided limits and cover every partition once', async t => {
  const requests: ScanRequest[] = []
  const out = new Collect()
  const state = new ScanState('test', {}, [], null)
  const plan = planJobs([], 4)
  await runScan(opts(data, out, state, { source: fakeSource(data, requests), jobs: plan.jobs, threads: 4, jobMaxRecords: 250, jobRecordsPerSecond: 10 }))
  t.equal(requests.length, 4)
  t.same(requests.map(r => [r.partitions[0].id, r.partitions.length, r.maxRecords, r.recordsPerSecond]), [[0, 1024, 250, 10], [1024, 1024, 250, 10], [2048, 1024, 250, 10], [3072, 1024, 250, 10]])
  t.equal(digestsOf(out.lines()).length, 1000, 'each job stopped at its share')
})

t.test('a resumed job asks for done partitions not at all and partial ones after their digest', async t => {
  const state = new ScanState('test', {}, [], null)
  state.globalsDone = true
  const pid = [...data.keys()].filter(p => p > 3 && p < 4000).sort((a, b) => a - b)[0]
  state.markDone([pid - 3, pid - 2, pid - 1])
  const d = data.get(pid)![0].digest
  state.commitDigest(d)
  const requests: ScanRequest[] = []
  await runScan(opts(data, new Collect(), state, { source: fakeSource(data, requests), jobs: [{ begin: pid - 3, count: 6 }] }))
  t.same(requests[0].partitions.map(p => p.id), [pid, pid + 1, pid + 2])
  t.same(requests[0].partitions[0].after, d)
})

t.test('an output failure stops the scan; the state keeps only what was written', async t => {
  const out = new Collect()
  out.failAfter = 50_000
  const state = new ScanState('test', {}, [], null)
  await t.rejects(runScan(opts(data, out, state)), /disk full/)
  t.equal(state.outputBytes, out.written)
  t.ok(state.counts.records > 0 && state.counts.records < 3000)
  t.equal(state.complete, false)
  // resume into a fresh sink: exactly the rest
  const out2 = new Collect()
  await runScan(opts(data, out2, state))
  const all = [...digestsOf(out.lines()), ...digestsOf(out2.lines())]
  t.equal(all.length, 3000)
  t.equal(new Set(all).size, 3000)
})

t.test('--nice limits the output rate', async t => {
  const out = new Collect()
  const state = new ScanState('test', {}, [], null)
  const start = Date.now()
  await runScan(opts(data, out, state, { bandwidth: 1_000_000, batchBytes: 16 * 1024 }))
  const secs = (Date.now() - start) / 1000
  const rate = out.written / secs
  t.ok(out.written > 300_000, `wrote ${out.written} bytes`)
  t.ok(rate < 1_300_000, `rate ${Math.round(rate)} B/s stays near 1 MB/s`)
})
