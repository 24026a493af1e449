// The S3 library against our in-memory fake S3 (fake-s3.ts): retries, resumes,
// aborts and listings that s3rver cannot exercise.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { AsbError } from '../../lib/errors.js'
import { createDownloadStream, createS3Client, listObjects, MiB, uploadStream } from '../../lib/storage/s3/index.js'
import type { DownloadEvent, UploadEvent } from '../../lib/storage/s3/index.js'
import { startFakeS3 } from './fake-s3.js'

const server = await startFakeS3(['bucket'])
t.teardown(async () => { await server.close() })
const client = createS3Client({ endpoint: server.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
t.teardown(() => { client.destroy() })
const retry = { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 5 }

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
/** A Readable of `data` in 64 KiB chunks, counting what has been read from it. */
function source (data: Buffer): Readable & { taken: () => number } {
  let off = 0
  const r = new Readable({
    read () {
      if (off >= data.length) { this.push(null); return }
      const end = Math.min(data.length, off + 65536)
      this.push(data.subarray(off, end))
      off = end
    }
  }) as Readable & { taken: () => number }
  r.taken = () => off
  return r
}
async function collect (r: Readable): Promise<Buffer> {
  const out: Buffer[] = []
  for await (const c of r) out.push(c as Buffer)
  return Buffer.concat(out)
}
async function openUploads (): Promise<number> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: 'bucket' }))
  return (out.Uploads ?? []).length
}

t.test('upload retries 500, SlowDown and a reset connection per part and stores the bytes exactly', async (t) => {
  const data = randomBytes(23 * MiB)
  server.faults.push(
    { op: 'UploadPart', status: 500, code: 'InternalError', when: (r) => r.query.get('partNumber') === '1' },
    { op: 'UploadPart', status: 503, code: 'SlowDown', times: 2, when: (r) => r.query.get('partNumber') === '3' },
    { op: 'UploadPart', reset: true, when: (r) => r.query.get('partNumber') === '4' },
    { op: 'CompleteMultipartUpload', status: 503, code: 'ServiceUnavailable' }
  )
  const events: UploadEvent[] = []
  const res = await uploadStream(source(data), { client, bucket: 'bucket', key: 'retry.bin', retry, onEvent: (e) => events.push(e) })
  t.equal(res.size, data.length)
  t.equal(res.parts, 5)
  t.match(res.etag, /-5"$/)
  t.equal(sha(server.get('bucket', 'retry.bin')!), sha(data))
  t.equal(events.filter((e) => e.type === 'retry').length, 5, 'five retries: 500, 2 x SlowDown, reset, Complete 503')
  t.equal(server.faults.length, 0, 'every fault was hit')
  t.equal(await openUploads(), 0)
})

t.test('a fatal part error aborts the multipart upload and names the part', async (t) => {
  server.faults.push({ op: 'UploadPart', status: 403, code: 'AccessDenied', when: (r) => r.query.get('partNumber') === '2' })
  const aborts = server.count('AbortMultipartUpload')
  await t.rejects(uploadStream(source(randomBytes(20 * MiB)), { client, bucket: 'bucket', key: 'denied.bin', retry }),
    { code: 'ASB_ERR_STORAGE', message: /^s3:\/\/bucket\/denied\.bin: part 2: AccessDenied \(HTTP 403\)/ })
  t.equal(server.count('AbortMultipartUpload'), aborts + 1)
  t.equal(await openUploads(), 0, 'no multipart upload left behind')
  t.equal(server.get('bucket', 'denied.bin'), undefined, 'no object')
})

t.test('retries give up after maxAttempts and abort', async (t) => {
  server.faults.push({ op: 'UploadPart', status: 503, code: 'SlowDown', times: Infinity })
  await t.rejects(uploadStream(source(randomBytes(12 * MiB)), { client, bucket: 'bucket', key: 'slow.bin', retry: { ...retry, maxAttempts: 3 } }), /SlowDown \(HTTP 503\)/)
  server.faults.length = 0
  t.equal(await openUploads(), 0)
})

t.test('an abort signal mid-upload cancels parts in flight and aborts the upload', async (t) => {
  server.latency.UploadPart = 300
  t.teardown(() => { server.latency = {} })
  const ac = new AbortController()
  const reason = new AsbError('ASB_ERR_INTERRUPTED', 'interrupted by SIGTERM', { exitCode: 143 })
  server.onRequest = (r) => { if (r.op === 'UploadPart' && r.query.get('partNumber') === '2') setTimeout(() => ac.abort(reason), 50) }
  t.teardown(() => { server.onRequest = undefined })
  await t.rejects(uploadStream(source(randomBytes(40 * MiB)), { client, bucket: 'bucket', key: 'sigterm.bin', retry, signal: ac.signal }), reason)
  await sleep(400) // let the server finish any request it was holding
  t.equal(await openUploads(), 0, 'ListMultipartUploads is empty')
  t.equal(server.get('bucket', 'sigterm.bin'), undefined)
})

t.test('a slow store slows the reader: memory bounded by parts in flight', async (t) => {
  server.latency.UploadPart = 200
  t.teardown(() => { server.latency = {} })
  const src = source(randomBytes(30 * MiB))
  const p = uploadStream(src, { client, bucket: 'bucket', key: 'backpressure.bin', concurrency: 2, retry })
  await sleep(150)
  t.ok(src.taken() <= 4 * 5 * MiB, `read ${src.taken()} bytes while 2 parts were in flight`)
  const res = await p
  t.equal(res.size, 30 * MiB)
})

t.test('input shorter than one part goes up with one PutObject; empty input makes an empty object', async (t) => {
  const creates = server.count('CreateMultipartUpload')
  const small = randomBytes(1000)
  const res = await uploadStream(source(small), { client, bucket: 'bucket', key: 'small.bin', retry })
  t.same({ size: res.size, parts: res.parts }, { size: 1000, parts: 0 })
  t.same(server.get('bucket', 'small.bin'), small)
  const empty = await uploadStream(source(Buffer.alloc(0)), { client, bucket: 'bucket', key: 'empty.bin', retry })
  t.equal(empty.size, 0)
  t.equal(server.get('bucket', 'empty.bin')?.length, 0)
  t.equal(server.count('CreateMultipartUpload'), creates)
})

t.test('an existing object is refused unless replace is set (asbackup -r)', async (t) => {
  server.put('bucket', 'exists.bin', Buffer.from('old'))
  const reads = source(randomBytes(1000))
  await t.rejects(uploadStream(reads, { client, bucket: 'bucket', key: 'exists.bin', retry }), { message: 's3://bucket/exists.bin: the object already exists; use -r to replace it' })
  t.equal(reads.taken(), 0, 'refused before reading any input')
  t.equal(server.get('bucket', 'exists.bin')?.toString(), 'old')
  const res = await uploadStream(source(Buffer.from('new')), { client, bucket: 'bucket', key: 'exists.bin', retry, replace: true })
  t.equal(res.size, 3)
  t.equal(server.get('bucket', 'exists.bin')?.toString(), 'new')
})

t.test('write-only credentials (HeadObject 403) still upload, reported unverified', async (t) => {
  server.faults.push({ op: 'HeadObject', status: 403, code: 'Forbidden', times: 2 })
  const data = randomBytes(12 * MiB)
  const events: UploadEvent[] = []
  const res = await uploadStream(source(data), { client, bucket: 'bucket', key: 'writeonly.bin', retry, onEvent: (e) => events.push(e) })
  t.same({ size: res.size, verified: res.verified }, { size: data.length, verified: false })
  t.match(res.etag, /-3"$/, 'ETag from CompleteMultipartUpload')
  t.equal(events.filter((e) => e.type === 'unchecked').length, 2)
  t.equal(sha(server.get('bucket', 'writeonly.bin')!), sha(data))
})

t.test('unknown size: parts double after every step (900 parts; 10 here)', async (t) => {
  server.minPartSize = 1024
  t.teardown(() => { server.minPartSize = 5 * MiB })
  const data = randomBytes(10 * 1024 + 10 * 2048 + 5 * 4096 + 100)
  const sizes: number[] = []
  const res = await uploadStream(source(data), {
    client, bucket: 'bucket', key: 'growing.bin', retry, minPartSize: 1024, partsPerStep: 10,
    onEvent: (e) => { if (e.type === 'part') sizes[e.partNumber - 1] = e.size }
  })
  t.same(sizes, [...Array(10).fill(1024), ...Array(10).fill(2048), ...Array(5).fill(4096), 100])
  t.equal(res.parts, 26)
  t.equal(sha(server.get('bucket', 'growing.bin')!), sha(data))
})

t.test('--expected-size: one part size computed once', async (t) => {
  const sizes: number[] = []
  const data = randomBytes(16 * MiB)
  await uploadStream(source(data), {
    client, bucket: 'bucket', key: 'expected.bin', retry, minPartSize: 6 * MiB, expectedSize: data.length,
    onEvent: (e) => { if (e.type === 'part') sizes[e.partNumber - 1] = e.size }
  })
  t.same(sizes, [6 * MiB, 6 * MiB, 4 * MiB])
})

t.test('download resumes a body broken mid-way from the last byte received', async (t) => {
  const data = randomBytes(9 * MiB + 17)
  server.put('bucket', 'resume.bin', data)
  server.faults.push({ op: 'GetObject', dropAfter: 777_777, times: 3 })
  const before = server.requests.length
  const events: DownloadEvent[] = []
  const got = await collect(createDownloadStream({ client, bucket: 'bucket', key: 'resume.bin', chunkSize: 2 * MiB, concurrency: 3, retry, onEvent: (e) => events.push(e) }))
  t.equal(sha(got), sha(data))
  const resumes = events.filter((e) => e.type === 'resume')
  t.equal(resumes.length, 3)
  const ranges = server.requests.slice(before).filter((r) => r.op === 'GetObject').map((r) => String(r.headers.range))
  for (const e of resumes) {
    if (e.type === 'resume') t.ok(ranges.some((r) => r.startsWith(`bytes=${e.offset}-`)), `a GET resumed at ${e.offset}`)
  }
  t.ok(ranges.every((r) => { const [a, b] = r.slice(6).split('-').map(Number); return b > a }), 'never a one-byte range')
})

t.test('download retries 503 SlowDown and a reset before the body', async (t) => {
  const data = randomBytes(3 * MiB)
  server.put('bucket', 'flaky.bin', data)
  server.faults.push({ op: 'GetObject', status: 503, code: 'SlowDown', times: 2 }, { op: 'GetObject', reset: true }, { op: 'HeadObject', status: 500 })
  const got = await collect(createDownloadStream({ client, bucket: 'bucket', key: 'flaky.bin', chunkSize: 1 * MiB, retry }))
  t.equal(sha(got), sha(data))
  t.equal(server.faults.length, 0)
})

t.test('download of 0, 1 and chunk+1 byte objects', async (t) => {
  for (const n of [0, 1, 2, 1 * MiB, 1 * MiB + 1]) {
    const data = randomBytes(n)
    server.put('bucket', `n${n}`, data)
    const got = await collect(createDownloadStream({ client, bucket: 'bucket', key: `n${n}`, chunkSize: 1 * MiB, retry }))
    t.same(got, data, `${n} bytes`)
  }
})

t.test('a consumer that stops reading stops the GETs', async (t) => {
  server.put('bucket', 'big.bin', randomBytes(30 * MiB))
  const before = server.count('GetObject')
  const s = createDownloadStream({ client, bucket: 'bucket', key: 'big.bin', chunkSize: 1 * MiB, concurrency: 3, retry })
  s.pause()
  s.once('readable', () => {})
  await sleep(300)
  const gets = server.count('GetObject') - before
  t.ok(gets <= 3 + 2, `${gets} GETs while nobody read`)
  s.destroy()
})

t.test('an object replaced mid-download fails instead of splicing versions', async (t) => {
  server.put('bucket', 'changing.bin', randomBytes(8 * MiB))
  let n = 0
  server.latency.GetObject = 30
  server.onRequest = (r) => { if (r.op === 'GetObject' && ++n === 2) server.put('bucket', 'changing.bin', randomBytes(8 * MiB)) }
  t.teardown(() => { server.onRequest = undefined; server.latency = {} })
  await t.rejects(collect(createDownloadStream({ client, bucket: 'bucket', key: 'changing.bin', chunkSize: 1 * MiB, concurrency: 1, retry })), /changed during the download/)
})

t.test('a missing object is one clear error', async (t) => {
  await t.rejects(collect(createDownloadStream({ client, bucket: 'bucket', key: 'nope', retry })), /s3:\/\/bucket\/nope: no such object/)
})

t.test('lists every key across pages, retrying a failed page', async (t) => {
  const keys: string[] = []
  for (let i = 0; i < 2345; i++) {
    const k = `list/f${String(i).padStart(5, '0')}.asb`
    keys.push(k)
    server.put('bucket', k, Buffer.from(k))
  }
  server.put('bucket', 'other/x.asb', Buffer.from('x'))
  server.faults.push({ op: 'ListObjectsV2', status: 503, code: 'SlowDown', when: (r) => r.query.has('continuation-token') })
  const seen: string[] = []
  for await (const o of listObjects({ client, bucket: 'bucket', prefix: 'list/', retry })) seen.push(o.key)
  t.equal(seen.length, 2345)
  t.same(seen, keys)
  t.equal(server.faults.length, 0)
})
