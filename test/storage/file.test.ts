// lib/storage/file.ts: the prefetching file reader hands over exactly the
// file's bytes in order, whatever the sizes, stops reading for a slow
// consumer, reports errors like fs.createReadStream, and falls back to it for
// anything that is not a regular file.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ReadStream } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openFileStream, PrefetchReadStream } from '../../lib/storage/file.js'

const dir = mkdtempSync(join(tmpdir(), 'asb-file-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

async function readAll (s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of s) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

t.test('every size around the chunk size reads back exactly', async t => {
  for (const size of [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 5, 40 * 4096 + 17]) {
    const path = join(dir, `f${size}`)
    const data = randomBytes(size)
    writeFileSync(path, data)
    for (const ahead of [1, 2, 4]) {
      const s = new PrefetchReadStream(path, { chunkSize: 4096, ahead })
      const got = await readAll(s)
      t.ok(got.equals(data), `${size} bytes, ahead ${ahead}`)
      t.equal(s.bytesRead, size)
    }
  }
})

t.test('a slow consumer stops the reads: at most `ahead` chunks read beyond what was consumed', async t => {
  const path = join(dir, 'slow')
  const data = randomBytes(64 * 4096)
  writeFileSync(path, data)
  const s = new PrefetchReadStream(path, { chunkSize: 4096, ahead: 3 })
  const parts: Buffer[] = []
  let consumed = 0
  let maxAhead = 0
  await pipeline(s, new Writable({
    highWaterMark: 1,
    write (chunk: Buffer, _enc, cb) {
      parts.push(chunk)
      consumed += chunk.length
      setTimeout(() => {
        maxAhead = Math.max(maxAhead, s.bytesRead - consumed)
        cb()
      }, 2)
    }
  }))
  t.ok(Buffer.concat(parts).equals(data), 'all bytes, in order')
  // bytesRead counts chunks handed to the stream: the stream buffer (one
  // chunk) plus the writable's (one) bounds how far it runs ahead
  t.ok(maxAhead <= 4 * 4096, `ran ahead by at most 4 chunks (${maxAhead / 4096})`)
})

t.test('a file that grows while it is read: bytes up to where each read found the end, no gap', async t => {
  const path = join(dir, 'grow')
  const first = randomBytes(10 * 4096 + 100)
  writeFileSync(path, first)
  const s = new PrefetchReadStream(path, { chunkSize: 4096, ahead: 4 })
  const parts: Buffer[] = []
  let appended = false
  const extra = randomBytes(5000)
  for await (const c of s) {
    parts.push(c as Buffer)
    if (!appended) { appendFileSync(path, extra); appended = true }
  }
  const got = Buffer.concat(parts)
  const all = Buffer.concat([first, extra])
  t.ok(got.equals(all.subarray(0, got.length)), 'a prefix of the file as it is now, no hole and no repeat')
  t.ok(got.length >= first.length)
})

t.test('errors: a missing file fails like fs.createReadStream; destroy closes the descriptor', async t => {
  const missing = join(dir, 'nope')
  await t.rejects(readAll(new PrefetchReadStream(missing)), { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${missing}'` })
  await t.rejects(readAll(openFileStream(missing)), { code: 'ENOENT' })
  const path = join(dir, 'big')
  writeFileSync(path, randomBytes(32 * 4096))
  const before = readdirSync('/proc/self/fd').length
  const s = new PrefetchReadStream(path, { chunkSize: 4096, ahead: 4 })
  for await (const _c of s) break // destroys the stream
  await new Promise<void>(resolve => { if (s.closed) resolve(); else s.once('close', () => resolve()) })
  t.equal(readdirSync('/proc/self/fd').length, before, 'descriptor closed')
})

t.test('openFileStream: prefetch for regular files, fs.ReadStream for the rest', async t => {
  const path = join(dir, 'reg')
  writeFileSync(path, 'abc')
  t.ok(openFileStream(path) instanceof PrefetchReadStream)
  const dev = openFileStream('/dev/null')
  t.ok(dev instanceof ReadStream, '/dev/null is not a regular file')
  t.equal((await readAll(dev)).length, 0)
  const p = openFileStream(path)
  t.equal((await readAll(p)).toString(), 'abc')
})
