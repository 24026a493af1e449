// as-scan as a process against the in-repo test server (3 nodes): every
// selection option, output formats, state and resume (SIGTERM, SIGKILL at
// random points), a node stopped mid-scan, and a slow consumer.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync, writeFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bin, runBin } from '../helpers.js'
import { main } from '../../cmd/as-scan.js'
import { reportError } from '../../cmd/common.js'
import { startTestCluster, type TestCluster } from '../../lib/server/index.js'
import { partitionId } from '../../lib/proto/digest.js'

const N = 1200
const T0 = Date.UTC(2026, 0, 1) // last-update times: T0 + i minutes
let cluster: TestCluster
/** digest (base64) -> what the test loaded */
const loaded = new Map<string, { i: number, set: string | null, ttl: number, lutMs: number }>()
const dir = mkdtempSync(join(tmpdir(), 'as-scan-cli-'))

t.before(async () => {
  cluster = await startTestCluster({ nodes: 3 })
  for (let i = 0; i < N; i++) {
    const set = ['a', 'b', 'c', null][i % 4]
    const ttl = i % 5 === 0 ? -1 : 100000
    const lutMs = T0 + i * 60_000
    const d = cluster.put('test', set, `key-${i}`, { i: BigInt(i), s: `v${i}`, f: { type: 2, value: 2 }, pad: Buffer.alloc(40, i & 0xff) }, { ttl, lutMs })
    loaded.set(d.toString('base64'), { i, set, ttl, lutMs })
  }
  cluster.sindexes.push({ ns: 'test', set: 'a', name: 'idx_a', bin: 'i', type: 'numeric', indexType: 'default', context: null })
  cluster.sindexes.push({ ns: 'test', set: 'b', name: 'idx_b', bin: 's', type: 'string', indexType: 'list', context: null })
  cluster.udfs.set('mod.lua', { name: 'mod.lua', content: Buffer.from('function f(r)\n  return 1\nend\n') })
})
t.teardown(async () => { await cluster.close() })

/** Resolves once FILE holds more than `size` bytes (or `until` settles). */
async function grown (file: string, size: number, until?: Promise<unknown>): Promise<void> {
  let done = false
  void until?.then(() => { done = true })
  while (!done && !(existsSync(file) && statSync(file).size > size)) await new Promise(resolve => setTimeout(resolve, 20))
}

interface Scan { code: number, lines: string[], stderr: string, records: any[] }

let nOut = 0
/** as-scan in this process (its main(), output to a file): much cheaper than a spawn per case. */
async function scan (args: string[]): Promise<Scan> {
  const out = join(dir, `scan-${nOut++}.ndjson`)
  let stderr = ''
  const sink = { write: (c: string | Buffer): boolean => { stderr += c.toString(); return true } }
  const orig = process.stderr.write.bind(process.stderr)
  process.stderr.write = sink.write as typeof process.stderr.write
  let code: number
  try {
    code = await main(['-h', cluster.seeds, ...args, '-o', out])
  } catch (err) {
    code = reportError('as-scan', err, sink as unknown as NodeJS.WritableStream as any)
  } finally {
    process.stderr.write = orig
  }
  const text = existsSync(out) ? readFileSync(out, 'utf8') : ''
  const lines = text.split('\n').filter(l => l !== '')
  const records = lines.filter(l => !l.startsWith('{"$meta"')).map(l => JSON.parse(l))
  return { code, lines, stderr, records }
}

const digests = (s: Scan): string[] => s.records.map(r => r.digest as string)
const expectDigests = (pred: (v: { i: number, set: string | null, ttl: number, lutMs: number }, d: Buffer) => boolean): string[] =>
  [...loaded].filter(([d, v]) => pred(v, Buffer.from(d, 'base64'))).map(([d]) => d).sort()

t.test('a whole-namespace scan: header, indexes, UDFs, then every record once', async t => {
  const s = await scan(['-n', 'test'])
  t.equal(s.code, 0, s.stderr)
  t.match(s.lines[0], /^\{"\$meta":"header","version":"3.1","namespace":"test","firstFile":true\}$/)
  t.match(s.lines[1], /"\$meta":"sindex"/)
  t.match(s.lines[2], /"\$meta":"sindex"/)
  t.match(s.lines[3], /"\$meta":"udf".*"mod.lua"/)
  t.same(digests(s).sort(), [...loaded.keys()].sort())
  t.match(s.stderr, /^Backed up 1200 record\(s\), 2 secondary index\(es\), 1 UDF file\(s\), \d+ byte\(s\) in total \(~\d+ B\/rec\)\n$/)
})

t.test('usage errors: exit 2, one line and the help hint', async t => {
  const cases: Array<[string[], string]> = [
    [['-n', 'test', '-X', '1', '-D', Buffer.alloc(20).toString('base64')], 'after-digest and partition-list arguments are mutually exclusive'],
    [['-n', 'test', '-l', '127.0.0.1:3000', '-X', '1'], 'node-list is mutually exclusive with after-digest and partition-list'],
    [['-n', 'test', 'extra'], 'Unexpected trailing argument extra']
  ]
  for (const [args, want] of cases) {
    const s = await runBin('as-scan', ['-h', cluster.seeds, ...args])
    t.equal(s.code, 2, want)
    t.equal(s.stderr, `as-scan: ${want}\nrun \`as-scan --help\` for usage\n`)
    t.equal(s.stdout.length, 0, 'nothing on stdout')
  }
})

t.test('one set, several sets, bins, no bins, no records, no indexes, no UDFs, max records', async t => {
  const one = await scan(['-n', 'test', '-s', 'a'])
  t.same(digests(one).sort(), expectDigests(v => v.set === 'a'))
  t.equal(one.lines.filter(l => l.includes('"$meta":"sindex"')).length, 1, 'only the index of set a')
  const multi = await scan(['-n', 'test', '-s', 'a,c'])
  t.same(digests(multi).sort(), expectDigests(v => v.set === 'a' || v.set === 'c'))
  const bins = await scan(['-n', 'test', '-s', 'b', '-B', 'i,s'])
  t.same(Object.keys(bins.records[0].bins).sort(), ['i', 's'])
  const nob = await scan(['-n', 'test', '-s', 'b', '--no-bins'])
  t.equal(nob.records.length, 300)
  t.same(nob.records[0].bins, {})
  const norec = await scan(['-n', 'test', '-R', '-I', '-u'])
  t.same(norec.lines.length, 1, 'the header alone')
  t.match(norec.stderr, /Backed up 0 record\(s\), 0 secondary index\(es\), 0 UDF file\(s\)/)
  for (const w of ['1', '4']) {
    const max = await scan(['-n', 'test', '-M', '100', '-w', w])
    t.equal(max.records.length, 100, `-M 100 -w ${w}`)
    t.equal(new Set(digests(max)).size, 100)
  }
})

t.test('partition list with ranges and a digest item; after-digest', async t => {
  const inRange = (p: number): boolean => (p >= 100 && p < 600) || p === 4000
  const sample = [...loaded.keys()].map(d => Buffer.from(d, 'base64')).filter(d => partitionId(d) >= 2000 && partitionId(d) < 3000)[0]
  const sp = partitionId(sample)
  const s = await scan(['-n', 'test', '-X', `100-500,4000,${sample.toString('base64')}`])
  t.equal(s.code, 0, s.stderr)
  t.same(digests(s).sort(), expectDigests((_, d) => inRange(partitionId(d)) || (partitionId(d) === sp && Buffer.compare(d, sample) < 0)))
  const after = await scan(['-n', 'test', '-D', sample.toString('base64'), '-w', '3'])
  t.same(digests(after).sort(), expectDigests((_, d) => partitionId(d) > sp || (partitionId(d) === sp && Buffer.compare(d, sample) < 0)))
})

t.test('node list: the partitions the node masters, every record of them once', async t => {
  // the test server masters partition p on live node p % n
  const node = cluster.nodes[1]
  const s = await scan(['-n', 'test', '-l', `127.0.0.1:${node.port}`])
  t.equal(s.code, 0, s.stderr)
  t.same(digests(s).sort(), expectDigests((_, d) => partitionId(d) % 3 === 1))
})

t.test('modified-after / modified-before on last-update time; no-ttl-only', async t => {
  const fmt = (ms: number): string => {
    const d = new Date(ms)
    const p = (n: number): string => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  }
  const A = T0 + 300 * 60_000
  const B = T0 + 900 * 60_000
  const after = await scan(['-n', 'test', '-a', fmt(A)])
  t.same(digests(after).sort(), expectDigests(v => v.lutMs >= A))
  const both = await scan(['-n', 'test', '-a', fmt(A), '-b', fmt(B), '-s', 'a,b'])
  t.same(digests(both).sort(), expectDigests(v => v.lutMs >= A && v.lutMs < B && (v.set === 'a' || v.set === 'b')))
  const nottl = await scan(['-n', 'test', '--no-ttl-only'])
  t.same(digests(nottl).sort(), expectDigests(v => v.ttl === -1))
  const fexp = await scan(['-n', 'test', '-f', Buffer.from([0x93, 0x01, 0x91, 0x45, 0xff]).toString('base64')])
  t.same(digests(fexp).sort(), expectDigests(v => v.ttl === -1), '-f with the same expression')
})

t.test('records-per-second slows the scan (coarse)', async t => {
  const start = Date.now()
  const s = await scan(['-n', 'test', '-s', 'c', '-L', '200'])
  const secs = (Date.now() - start) / 1000
  t.equal(s.records.length, 300)
  t.ok(secs >= 1, `300 records at 200/s took ${secs.toFixed(2)} s`)
})

t.test('--format asb equals as-scan | as-encode and validates; progress json and machine lines', async t => {
  const machine = join(dir, 'machine.txt')
  const asb = await runBin('as-scan', ['-h', cluster.seeds, '-n', 'test', '--format', 'asb', '-s', 'a,b', '--progress', 'json', '-m', machine], { timeoutMs: 60_000 })
  t.equal(asb.code, 0, asb.stderr)
  t.match(asb.stdout.toString('latin1'), /^Version 3.1\n# namespace test\n# first-file\n\* i test a idx_a N 1 i N\n\* i test b idx_b L 1 s S\n\* u L mod.lua 29 /)
  const nd = await runBin('as-scan', ['-h', cluster.seeds, '-n', 'test', '-s', 'a,b'], { timeoutMs: 60_000 })
  const enc = await runBin('as-encode', ['--to', 'asb'], { input: nd.stdout })
  t.equal(enc.code, 0, enc.stderr)
  const sortRecords = (b: Buffer): string => {
    // records interleave differently between runs: compare the global part and the sorted record blocks
    const text = b.toString('latin1')
    const [head, ...recs] = text.split(/\n(?=\+ k |\+ n )/)
    return head + '\n' + recs.sort().join('\n')
  }
  t.equal(sortRecords(asb.stdout), sortRecords(enc.stdout), 'same bytes up to record order')
  const v = await runBin('as-encode', ['--validate'], { input: asb.stdout })
  t.equal(v.code, 0, v.stderr)
  const events = asb.stderr.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
  t.equal(events[events.length - 1].event, 'summary')
  t.equal(events[events.length - 1].records, 600)
  t.match(readFileSync(machine, 'utf8'), /SUMMARY:600:2:1:\d+:\d+\n$/)
})

t.test('SIGTERM saves the state and says how to resume; --continue finishes exactly', async t => {
  const out = join(dir, 'term.ndjson')
  const state = join(dir, 'term.state')
  const args = ['-h', cluster.seeds, '-n', 'test', '-L', '600', '-o', out, '--state-file', state]
  const child = spawn(process.execPath, [bin('as-scan'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', d => { err += d })
  await grown(out, 20_000)
  child.kill('SIGTERM')
  const code = await new Promise(resolve => child.on('close', resolve))
  t.equal(code, 1)
  t.match(err, /interrupted; to resume, run as-scan --continue .*term\.state with the same options/)
  t.ok(existsSync(state))
  const again = await runBin('as-scan', ['-h', cluster.seeds, '-n', 'test', '-o', out, '-c', state], { timeoutMs: 60_000 })
  t.equal(again.code, 0, again.stderr)
  const lines = readFileSync(out, 'utf8').split('\n').filter(l => l.startsWith('{"namespace"'))
  const ds = lines.map(l => JSON.parse(l).digest)
  t.equal(new Set(ds).size, ds.length, 'no duplicate')
  t.same(ds.sort(), [...loaded.keys()].sort())
  const changed = await runBin('as-scan', ['-h', cluster.seeds, '-n', 'test', '-s', 'a', '-o', out, '-c', state])
  t.equal(changed.code, 2)
  t.match(changed.stderr, /option set differs from the interrupted run/)
})

t.test('SIGKILL at random points, resumed until done: the file equals a clean scan', async t => {
  const out = join(dir, 'kill.asb')
  const state = join(dir, 'kill.state')
  const base = ['-h', cluster.seeds, '-n', 'test', '--format', 'asb', '-L', '400', '-w', '2', '-o', out]
  let runs = 0
  let code: number | null = null
  while (code !== 0 && runs < 30) {
    runs++
    const args = existsSync(state) ? [...base, '-c', state] : [...base, '--state-file', state]
    const before = existsSync(out) ? statSync(out).size : 0
    const child = spawn(process.execPath, [bin('as-scan'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    const closed = new Promise<number | null>(resolve => child.on('close', resolve))
    // kill at a random moment once this run has written something
    void grown(out, before, closed).then(async () => {
      await new Promise(resolve => setTimeout(resolve, 200 + Math.floor(Math.random() * (runs === 1 ? 1200 : 3000))))
      child.kill('SIGKILL')
    })
    code = await closed
  }
  t.equal(code, 0, `finished after ${runs} run(s)`)
  t.ok(runs > 1, 'was killed at least once')
  const text = readFileSync(out, 'latin1')
  t.equal(text.split('\n# first-file\n').length, 2, 'one header')
  const v = await runBin('as-encode', ['--validate'], { input: readFileSync(out) })
  t.equal(v.code, 0, v.stderr)
  const nd = await runBin('as-encode', ['--to', 'ndjson'], { input: readFileSync(out) })
  const ds = nd.stdout.toString('utf8').split('\n').filter(l => l.startsWith('{"namespace"')).map(l => JSON.parse(l).digest)
  t.equal(new Set(ds).size, ds.length, 'no duplicate digest')
  t.same(ds.sort(), [...loaded.keys()].sort(), 'every record')
})

t.test('a node stopped mid-scan: the scan still returns every record once', async t => {
  const child = spawn(process.execPath, [bin('as-scan'), '-h', cluster.seeds, '-n', 'test', '-L', '1200', '--sleep-between-retries', '100'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', d => { out += d })
  child.stderr.on('data', d => { err += d })
  await new Promise(resolve => setTimeout(resolve, 400))
  const victim = cluster.nodes[1]
  await victim.stop()
  const code = await new Promise(resolve => child.on('close', resolve))
  await victim.start()
  t.equal(code, 0, err)
  const ds = out.split('\n').filter(l => l.startsWith('{"namespace"')).map(l => JSON.parse(l).digest)
  t.equal(new Set(ds).size, ds.length, 'no duplicate')
  t.same(ds.sort(), [...loaded.keys()].sort())
})

t.test('a slow consumer keeps the peak RSS bounded', async t => {
  // 4000 records of 40 KB (about 214 MB of NDJSON) in a set of their own; without
  // backpressure the scan would hold most of it within the 3 slow seconds
  const big = Buffer.alloc(40_000, 7)
  for (let i = 0; i < 4000; i++) cluster.put('test', 'big', `big-${i}`, { b: big, i: BigInt(i) })
  const child = spawn(process.execPath, [bin('as-scan'), '-h', cluster.seeds, '-n', 'test', '-s', 'big'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let bytes = 0
  let peak = 0
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m !== null) peak = Math.max(peak, Number(m[1]) * 1024)
    } catch { /* exited */ }
  }
  const sampler = setInterval(sample, 100)
  // read at about 1 MB/s for 3 seconds, then drain
  child.stdout.pause()
  const slow = setInterval(() => {
    let got = 0
    let c: Buffer | null
    while (got < 100_000 && (c = child.stdout.read() as Buffer | null) !== null) { got += c.length; bytes += c.length }
  }, 100)
  await new Promise(resolve => setTimeout(resolve, 3000))
  clearInterval(slow)
  sample()
  const peakSlow = peak
  child.stdout.on('data', (c: Buffer) => { bytes += c.length })
  child.stdout.resume()
  const code = await new Promise(resolve => child.on('close', resolve))
  clearInterval(sampler)
  t.equal(code, 0)
  t.ok(bytes > 200_000_000, `read ${bytes} bytes`)
  t.ok(peakSlow < 150 * 1024 * 1024, `peak RSS while the reader was slow: ${(peakSlow / 1048576).toFixed(0)} MiB`)
  writeFileSync(join(dir, 'rss.txt'), String(peakSlow))
})

t.test('security: -U with -P env:VAR and file:PATH; a wrong password fails in one line', async t => {
  const secure = await startTestCluster({ nodes: 1, security: { users: { admin: 'secret' } } })
  try {
    secure.put('test', 's', 'k1', { i: 1n })
    process.env.AS_SCAN_TEST_PW = 'secret'
    const pwFile = join(dir, 'pw.txt')
    writeFileSync(pwFile, 'secret\n')
    for (const pw of ['env:AS_SCAN_TEST_PW', `file:${pwFile}`, 'secret']) {
      const out = join(dir, `sec-${pw.length}.ndjson`)
      const code = await main(['-h', secure.seeds, '-n', 'test', '-U', 'admin', '-P', pw, '-o', out, '--progress', 'none'])
      t.equal(code, 0, pw)
      t.equal(readFileSync(out, 'utf8').split('\n').filter(l => l.startsWith('{"namespace"')).length, 1)
    }
    const bad = await runBin('as-scan', ['-h', secure.seeds, '-n', 'test', '-U', 'admin', '-P', 'wrong'])
    t.equal(bad.code, 1)
    t.equal(bad.stderr.split('\n').filter(l => l !== '').length, 1, bad.stderr)
  } finally {
    delete process.env.AS_SCAN_TEST_PW
    await secure.close()
  }
})
