// as-put-s3 / as-get-s3 as processes against our fake S3: signals, fatal
// errors, retries, resumes, checksums, profiles and exit codes.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { bin, runBin } from '../helpers.js'
import { env, randomStream, spawnBin, tmp } from './spawn.js'
import { startFakeS3 } from './fake-s3.js'
import { main as putMain } from '../../cmd/as-put-s3.js'
import { main as getMain } from '../../cmd/as-get-s3.js'

t.test('against the fake S3', async (t) => {
  const fake = await startFakeS3(['bucket'])
  t.teardown(async () => { await fake.close() })
  const ep = ['--s3-endpoint-override', fake.endpoint, '--s3-retry-attempts', '3']
  const client = new S3Client({ endpoint: fake.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  t.teardown(() => { client.destroy() })
  const openUploads = async (): Promise<number> => ((await client.send(new ListMultipartUploadsCommand({ Bucket: 'bucket' }))).Uploads ?? []).length

  for (const [sig, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    t.test(`${sig} mid-upload aborts the multipart upload and exits ${status}`, async (t) => {
      fake.latency.UploadPart = 400
      t.teardown(() => { fake.latency = {} })
      const aborts = fake.count('AbortMultipartUpload')
      let killed = false
      fake.onRequest = (r) => {
        if (r.op === 'UploadPart' && !killed) { killed = true; setTimeout(() => child?.kill(sig), 100) }
      }
      t.teardown(() => { fake.onRequest = undefined })
      let child: ReturnType<typeof spawn> | undefined
      const r = await spawnBin('as-put-s3', [...ep, `s3://bucket/${sig}.asb`], randomStream(300 * 1024 * 1024, 1), (c) => { child = c })
      t.equal(r.code, status, `code ${String(r.code)} signal ${String(r.signal)} stderr ${r.stderr}`)
      t.equal(r.stderr, `as-put-s3: interrupted by ${sig}\n`)
      t.equal(fake.count('AbortMultipartUpload'), aborts + 1)
      await sleep(500)
      t.equal(await openUploads(), 0, 'ListMultipartUploads: none')
      t.equal(fake.get('bucket', `${sig}.asb`), undefined)
    })
  }

  t.test('- means stdin for as-put-s3 and stdout for as-get-s3', async (t) => {
    const put = await spawnBin('as-put-s3', [...ep, 's3://bucket/dash.asb', '-'], randomStream(1024 * 1024, 9))
    t.equal(put.code, 0, put.stderr)
    const get = await spawnBin('as-get-s3', [...ep, 's3://bucket/dash.asb', '-'])
    t.equal(get.code, 0, get.stderr)
    t.equal(get.sha, put.inSha, 'the bytes that went in come back')
  })

  t.test('a fatal error exits 1 with one line and leaves no upload behind', async (t) => {
    fake.faults.push({ op: 'UploadPart', status: 403, code: 'AccessDenied', when: (r) => r.key === 'denied.asb' && r.query.get('partNumber') === '3' })
    const r = await spawnBin('as-put-s3', [...ep, 's3://bucket/denied.asb'], randomStream(30 * 1024 * 1024, 2))
    t.equal(r.code, 1)
    t.match(r.stderr, /^as-put-s3: s3:\/\/bucket\/denied\.asb: part 3: AccessDenied \(HTTP 403\): injected fault\n$/)
    t.equal(await openUploads(), 0)
  })

  t.test('retried failures show at -v and the upload succeeds', async (t) => {
    fake.faults.push({ op: 'UploadPart', status: 503, code: 'SlowDown', times: 2 }, { op: 'CreateMultipartUpload', reset: true })
    const r = await spawnBin('as-put-s3', [...ep, '-v', 's3://bucket/retry.asb'], randomStream(12 * 1024 * 1024, 3))
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, /SlowDown \(HTTP 503\): injected fault; retry 1 in \d+ ms/)
    t.match(r.stderr, /as-put-s3: s3:\/\/bucket\/retry\.asb: 12582912 bytes in 3 parts, ETag "[0-9a-f]{32}-3"\n$/)
    const get = await spawnBin('as-get-s3', [...ep, 's3://bucket/retry.asb'])
    t.equal(get.sha, r.inSha)
  })

  t.test('--s3-checksum when_supported sends CRC32 checksums', async (t) => {
    const before = fake.requests.length
    const r = await spawnBin('as-put-s3', [...ep, '--s3-checksum', 'when_supported', 's3://bucket/crc.asb'], randomStream(7 * 1024 * 1024, 4))
    t.equal(r.code, 0, r.stderr)
    const parts = fake.requests.slice(before).filter((q) => q.op === 'UploadPart')
    t.equal(parts.length, 2)
    t.ok(parts.every((q) => typeof q.headers['x-amz-checksum-crc32'] === 'string'), 'x-amz-checksum-crc32 on every part')
    const plain = fake.requests.length
    await spawnBin('as-put-s3', [...ep, 's3://bucket/crc2.asb'], randomStream(7 * 1024 * 1024, 4))
    t.ok(fake.requests.slice(plain).filter((q) => q.op === 'UploadPart').every((q) => q.headers['x-amz-checksum-crc32'] === undefined), 'none by default with an endpoint override')
  })

  t.test('--progress json: NDJSON events and a summary on stderr', async (t) => {
    fake.latency.UploadPart = 1100
    t.teardown(() => { fake.latency = {} })
    const put = await spawnBin('as-put-s3', [...ep, '--progress', 'json', 's3://bucket/events.asb'], randomStream(11 * 1024 * 1024, 10))
    t.equal(put.code, 0, put.stderr)
    const events = put.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string, bytes?: number, etag?: string })
    t.equal(events[0].event, 'create')
    t.equal(events.filter((e) => e.event === 'part').length, 3)
    t.ok(events.some((e) => e.event === 'progress'), 'periodic progress events')
    const summary = events[events.length - 1]
    t.match(summary, { event: 'summary', url: 's3://bucket/events.asb', bytes: 11 * 1024 * 1024, size: 11 * 1024 * 1024, parts: 3, verified: true })
    fake.latency = {}
    const get = await spawnBin('as-get-s3', [...ep, '--progress', 'json', 's3://bucket/events.asb'])
    t.equal(get.code, 0, get.stderr)
    const getEvents = get.stderr.trim().split('\n').map((l) => JSON.parse(l) as { event: string })
    t.match(getEvents[0], { event: 'head', size: 11 * 1024 * 1024, etag: summary.etag })
    t.match(getEvents[getEvents.length - 1], { event: 'summary', bytes: 11 * 1024 * 1024, etag: summary.etag })
  })

  t.test('an existing object needs -r', async (t) => {
    fake.put('bucket', 'old.asb', Buffer.from('old'))
    const refused = await runBin('as-put-s3', [...ep, 's3://bucket/old.asb'], { input: 'new', env })
    t.equal(refused.code, 1)
    t.equal(refused.stderr, 'as-put-s3: s3://bucket/old.asb: the object already exists; use -r to replace it\n')
    const replaced = await runBin('as-put-s3', [...ep, '-r', 's3://bucket/old.asb'], { input: 'new', env })
    t.equal(replaced.code, 0, replaced.stderr)
    t.equal(fake.get('bucket', 'old.asb')?.toString(), 'new')
  })

  t.test('--s3-profile reads the shared credentials file; --s3-region signs for that region', async (t) => {
    const creds = join(tmp, 'credentials')
    writeFileSync(creds, '[backup]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n')
    const before = fake.requests.length
    const r = await runBin('as-put-s3', [...ep, '--s3-profile', 'backup', '--s3-region', 'eu-west-3', 's3://bucket/p.asb'], { input: 'x', env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: creds } })
    t.equal(r.code, 0, r.stderr)
    t.match(String(fake.requests[before].headers.authorization), /Credential=AKIDPROFILE\/\d{8}\/eu-west-3\/s3\/aws4_request/)
  })

  t.test('as-get-s3 resumes a broken body (-v says where)', async (t) => {
    const data = Buffer.concat([...randomStream(12 * 1024 * 1024, 5)])
    fake.put('bucket', 'broken.asb', data)
    fake.faults.push({ op: 'GetObject', dropAfter: 1_000_003, times: 2 })
    const r = await spawnBin('as-get-s3', [...ep, '-v', 's3://bucket/broken.asb'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.sha, createHash('sha256').update(data).digest('hex'))
    t.match(r.stderr, /body broken \(ECONNRESET: aborted\); resuming at byte \d+/)
  })

  t.test('SIGTERM mid-download exits 143 with one line', async (t) => {
    fake.put('bucket', 'slow.asb', Buffer.concat([...randomStream(20 * 1024 * 1024, 9)]))
    fake.latency.GetObject = 2000
    t.teardown(() => { fake.latency = {} })
    let child: ReturnType<typeof spawn> | undefined
    // one SIGTERM, on the first GET (32 ranged GETs run at once; a second signal after the
    // binary's handlers are gone would take the default action instead of exit 143)
    let killed = false
    fake.onRequest = (r) => { if (r.op === 'GetObject' && !killed) { killed = true; setTimeout(() => child?.kill('SIGTERM'), 100) } }
    t.teardown(() => { fake.onRequest = undefined })
    const r = await spawnBin('as-get-s3', [...ep, 's3://bucket/slow.asb'], undefined, (c) => { child = c })
    t.equal(r.code, 143)
    t.equal(r.stderr, 'as-get-s3: interrupted by SIGTERM\n')
  })

  t.test('as-get-s3 exit codes and one-line errors', async (t) => {
    const missing = await runBin('as-get-s3', [...ep, 's3://bucket/nope.asb'], { env })
    t.equal(missing.code, 1)
    t.equal(missing.stderr, 'as-get-s3: s3://bucket/nope.asb: no such object\n')
    t.equal(missing.stdout.length, 0)

    fake.put('bucket', 'half.asb', Buffer.concat([...randomStream(12 * 1024 * 1024, 6)]))
    // match the key too: a late ranged GET of an earlier test's object must not take this fault
    fake.faults.push({ op: 'GetObject', status: 403, code: 'AccessDenied', when: (r) => r.key === 'half.asb' && String(r.headers.range).startsWith('bytes=5242880-') })
    const out = join(tmp, 'half.asb')
    const half = await runBin('as-get-s3', [...ep, 's3://bucket/half.asb', out], { env })
    t.equal(half.code, 1)
    t.match(half.stderr, /^as-get-s3: s3:\/\/bucket\/half\.asb: GET bytes 5242880-10485759: AccessDenied \(HTTP 403\)/)
    t.notOk(existsSync(out), 'no truncated file left behind')

    const r = await runBin('as-put-s3', ['/tmp/not-s3'], { env })
    t.equal(r.code, 2)
    t.equal(r.stderr, "as-put-s3: expected s3://BUCKET/KEY, got '/tmp/not-s3'\nrun `as-put-s3 --help` for usage\n")
  })

  t.test('usage errors are exit 2 with one line naming the option', async (t) => {
    const usage: Array<[typeof putMain, string[], RegExp]> = [
      [putMain, ['--s3-min-part-size', '4', 's3://b/k'], /^--s3-min-part-size: expected an integer number of MiB in 5\.\.5120, got 4$/],
      [putMain, ['--s3-max-async-uploads', '0', 's3://b/k'], /^--s3-max-async-uploads: expected an integer in 1\.\.1000, got 0$/],
      [putMain, ['--s3-checksum', 'always', 's3://b/k'], /^--s3-checksum: expected when_required or when_supported, got 'always'$/],
      [putMain, ['--expected-size', 'lots', 's3://b/k'], /^--expected-size: expected a byte count/],
      [putMain, ['--s3-endpoint-override', 'not a url', 's3://b/k'], /^--s3-endpoint-override: not a URL/],
      [putMain, ['--no-such-flag', 's3://b/k'], /Unknown argument/],
      [getMain, ['s3://bucket'], /^no key in 's3:\/\/bucket'/],
      [getMain, ['--list', 's3://bucket/', 'file'], /^--list writes to stdout; no FILE$/],
      [getMain, ['--s3-log-level', 'Chatty', 's3://b/k'], /^--s3-log-level: expected one of off, fatal/],
      [getMain, ['--s3-max-async-downloads', '-1', 's3://b/k'], /^--s3-max-async-downloads/]
    ]
    for (const [main, args, msg] of usage) {
      await t.rejects(main(args), { exitCode: 2, message: msg }, args.join(' '))
    }
  })

  t.test('as-get-s3 into a closed pipe ends quietly', async (t) => {
    fake.put('bucket', 'pipe.asb', Buffer.concat([...randomStream(20 * 1024 * 1024, 8)]))
    const r = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
      const child = spawn('/bin/sh', ['-c', `"${process.execPath}" "${bin('as-get-s3')}" --s3-endpoint-override ${fake.endpoint} s3://bucket/pipe.asb | head -c 10 >/dev/null; echo "$?" >&2`], { env })
      let stderr = ''
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
      child.on('close', (code) => resolve({ code, stderr }))
    })
    t.equal(r.stderr, '0\n')
  })
})
