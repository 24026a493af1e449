// as-put-s3 / as-get-s3 as processes against s3rver, a real S3-compatible
// server: a 200 MB round trip and a listing beyond 1,000 keys.
import t from 'tap'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { runBin } from '../helpers.js'
import { env, randomStream, spawnBin } from './spawn.js'
import { startS3rver } from './s3rver.js'

t.test('against s3rver', async (t) => {
  const s3 = await startS3rver(['bucket'])
  t.teardown(s3.close)
  const ep = ['--s3-endpoint-override', s3.endpoint]

  t.test('round-trips a 200 MB random stream byte for byte', async (t) => {
    const size = 200_000_000
    const put = await spawnBin('as-put-s3', [...ep, 's3://bucket/backup/big.asb'], randomStream(size, 7))
    t.equal(put.code, 0, put.stderr)
    t.match(put.stderr, /^as-put-s3: s3:\/\/bucket\/backup\/big\.asb: 200000000 bytes in 39 parts, ETag "[^"]+"\n$/)
    const get = await spawnBin('as-get-s3', [...ep, 's3://bucket/backup/big.asb'])
    t.equal(get.code, 0, get.stderr)
    t.equal(get.stderr, '')
    t.equal(get.bytes, size)
    t.equal(get.sha, put.inSha, 'sha256 of what came out equals what went in')
  })

  t.test('--list prints every key under the prefix, beyond 1,000', async (t) => {
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' })
    t.teardown(() => { client.destroy() })
    const want: string[] = []
    const keys = Array.from({ length: 1010 }, (_, i) => `many/ns_${String(i).padStart(5, '0')}.asb`)
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map(async (k) => await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: k, Body: k }))))
    }
    for (const k of keys) want.push(`s3://bucket/${k}`)
    const r = await runBin('as-get-s3', [...ep, '--list', 's3://bucket/many/'], { env })
    t.equal(r.code, 0, r.stderr)
    t.same(r.stdout.toString().split('\n').filter(Boolean), want)
  })
})

