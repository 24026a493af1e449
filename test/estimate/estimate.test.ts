// as-estimate: asbackup's formulas, and the point of the tool: on a namespace
// whose record sizes differ between partition ranges, asbackup's first-N
// sample is biased while the random-partition estimate holds its bound.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCluster, type TestCluster } from '../../lib/server/index.js'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan } from '../../lib/client/scan.js'
import { AsbEncoder } from '../../lib/asb/encode.js'
import { partitionId } from '../../lib/proto/digest.js'
import { keyFromPem } from '../../lib/crypto/key.js'
import { runEstimate } from '../../lib/estimate/estimate.js'
import {
  asbackupEstimate, confidenceZ, designEstimate, erf, erfinv, sampleStats, seededRandom, shuffledRange
} from '../../lib/estimate/stats.js'
import { ASB_FIXTURES, runBin } from '../helpers.js'

t.test('confidence_z matches asbackup unit tests', async t => {
  t.equal(confidenceZ(0.90, 1).toFixed(3), '1.282')
  t.equal(confidenceZ(0.99, 1).toFixed(3), '2.326')
  t.equal(confidenceZ(0.999, 1).toFixed(3), '3.090')
  t.ok(Math.abs(confidenceZ(0.999999, 1) - 4.753) < 0.001, 'z6 ~ 4.75')
  // a union bound over more records needs a larger z
  t.ok(confidenceZ(0.999, 1e6) > confidenceZ(0.999, 1e3))
  for (const x of [-3, -1.5, -0.2, 0, 0.3, 1, 2.5]) t.ok(Math.abs(erfinv(erf(x)) - x) < 1e-9, `erfinv(erf(${x}))`)
  t.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15)
})

t.test('sample statistics and the file-size bound', async t => {
  const s = sampleStats([100, 110, 90, 100])
  t.equal(s.mean, 100)
  t.equal(s.variance, 200 / 3)
  t.same(sampleStats([5]), { n: 1, total: 5, mean: 0, variance: 0 })
  const e = asbackupEstimate(s, 1000, 50, 400 + 50)
  t.equal(e.ratio, 1)
  const z = confidenceZ(0.999, 1000)
  t.equal(e.fileSize, 50 + Math.ceil(1000 * (100 + z * Math.sqrt((200 / 3) / 4))))
  t.equal(e.upperRecordSize, Math.ceil(100 + confidenceZ(0.999999, 1) * Math.sqrt((200 / 3) / 4)))
  // compressed to half: the mean term scales, the spread term does not (asbackup)
  const h = asbackupEstimate(s, 1000, 50, 225)
  t.equal(h.ratio, 0.5)
  t.equal(h.fileSize, 50 + Math.ceil(1000 * (50 + z * Math.sqrt((200 / 3) / 4))))
  // design estimate: every partition sampled = exact total, no spread
  const parts = [{ id: 0, records: 2, bytes: 20 }, { id: 1, records: 4, bytes: 60 }]
  const d = designEstimate(parts, 2, 6)
  t.equal(d.bytes, 80)
  t.equal(d.stderr, 0)
  t.equal(shuffledRange(10, seededRandom(7)).slice().sort((a, b) => a - b).join(','), '0,1,2,3,4,5,6,7,8,9')
  t.same(shuffledRange(50, seededRandom(7)), shuffledRange(50, seededRandom(7)), 'seeded order repeats')
})

t.test('against the test server', async t => {
  const N = 8192
  const BIG = 1500
  const SMALL = 20
  const server: TestCluster = await startTestCluster({ nodes: 1, namespaces: { test: {}, empty: {} } })
  t.teardown(async () => { await server.close() })
  const rand = seededRandom(12345)
  for (let i = 0; i < N; i++) {
    const digest = Buffer.alloc(20)
    for (let j = 0; j < 20; j++) digest[j] = Math.floor(rand() * 256)
    // low partitions hold big records, high partitions small ones
    const big = partitionId(digest) < 2048
    server.putDigest('test', 'sizes', digest, { i: BigInt(i), b: randomBytes(big ? BIG : SMALL) })
  }
  const cluster = await Cluster.connect({ hosts: server.seeds })
  t.teardown(() => { cluster.close() })

  // the truth: every record encoded
  const enc = new AsbEncoder()
  enc.append({ kind: 'header', version: '3.1', namespace: 'test', firstFile: true })
  const headerSize = enc.length
  let recordBytes = 0
  let count = 0
  for await (const rec of createPartitionScan(cluster, { namespace: 'test' })) {
    const before = enc.length
    enc.append(rec)
    recordBytes += enc.length - before
    enc.take()
    count++
  }
  t.equal(count, N)
  const trueMean = recordBytes / N
  const trueFile = headerSize + recordBytes

  const first = await runEstimate(cluster, { namespace: 'test', samples: 1000, sampling: 'first' })
  t.equal(first.records, N, 'N from namespace info')
  t.equal(first.samples, 1000)
  t.equal(first.design, null)
  t.ok(Math.abs(first.stats.mean - trueMean) / trueMean > 0.3, `first-N mean ${first.stats.mean.toFixed(0)} is far from the true ${trueMean.toFixed(0)}`)
  t.ok(first.asbackup.fileSize > trueFile * 1.3, `first-N file bound ${first.asbackup.fileSize} overshoots the true ${trueFile}`)

  for (const seed of [1, 2, 3]) {
    const r = await runEstimate(cluster, { namespace: 'test', samples: 1000, seed })
    t.ok(r.samples >= 1000, `seed ${seed}: ${r.samples} samples`)
    t.ok(r.partitions < 4096 && r.partitions > 100, `seed ${seed}: ${r.partitions} partitions`)
    const d = r.design!
    t.ok(d.lower <= trueFile && trueFile <= d.upper, `seed ${seed}: true ${trueFile} in ${d.lower}..${d.upper}`)
    t.ok(Math.abs(r.stats.mean - trueMean) / trueMean < 0.15, `seed ${seed}: mean ${r.stats.mean.toFixed(0)} near ${trueMean.toFixed(0)}`)
    t.ok(r.asbackup.fileSize >= trueFile, `seed ${seed}: asbackup-formula bound ${r.asbackup.fileSize} >= ${trueFile}`)
  }
  const a = await runEstimate(cluster, { namespace: 'test', samples: 500, seed: 99 })
  const b = await runEstimate(cluster, { namespace: 'test', samples: 500, seed: 99 })
  t.equal(a.stats.total, b.stats.total, 'same seed, same sample')
  t.equal(a.asbackup.fileSize, b.asbackup.fileSize)

  // every record sampled: the design estimate is the exact size, no spread
  const all = await runEstimate(cluster, { namespace: 'test', samples: N, seed: 5 })
  t.equal(all.samples, N)
  t.equal(all.design!.stderr, 0)
  t.equal(Math.round(all.design!.bytes), trueFile)

  // -s: N from sets info; records of other sets are not sampled
  server.put('test', 'other', 'k1', { x: 1 })
  const set = await runEstimate(cluster, { namespace: 'test', sets: ['sizes'], samples: 200, seed: 4 })
  t.equal(set.records, N)
  const sets2 = await runEstimate(cluster, { namespace: 'test', sets: ['sizes', 'other'], samples: 200, seed: 4 })
  t.equal(sets2.records, N + 1)

  // encryption: CTR adds the 16-byte IV, counted in the header: ratio 1
  const pem = readFileSync(join(ASB_FIXTURES, 'key.pem'))
  const aes = await runEstimate(cluster, { namespace: 'test', samples: 300, seed: 6, encrypt: { mode: 'aes128', key: keyFromPem(pem, 'key.pem') } })
  t.equal(aes.headerSize, headerSize + 16)
  t.equal(aes.storedBytes, aes.rawBytes)
  t.equal(aes.asbackup.ratio, 1)
  // compression: random blobs barely compress, but the text around them does
  const z = await runEstimate(cluster, { namespace: 'test', samples: 300, seed: 6, compress: {} })
  t.ok(z.asbackup.ratio < 1 && z.asbackup.ratio > 0.5, `zstd ratio ${z.asbackup.ratio}`)
  t.ok(z.storedBytes < z.rawBytes)

  // an empty namespace: nothing to sample, the file is the header
  const empty = await runEstimate(cluster, { namespace: 'empty', seed: 1 })
  t.equal(empty.records, 0)
  t.equal(empty.samples, 0)
  t.equal(empty.partitions, 4096)
  t.equal(empty.asbackup.fileSize, empty.headerSize)
  t.equal(empty.asbackup.upperRecordSize, 0)
  await t.rejects(runEstimate(cluster, { namespace: 'nope' }), /namespace nope not found/)

  // the binary: text lines, -m, --json
  const dir = mkdtempSync(join(tmpdir(), 'as-estimate-'))
  const mfile = join(dir, 'machine.txt')
  const json = await runBin('as-estimate', ['-h', server.seeds, '-n', 'test', '-s', 'sizes', '--estimate-samples', '400', '--seed', '8', '--json', '-m', mfile])
  t.equal(json.code, 0, json.stderr)
  const j = JSON.parse(json.stdout.toString())
  t.equal(j.records, N)
  t.equal(readFileSync(mfile, 'utf8'), `ESTIMATE:${N}:${j.upperRecordSize}\n`)
  t.ok(j.estimate.lower <= j.estimate.upper)
  const text = await runBin('as-estimate', ['-h', server.seeds, '-n', 'test', '--estimate-samples', '400', '--seed', '8', '-z', 'zstd', '-f', 'kwA='])
  t.equal(text.code, 0, text.stderr)
  const out = text.stdout.toString()
  t.match(out, /^Namespace test contains \d+ record\(s\)$/m)
  t.match(out, /^Estimated overall record size before compression is \d+ byte\(s\)$/m)
  t.match(out, /^Approximate compression ratio is [\d.]+%$/m)
  t.match(out, /^Estimated total backup file size \(for backup-to-file, 99\.9% confidence\): \d+ byte\(s\)$/m)
  t.match(text.stderr, /--filter-exp is ignored/)
  const usage = await runBin('as-estimate', ['-h', server.seeds])
  t.equal(usage.code, 2)
  t.match(usage.stderr, /Please specify a namespace/)
  const bad = await runBin('as-estimate', ['-n', 'test', '--estimate-samples', '0'])
  t.equal(bad.code, 2)
})

t.test('connection options as as-scan: a secured cluster', async t => {
  const server = await startTestCluster({ nodes: 1, security: { users: { admin: 'secret' } } })
  t.teardown(async () => { await server.close() })
  for (let i = 0; i < 20; i++) server.put('test', 's', `k${i}`, { i })
  const env = { ...process.env, PW: 'secret' }
  const ok = await runBin('as-estimate', ['-h', server.seeds, '-U', 'admin', '-P', 'env:PW', '-n', 'test', '-m', '-'], { env })
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stdout.toString(), 'ESTIMATE:20:' + /ESTIMATE:20:(\d+)/.exec(ok.stdout.toString())![1] + '\n')
  const bad = await runBin('as-estimate', ['-h', server.seeds, '-U', 'admin', '-P', 'wrong', '-n', 'test'], { env })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^as-estimate: /)
  const audit = await runBin('as-ttl-audit', ['-h', server.seeds, '-U', 'admin', '-P', 'env:PW', '-n', 'test', '--json'], { env })
  t.equal(audit.code, 0, audit.stderr)
  t.equal(JSON.parse(audit.stdout.toString()).records, 20)

  // -U with -P given no value (or no -P): a prompt on the terminal, as asbackup;
  // `script` gives the binary a terminal and types the password into it.
  // (Spawned asynchronously: the test server answers from this process.)
  const { spawn } = await import('node:child_process')
  const { bin } = await import('../helpers.js')
  const runIn = async (cmd: string, args: string[], input: string): Promise<{ status: number | null, out: string, err: string }> => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.stdin.end(input)
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve))
    return { status, out, err }
  }
  for (const [name, extra] of [['as-estimate', ['-m', '-']], ['as-ttl-audit', ['--json']]] as Array<[string, string[]]>) {
    for (const pw of [['-P'], []]) {
      const cmd = [process.execPath, bin(name), '-h', server.seeds, '-U', 'admin', ...pw, '-n', 'test', ...extra].map(a => `'${a}'`).join(' ')
      const r = await runIn('script', ['-qec', cmd, '/dev/null'], 'secret\n')
      t.equal(r.status, 0, `${name} ${pw.join(' ')}: ${r.out}`)
      t.match(r.out, /Enter Password: /, `${name} ${pw.join(' ')} prompts`)
      t.match(r.out, name === 'as-estimate' ? /ESTIMATE:20:\d+/ : /"records":\s*20/, `${name} ${pw.join(' ')}: logged in with the typed password`)
    }
    // no terminal to prompt on (cron, CI): a usage error that says what to do
    const r = await runIn('setsid', [process.execPath, bin(name), '-h', server.seeds, '-U', 'admin', '-P', '-n', 'test', ...extra], '')
    t.equal(r.status, 2, name)
    t.match(r.err, new RegExp(`${name}: a password is needed but there is no terminal to prompt on`))
  }
})
