import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ASB_FIXTURES } from '../helpers.js'
import { asbRecordSet, runProgram, through, throughCatch } from './helpers.js'
import { createZstdCompress, createZstdDecompress } from '../../lib/compress/zstd.js'
import { AsbError } from '../../lib/errors.js'

const golden = readFileSync(join(ASB_FIXTURES, 'golden.asb'))
const goldenZstd = readFileSync(join(ASB_FIXTURES, 'golden_zstd.asb'))
const big = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))

const compress = async (data: Buffer, level?: number, checksum?: boolean): Promise<Buffer> =>
  await through(data, [createZstdCompress({ level, checksum })])
const decompress = async (data: Buffer, piece?: number): Promise<Buffer> =>
  await through(data, [createZstdDecompress({ file: 'in.zst' })], piece)

t.test('asbackup golden_zstd.asb decompresses to exactly what zstd -d gives, and to the records of golden.asb', async (t) => {
  const ours = await decompress(goldenZstd)
  const cli = await runProgram('zstd', ['-dc'], goldenZstd)
  t.equal(cli.code, 0)
  t.ok(ours.equals(cli.stdout), 'byte-identical to zstd -d')
  // golden_zstd.asb is a separate asbackup run: same records, another order.
  t.same(asbRecordSet(ours), asbRecordSet(golden), 'same header and records as golden.asb')
  t.equal(ours.length, golden.length)
})

t.test('round trip in every piece size, across frame and block edges', async (t) => {
  const z = await compress(big)
  t.ok(z.length < big.length * 0.6, `compresses (${z.length} of ${big.length})`)
  for (const piece of [4093, 65536, z.length]) {
    t.ok((await decompress(z, piece)).equals(big), `big, piece ${piece}`)
  }
  const small = await compress(golden)
  for (const piece of [1, 2, 3, 7]) {
    t.ok((await decompress(small, piece)).equals(golden), `golden, piece ${piece}`)
  }
  // A prefix fed byte by byte: a correct prefix comes out, then a truncation error.
  const { out, err } = await throughCatch(small.subarray(0, small.length - 10), [createZstdDecompress()], 1)
  t.match(err?.message, /truncated zstd data/)
  t.ok(golden.subarray(0, out.length).equals(out), 'what came out before the error is a correct prefix')
})

t.test('our output is read by the zstd CLI, at several levels, with and without checksum', async (t) => {
  for (const [level, checksum] of [[1, true], [3, true], [3, false], [19, true]] as Array<[number, boolean]>) {
    const z = await compress(golden, level, checksum)
    t.ok(z.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd magic')
    t.equal((z[4]! & 0x04) !== 0, checksum, 'checksum flag in the frame header')
    const cli = await runProgram('zstd', ['-dc'], z)
    t.equal(cli.code, 0, cli.stderr)
    t.ok(cli.stdout.equals(golden), `level ${level} checksum ${checksum}: zstd -d restores the input`)
  }
  t.throws(() => createZstdCompress({ level: 23 }), /level must be an integer from 1 to 22/)
  t.throws(() => createZstdCompress({ level: 0 }), /level/)
})

t.test('worker threads: 0, 1 and 2 workers all write standard frames that zstd -d and we read back exactly', async (t) => {
  // 12+ MiB of varied .asb: several zstd jobs per worker at level 1
  const parts: Buffer[] = []
  for (let i = 0; parts.length * big.length < 12 * 1024 * 1024; i++) parts.push(Buffer.from(big.toString('latin1').replaceAll('golden', `gold${i % 97}`), 'latin1'))
  const input = Buffer.concat(parts)
  const sizes: number[] = []
  for (const workers of [0, 1, 2]) {
    const z = await through(input, [createZstdCompress({ level: 1, workers })], 1 << 20)
    sizes.push(z.length)
    t.ok((await decompress(z, 65536)).equals(input), `${workers} worker(s): as-compress -d restores the input`)
    const cli = await runProgram('zstd', ['-dc'], z)
    t.equal(cli.code, 0, cli.stderr)
    t.ok(cli.stdout.equals(input), `${workers} worker(s): zstd -d restores the input`)
  }
  t.ok(sizes.every(n => n < input.length * 0.6), `all compress (${sizes.join(', ')} of ${input.length})`)
})

t.test('empty input compresses to one empty frame that round-trips', async (t) => {
  const z = await compress(Buffer.alloc(0))
  t.ok(z.length > 0)
  t.equal((await decompress(z)).length, 0)
  const cli = await runProgram('zstd', ['-dc'], z)
  t.equal(cli.code, 0)
  t.equal(cli.stdout.length, 0)
})

t.test('concatenated frames (ours, the CLI\'s, asbackup\'s, a skippable frame) decode in one pass', async (t) => {
  const a = await compress(big.subarray(0, 1_000_000))
  const cli = await runProgram('zstd', ['-c', '-1'], big.subarray(1_000_000, 2_000_000))
  const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18]), Buffer.from([5, 0, 0, 0]), Buffer.from('hello')])
  const empty = await compress(Buffer.alloc(0))
  const stream = Buffer.concat([a, cli.stdout, skippable, goldenZstd, empty, a])
  const expected = Buffer.concat([big.subarray(0, 1_000_000), big.subarray(1_000_000, 2_000_000), await decompress(goldenZstd), big.subarray(0, 1_000_000)])
  for (const piece of [997, 65536]) {
    const d = createZstdDecompress()
    const out = await through(stream, [d], piece)
    t.ok(out.equals(expected), `piece ${piece}`)
    t.equal(d.stats.frames, 6, 'six frames counted (skippable included)')
  }
})

t.test('truncation at any cut gives one error line with the byte offset, never a silent short output', async (t) => {
  const z = await compress(golden)
  const cuts = [1, 3, 4, 5, 6, 8, 100, 1000, z.length - 5, z.length - 4, z.length - 1]
  for (const cut of cuts) {
    const { err } = await throughCatch(z.subarray(0, cut), [createZstdDecompress({ file: 'cut.zst' })])
    t.ok(err instanceof AsbError, `cut ${cut}`)
    t.match(err?.message, new RegExp(`^cut\\.zst: byte ${cut}: truncated zstd data: input ends inside `), `cut ${cut}: ${err?.message}`)
    t.notMatch(err?.message, /\n/, 'one line')
  }
  const { err } = await throughCatch(goldenZstd.subarray(0, 3000), [createZstdDecompress({ file: 'g' })])
  t.match(err?.message, /^g: byte 3000: truncated zstd data: input ends inside block 1 of frame 1 \(block starts at byte \d+\); at least \d+ more byte\(s\) expected$/)
})

t.test('a damaged byte anywhere is an error or, at worst, changes nothing: no garbage comes out silently', async (t) => {
  const z = await compress(golden)
  let errors = 0
  for (let i = 0; i < z.length; i += 23) {
    const bad = Buffer.from(z)
    bad[i] = bad[i]! ^ 0x5a
    const { out, err } = await throughCatch(bad, [createZstdDecompress({ file: 'bad' })])
    if (err === undefined) {
      t.ok(out.equals(golden), `byte ${i} flipped: no error, so the output must be intact`)
    } else {
      errors++
      t.match(err.message, /^bad: byte \d+: /, `byte ${i}: ${err.message}`)
      const at = Number(/byte (\d+)/.exec(err.message)![1])
      // Damage inside a block is caught in that block, or by the frame
      // checksum after it; a damaged block size shows up as a truncation.
      if (/in block/.test(err.message)) t.ok(at <= i, 'the block named starts at or before the damage')
      else t.match(err.message, /checksum|truncated|not zstd|frame header|expected a zstd frame|block/, 'a named cause')
    }
  }
  t.ok(errors > 0)
})

t.test('non-zstd input says what it looks like', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['plain .asb', golden, /^x: byte 0: not zstd data: this looks like a plain \.asb backup \(starts with "Version 3\.1"\); it is not compressed/],
    ['asbackup AES', readFileSync(join(ASB_FIXTURES, 'golden_aes128.asb')), /not zstd data: this looks like binary data with no known header .*decrypt it first with as-encrypt -d/],
    ['authenticated', Buffer.concat([Buffer.from('ASBAEAD\n'), Buffer.alloc(80)]), /as-encrypt authenticated file.*decrypt it first/],
    ['gzip', Buffer.from('1f8b0800000000000003', 'hex'), /gzip/],
    ['empty', Buffer.alloc(0), /^x: byte 0: input is empty; expected zstd data$/]
  ]
  for (const [name, data, re] of cases) {
    const { out, err } = await throughCatch(data, [createZstdDecompress({ file: 'x' })])
    t.match(err?.message, re, name)
    t.equal(out.length, 0, `${name}: no output`)
  }
  const { out, err } = await throughCatch(Buffer.concat([goldenZstd, Buffer.from('junk')]), [createZstdDecompress({ file: 'x' })])
  t.match(err?.message, new RegExp(`^x: byte ${goldenZstd.length}: expected a zstd frame after frame 1`))
  const frame = await decompress(goldenZstd)
  t.ok(frame.subarray(0, out.length).equals(out), 'only data of the complete frame before the junk came out')
})

t.test('backpressure: a reader that does not read stops the decompressor (64 MiB of zeros in 2 KiB)', async (t) => {
  const z = await compress(Buffer.alloc(64 * 1024 * 1024))
  t.ok(z.length < 10_000)
  const d = createZstdDecompress()
  let done = false
  d.write(z, () => { done = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.notOk(done, 'the write is not acknowledged while output waits')
  t.ok(d.readableLength <= 512 * 1024, `buffered output is bounded (${d.readableLength})`)
  let n = 0
  d.on('data', (c: Buffer) => { n += c.length })
  d.end()
  await new Promise((resolve) => d.on('end', resolve))
  t.ok(done)
  t.equal(n, 64 * 1024 * 1024)
})

t.test('memory stays bounded decompressing 256 MiB from one frame', async (t) => {
  // Compressible, non-trivial data: repeat golden_big in a generator.
  const total = 256 * 1024 * 1024
  const source = Readable.from((function * () {
    let left = total
    while (left > 0) {
      const n = Math.min(left, big.length)
      yield big.subarray(0, n)
      left -= n
    }
  })())
  const c = createZstdCompress({ level: 1 })
  const d = createZstdDecompress()
  const before = process.memoryUsage().rss
  let peak = before
  let bytes = 0
  await pipeline(source, c, d, new Writable({
    highWaterMark: 64 * 1024,
    write (chunk: Buffer, _e, cb) {
      bytes += chunk.length
      const r = process.memoryUsage.rss()
      if (r > peak) peak = r
      cb()
    }
  }))
  t.equal(bytes, total)
  t.equal(d.stats.frames, 1)
  t.ok(peak - before < 100 * 1024 * 1024, `RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB`)
})
