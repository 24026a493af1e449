// as-restore as a process: usage errors, --validate without a cluster, stdin,
// directories restored several files at once, the -m SUMMARY line, indexes and
// UDFs through the official client, and NDJSON input.
import t from 'tap'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCluster } from '../../lib/server/index.js'
import { createNdjsonEncoder } from '../../lib/ndjson/encode.js'
import { ASB_FIXTURES, runBin } from '../helpers.js'
import { decodeFile, diffRestored, NOW_ARG, NOW_MS, recordsOf, summaryOf } from './server-helpers.js'
import type { Record, Token } from '../../lib/types.js'

const cluster = await startTestCluster({ nodes: 2, namespaces: { test: {}, s1: {}, d1: {}, d2: {}, d3: {}, n1: {}, i1: {} }, now: () => NOW_MS })
const tmp = mkdtempSync(join(tmpdir(), 'as-restore-'))
t.teardown(async () => { rmSync(tmp, { recursive: true, force: true }); await cluster.close() })
const host = cluster.seeds
const golden = join(ASB_FIXTURES, 'golden.asb')
const goldenRecs = recordsOf(decodeFile(golden))

t.test('usage errors exit 2 with asrestore\'s message', async (t) => {
  const r = await runBin('as-restore', ['-u', '-r', '-i', golden])
  t.equal(r.code, 2)
  t.match(r.stderr, /^as-restore: Invalid options: --unique is mutually exclusive with --replace and --no-generation\.\n/)
  const r2 = await runBin('as-restore', [])
  t.equal(r2.code, 2)
  t.match(r2.stderr, /please specify a directory/)
})

t.test('--validate parses without a cluster and counts', async (t) => {
  const r = await runBin('as-restore', ['--validate', '-h', '127.0.0.1:1', '-i', golden, '--now', NOW_ARG])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /Starting validation of /)
  t.match(r.stderr, /\[INF\] \[ *\d+\] 2 UDF file\(s\), 9 secondary index\(es\), 54 record\(s\)/)
  t.match(r.stderr, /Expired 0 : skipped 0 : err_ignored 0 : inserted 0: failed 0 \(existed 0 , fresher 0\)/)
  const bad = await runBin('as-restore', ['--validate', '-i', '-'], { input: 'Version 3.1\n# namespace test\n+ n test\n+ d bad\n' })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /as-restore: stdin: line \d+, col \d+ \(byte \d+\): /)
})

t.test('stdin input, with the -m SUMMARY line', async (t) => {
  const m = join(tmp, 'machine.txt')
  const r = await runBin('as-restore', ['-h', host, '-n', 'test,s1', '-i', '-', '--now', NOW_ARG, '-m', m, '-I', '-F'], { input: readFileSync(golden) })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /Expired 0 : skipped 0 : err_ignored 0 : inserted 54: failed 0 \(existed 0 , fresher 0\)/)
  t.same(diffRestored(cluster, 's1', goldenRecs), [])
  const lines = readFileSync(m, 'utf8').trim().split('\n')
  t.equal(lines[lines.length - 1], 'SUMMARY:2:9:54:0:0:0 :54:0:0')
})

t.test('directory input: every *.asb, several files at once', async (t) => {
  for (const [dir, ns, n] of [['golden_dir_p4', 'd1', 54], ['golden_big_dir_p4', 'd2', 6000]] as const) {
    const path = join(ASB_FIXTURES, dir)
    const recs = readdirSync(path).filter((f) => f.endsWith('.asb')).flatMap((f) => recordsOf(decodeFile(join(path, f))))
    t.equal(recs.length, n)
    const r = await runBin('as-restore', ['-h', host, '-n', `test,${ns}`, '-d', path, '-t', '4', '--now', NOW_ARG, '--progress', 'json', '-I', '-F'])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, new RegExp(`Found ${readdirSync(path).filter((f) => f.endsWith('.asb')).length} backup file\\(s\\) in `))
    const s = summaryOf(r.stderr)
    t.equal(s.total, n)
    t.equal(s.inserted, n - (s.expired as number))
    t.same(diffRestored(cluster, ns, recs), [], `${dir} restored identically`)
  }
  const r = await runBin('as-restore', ['-h', host, '-n', 'test,d3', '--directory-list', 'golden_dir_p4', '--parent-directory', ASB_FIXTURES, '--now', NOW_ARG, '-I', '-F'])
  t.equal(r.code, 0, r.stderr)
  t.equal(cluster.count('d3'), 54)
})

t.test('NDJSON input restores the same records', async (t) => {
  const enc = createNdjsonEncoder({})
  const chunks: Buffer[] = []
  enc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise((resolve) => enc.on('end', resolve))
  for (const tok of decodeFile(golden) as Token[]) enc.write(tok)
  enc.end()
  await done
  const r = await runBin('as-restore', ['-h', host, '-n', 'test,n1', '-i', '-', '--now', NOW_ARG, '-I', '-F'], { input: Buffer.concat(chunks) })
  t.equal(r.code, 0, r.stderr)
  t.same(diffRestored(cluster, 'n1', goldenRecs as Record[]), [])
})

t.test('indexes and UDFs through the official client; identical indexes match on a second run', async (t) => {
  const r = await runBin('as-restore', ['-h', host, '-n', 'test,i1', '-i', golden, '--now', NOW_ARG, '--progress', 'json', '-w'])
  t.equal(r.code, 0, r.stderr)
  t.equal(cluster.sindexes.filter((s) => s.ns === 'i1').length, 9, '9 indexes created in i1')
  t.ok(cluster.udfs.has('golden_udf.lua'))
  const again = await runBin('as-restore', ['-h', host, '-n', 'test,i1', '-i', golden, '--now', NOW_ARG, '--progress', 'json'])
  t.equal(again.code, 0, again.stderr)
  const s = summaryOf(again.stderr)
  t.equal(s.matched_indexes, 9)
  t.equal(s.fresher, goldenRecs.filter((x) => x.generation <= 1).length, 'records whose backup generation is not greater count as fresher')
  t.equal(s.inserted, goldenRecs.filter((x) => x.generation > 1).length, 'the others are written again')
  writeFileSync(join(tmp, 'stderr.txt'), again.stderr)
})

t.test('-P without a value prompts; with no terminal to prompt on it is a usage error', async (t) => {
  // setsid drops the controlling terminal, as under cron or CI
  const { spawnSync } = await import('node:child_process')
  const { bin } = await import('../helpers.js')
  const r = spawnSync('setsid', [process.execPath, bin('as-restore'), '-h', '127.0.0.1:9', '-U', 'admin', '-P', '-i', golden], { input: '', timeout: 30_000 })
  t.equal(r.status, 2)
  t.match(r.stderr.toString(), /as-restore: a password is needed but there is no terminal to prompt on; use -P env:VAR or -P file:PATH\n/)
})

t.test('an unreachable cluster is one error line and exit 1, not a hang', async (t) => {
  const { createServer } = await import('node:net')
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  const started = Date.now()
  const r = await runBin('as-restore', ['-h', `127.0.0.1:${port}`, '-i', golden], { timeoutMs: 30_000 })
  t.equal(r.code, 1)
  t.equal(r.signal, null, 'ended by itself')
  t.ok(Date.now() - started < 15_000, 'promptly')
  t.match(r.stderr, new RegExp(`as-restore: Error while connecting to 127\\.0\\.0\\.1:${port}: `))
})
