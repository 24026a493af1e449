// as-encode as a process: exact stdout bytes, stderr lines and exit codes.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createReadStream, readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createAsbDecoder } from '../lib/asb/decode.js'
import { createNdjsonEncoder } from '../lib/ndjson/encode.js'
import { join } from 'node:path'
import { ASB_FIXTURES, bin, runBin } from './helpers.js'

const GOLDEN = join(ASB_FIXTURES, 'golden.asb')
const golden = readFileSync(GOLDEN)
// golden.asb as NDJSON, converted once by the binary (first test) and reused
let goldenNd: Buffer = Buffer.alloc(0)

t.test('.asb -> NDJSON -> .asb through the binary is byte-identical', async t => {
  const nd = await runBin('as-encode', [GOLDEN])
  t.equal(nd.code, 0)
  t.equal(nd.stderr, '')
  t.match(nd.stdout.toString('utf8'), /^\{"\$meta":"header","version":"3.1","namespace":"test","firstFile":true\}\n/)
  goldenNd = nd.stdout
  const back = await runBin('as-encode', ['-'], { input: nd.stdout })
  t.equal(back.code, 0)
  t.equal(back.stderr, '')
  t.ok(back.stdout.equals(golden), 'same bytes as golden.asb')
})

t.test('--compact writes asbackup --compact output', async t => {
  const file = join(ASB_FIXTURES, 'golden_compact.asb')
  const nd = await runBin('as-encode', [file])
  t.equal(nd.code, 0)
  const back = await runBin('as-encode', ['--compact'], { input: nd.stdout })
  t.equal(back.code, 0)
  t.ok(back.stdout.equals(readFileSync(file)), 'same bytes as golden_compact.asb')
})

t.test('--to asb re-encodes .asb to identical bytes; --to ndjson on NDJSON is the identity', async t => {
  const again = await runBin('as-encode', ['--to', 'asb', GOLDEN])
  t.equal(again.code, 0)
  t.ok(again.stdout.equals(golden))
  const same = await runBin('as-encode', ['--to', 'ndjson'], { input: goldenNd })
  t.equal(same.code, 0)
  t.ok(same.stdout.equals(goldenNd))
})

t.test('--validate prints counts on stderr and nothing on stdout', async t => {
  const a = await runBin('as-encode', ['--validate', GOLDEN])
  t.equal(a.code, 0)
  t.equal(a.stdout.length, 0)
  t.equal(a.stderr, `as-encode: ${GOLDEN}: valid .asb: 54 records, 9 indexes, 2 UDFs, ${golden.length} bytes\n`)
  const b = await runBin('as-encode', ['--validate'], { input: goldenNd })
  t.equal(b.code, 0)
  t.equal(b.stderr, `as-encode: stdin: valid NDJSON: 54 records, 9 indexes, 2 UDFs, ${goldenNd.length} bytes\n`)
})

t.test('--validate rejects bad NDJSON with one line and exit 1', async t => {
  const input = '{"namespace":"test","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","bins":{}}\n{"namespace":"test","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","bins":{"a":{"$int":"x"}}}\n'
  const r = await runBin('as-encode', ['--validate'], { input })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'as-encode: stdin: line 2: bins.a.$int: expected an integer in a string like {"$int": "-9223372036854775808"}\n')
  const conv = await runBin('as-encode', [], { input })
  t.equal(conv.code, 1, 'converting fails the same way')
  t.equal(conv.stderr, r.stderr)
})

t.test('bad .asb: one line naming the position, exit 1', async t => {
  const bad = Buffer.concat([golden, Buffer.from('+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n+ t 0\n+ b 1\n- x baz T\n')])
  const r = await runBin('as-encode', ['--validate'], { input: bad })
  t.equal(r.code, 1)
  const lines = r.stderr.trimEnd().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], /^as-encode: stdin: line \d+, col \d+/)
})

t.test('usage errors exit 2 with a hint', async t => {
  for (const args of [['--relaxed', '--to', 'asb'], ['--compact', '--to', 'ndjson', GOLDEN], ['--from', 'xml']]) {
    const r = await runBin('as-encode', args, { input: '' })
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, /^as-encode: .*\nrun `as-encode --help` for usage\n$/s, `${args.join(' ')}: message and hint`)
  }
})

t.test('--relaxed writes plain JSON', async t => {
  const r = await runBin('as-encode', ['--relaxed', GOLDEN])
  t.equal(r.code, 0)
  const lines = r.stdout.toString('utf8').trimEnd().split('\n')
  t.equal(lines.length, 66)
  for (const l of lines) JSON.parse(l)
  t.notMatch(r.stdout.toString('utf8'), /"\$(int|map|blob)"/, 'no $int/$map/$blob tags')
})

t.test('NDJSON without a header gets the asbackup header', async t => {
  const r = await runBin('as-encode', [], { input: '{"namespace":"bar","set":"s","key":1,"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","generation":2,"expiration":null,"bins":{"a":"x"}}\n' })
  t.equal(r.code, 0)
  t.equal(r.stdout.toString(), 'Version 3.1\n# namespace bar\n# first-file\n+ k I 1\n+ n bar\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ s s\n+ g 2\n+ t 0\n+ b 1\n- S a 1 x\n')
})

t.test('concatenated NDJSON of a directory backup becomes one .asb', async t => {
  const dir = join(ASB_FIXTURES, 'golden_dir_p4')
  // the four files as NDJSON (library conversion; the binary's is tested above)
  const parts: Buffer[] = []
  for (const f of ['test_00000.asb', 'test_00001.asb', 'test_00002.asb', 'test_00003.asb']) {
    const out: Buffer[] = []
    await pipeline(createReadStream(join(dir, f)), createAsbDecoder({ file: f }), createNdjsonEncoder(), new Writable({ write (c: Buffer, _e, cb) { out.push(c); cb() } }))
    parts.push(Buffer.concat(out))
  }
  const asb = await runBin('as-encode', [], { input: Buffer.concat(parts) })
  t.equal(asb.code, 0)
  t.equal(asb.stderr, '')
  t.equal(asb.stdout.toString('latin1').split('\nVersion ').length, 1, 'one Version line')
  const v = await runBin('as-encode', ['--validate'], { input: asb.stdout })
  t.equal(v.stderr, `as-encode: stdin: valid .asb: 54 records, 9 indexes, 2 UDFs, ${asb.stdout.length} bytes\n`)
})

t.test('empty input gives empty output', async t => {
  const r = await runBin('as-encode', [], { input: '' })
  t.equal(r.code, 0)
  t.equal(r.stdout.length, 0)
  t.equal(r.stderr, '')
})

t.test('a broken pipe ends quietly with status 0', async t => {
  const res = await new Promise<{ code: number | null, stderr: string, out: number }>((resolve) => {
    const child = spawn('bash', ['-c', `set -o pipefail; node "${bin('as-encode')}" "${join(ASB_FIXTURES, 'golden_big.asb')}" | head -c 10 | wc -c`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    let out = ''
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.on('close', (code) => resolve({ code, stderr: err, out: Number(out.trim()) }))
  })
  t.equal(res.out, 10, 'head got 10 bytes')
  t.equal(res.stderr, '', 'nothing on stderr')
  t.equal(res.code, 0, 'as-encode exited 0')
})

t.test('--threads: inputs over 1 MiB go to worker threads with the same output as one thread', async t => {
  const big = join(ASB_FIXTURES, 'golden_big.asb')
  const one = await runBin('as-encode', ['--threads', '1', '-v', big])
  t.equal(one.code, 0)
  t.match(one.stderr, /chunks: 0 on worker threads/)
  const two = await runBin('as-encode', ['--threads', '2', '-v', big])
  t.equal(two.code, 0)
  t.ok(two.stdout.equals(one.stdout), 'same NDJSON')
  const m = /chunks: (\d+) on worker threads/.exec(two.stderr)
  t.ok(m !== null && Number(m[1]) > 0, `worker threads used: ${two.stderr.trim()}`)
  const back = await runBin('as-encode', ['--threads', '2', '-'], { input: two.stdout })
  t.equal(back.code, 0)
  t.ok(back.stdout.equals(readFileSync(big)), 'and back to the same .asb bytes')
  const bad = await runBin('as-encode', ['--threads', '0', big])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--threads must be an integer from 1 to 64, got 0/)
})
