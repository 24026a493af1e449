import t from 'tap'
import {
  chunkRanges, isRetryable, MAX_PART_SIZE, MAX_PARTS, MiB, minPartSizeBytes,
  parseS3Url, parseSize, partSizer
} from '../../lib/storage/s3/index.js'
import { MAX_OBJECT_SIZE, partsInFlight } from '../../lib/storage/s3/part-size.js'

t.test('parses s3:// URLs, scheme in any case', async (t) => {
  t.same(parseS3Url('s3://b/k/x.asb'), { bucket: 'b', key: 'k/x.asb' })
  t.same(parseS3Url('S3://b/k'), { bucket: 'b', key: 'k' })
  t.same(parseS3Url('s3://b', { allowEmptyKey: true }), { bucket: 'b', key: '' })
  t.same(parseS3Url('s3://b/dir/', { allowEmptyKey: true }), { bucket: 'b', key: 'dir/' })
  t.throws(() => parseS3Url('s3://b'), /no key/)
  t.throws(() => parseS3Url('s3:///k'), /no bucket/)
  t.throws(() => parseS3Url('/tmp/x'), /expected s3:\/\//)
})

t.test('unknown size: 10,000 growing parts reach the 5 TiB object limit from a 5 MiB start', async (t) => {
  const size = partSizer(5 * MiB)
  t.equal(size(1), 5 * MiB)
  t.equal(size(900), 5 * MiB)
  t.equal(size(901), 10 * MiB)
  let total = 0
  let largest = 0
  for (let n = 1; n <= MAX_PARTS; n++) {
    total += size(n)
    largest = Math.max(largest, size(n))
  }
  t.ok(largest <= MAX_PART_SIZE, `largest part ${largest} bytes`)
  t.ok(total >= MAX_OBJECT_SIZE, `10,000 parts hold ${total} bytes`)
  const big = partSizer(5120 * MiB)
  t.equal(big(9999), MAX_PART_SIZE, 'never above 5 GiB')
})

t.test('parts in flight shrink as parts grow, keeping memory near concurrency x first part', async (t) => {
  t.equal(partsInFlight(16, 5 * MiB, 5 * MiB), 16)
  t.equal(partsInFlight(16, 5 * MiB, 10 * MiB), 8)
  t.equal(partsInFlight(16, 5 * MiB, 640 * MiB), 2, 'never below 2')
  t.equal(partsInFlight(1, 5 * MiB, 640 * MiB), 1, 'never above the setting')
})

t.test('known size: one part size, computed once, fits in 10,000 parts', async (t) => {
  t.equal(partSizer(5 * MiB, 1000)(1), 5 * MiB, 'small input keeps the minimum')
  const s = partSizer(5 * MiB, 200 * 1024 * MiB)
  t.equal(s(1), s(9000))
  t.ok(s(1) * MAX_PARTS >= 200 * 1024 * MiB)
  t.equal(s(1) % MiB, 0, 'a whole number of MiB')
  t.throws(() => partSizer(5 * MiB, 6 * 1024 * 1024 * MiB), /5 TiB/)
})

t.test('--s3-min-part-size accepts 5..5120 MiB only', async (t) => {
  t.equal(minPartSizeBytes(5), 5 * MiB)
  t.equal(minPartSizeBytes(5120), 5120 * MiB)
  t.throws(() => minPartSizeBytes(4), /5\.\.5120/)
  t.throws(() => minPartSizeBytes(5121), /5\.\.5120/)
  t.throws(() => minPartSizeBytes(5.5), /5\.\.5120/)
})

t.test('byte counts take binary suffixes', async (t) => {
  t.equal(parseSize('expected-size', '1048576'), 1048576)
  t.equal(parseSize('expected-size', '512M'), 512 * MiB)
  t.equal(parseSize('expected-size', '2GiB'), 2048 * MiB)
  t.equal(parseSize('expected-size', '1t'), 1024 * 1024 * MiB)
  t.throws(() => parseSize('expected-size', '1.5G'), /byte count/)
})

t.test('chunk ranges cover the object and never end in a one-byte range', async (t) => {
  t.same(chunkRanges(10, 4), [[0, 3], [4, 7], [8, 9]])
  t.same(chunkRanges(9, 4), [[0, 3], [4, 8]], '1-byte tail joins the previous range')
  t.same(chunkRanges(8, 4), [[0, 3], [4, 7]])
  const bad: number[] = []
  for (let size = 1; size < 60; size++) {
    const r = chunkRanges(size, 7)
    const contiguous = r.every(([a], i) => a === (i === 0 ? 0 : r[i - 1][1] + 1))
    const covers = r[r.length - 1][1] === size - 1
    const noOneByte = r.length === 1 || r.every(([a, b]) => b > a)
    if (!contiguous || !covers || !noOneByte) bad.push(size)
  }
  t.same(bad, [], 'sizes 1..59 in chunks of 7: contiguous, complete, no 1-byte range')
})

t.test('retries transient failures only', async (t) => {
  const sdk = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })
  t.ok(isRetryable(sdk('InternalError', 500)))
  t.ok(isRetryable(sdk('ServiceUnavailable', 503)))
  t.ok(isRetryable(sdk('SlowDown', 503)))
  t.ok(isRetryable(sdk('TooManyRequests', 429)))
  t.ok(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })))
  t.ok(isRetryable(Object.assign(new Error('x'), { name: 'TimeoutError' })))
  t.notOk(isRetryable(sdk('AccessDenied', 403)))
  t.notOk(isRetryable(sdk('NoSuchKey', 404)))
  t.notOk(isRetryable(sdk('PreconditionFailed', 412)))
  t.notOk(isRetryable(Object.assign(new Error('aborted'), { name: 'AbortError' })))
})
