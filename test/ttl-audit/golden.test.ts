// as-ttl-audit over the golden backups made by the real asbackup (void-times
// from 2026-11-21; every check takes `now` from --at / a parameter).
import t from 'tap'
import { createReadStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAsbDecoder } from '../../lib/asb/decode.js'
import { tokenToJson } from '../../lib/ndjson/encode.js'
import type { Token } from '../../lib/types.js'
import { backupDistribution } from '../../lib/ttl-audit/audit.js'
import { bucketOf } from '../../lib/ttl-audit/distribution.js'
import { audit, failed } from '../../lib/ttl-audit/findings.js'
import { isoAt } from '../../lib/ttl-audit/report.js'
import { spawn } from 'node:child_process'
import { ASB_FIXTURES, bin, runBin } from '../helpers.js'

const NS_FILE = join(ASB_FIXTURES, 'golden_ns.asb')
const BIG_FILE = join(ASB_FIXTURES, 'golden_big.asb')
const DAY = 86400

function tokens (file: string): AsyncIterable<Token> {
  return createReadStream(file).pipe(createAsbDecoder({ file }))
}

/** When the golden_big backup was taken: its 1200 TTL records were written with TTL 30 d. */
async function backupTime (): Promise<number> {
  let min = Infinity
  for await (const tk of tokens(BIG_FILE)) if (tk.kind === 'record' && tk.voidTime !== 0) min = Math.min(min, tk.voidTime)
  return min - 30 * DAY
}

t.test('buckets', async t => {
  t.equal(bucketOf(0, 1000), 'never')
  t.equal(bucketOf(1000, 1000), 'expired')
  t.equal(bucketOf(999, 1000), 'expired')
  t.equal(bucketOf(1000 + 3600, 1000), '1h')
  t.equal(bucketOf(1000 + 3601, 1000), '1d')
  t.equal(bucketOf(1000 + 7 * DAY, 1000), '7d')
  t.equal(bucketOf(1000 + 30 * DAY, 1000), '30d')
  t.equal(bucketOf(1000 + 365 * DAY, 1000), '1y')
  t.equal(bucketOf(1000 + 366 * DAY, 1000), 'later')
})

t.test('golden_ns.asb: counts per set and TTL (MANIFEST.md)', async t => {
  const created = await backupTime()
  const at = created + 600
  const b = await backupDistribution(tokens(NS_FILE), at, 0)
  t.equal(b.namespace, 'test')
  const d = b.distribution
  t.equal(d.records, 7089)
  const perSet = Object.fromEntries(d.list().map(s => [s.set, s.records]))
  t.same(perSet, { '': 3, demo: 1000, golden: 54, 'golden sp': 2, golden_big: 6000, wire_batch: 3, wire_keys: 5, wire_scan: 12, wire_types: 8, wire_write: 2 })
  const total = d.total()
  t.equal(7089 - total.never, 1541, '1541 records carry a void-time')
  const big = d.sets.get('golden_big')!
  t.equal(big.counts['30d'], 1200, 'golden_big: 1200 with TTL 30 d')
  t.equal(big.counts.never, 4800)
  t.equal(d.sets.get('golden')!.counts['1y'], 1, 'golden: the 1 y record')

  // a day later the 338 short-TTL records (about 3 h) are past their void-time
  const later = await backupDistribution(tokens(NS_FILE), created + DAY, 0)
  t.equal(later.distribution.total().expired, 338)
  t.equal(later.restore.expired, 338, 'a restore then skips them')
  t.equal(later.restore.withTtl, 1541 - 338)
  const f = audit({ distribution: later.distribution, config: null, target: null, restore: later.restore, source: 'backup' })
  const skip = f.find(x => x.code === 'restore-skips-expired')!
  t.equal(skip.severity, 'warning')
  t.equal(skip.data.expired, 338)
  t.notOk(failed(f, 'error'))
  t.ok(failed(f, 'warning'))
  // --extra-ttl 2 d brings them back
  const extra = await backupDistribution(tokens(NS_FILE), created + DAY, 2 * DAY)
  t.equal(extra.restore.expired, 0)
  // 31 days on, the 30 d records have gone too
  const month = await backupDistribution(tokens(BIG_FILE), created + 31 * DAY, 0)
  t.equal(month.restore.expired, 1200)
  // a huge extra-ttl pushes TTLs over 10 years: the server would refuse them
  const huge = await backupDistribution(tokens(BIG_FILE), created, 315360000)
  t.equal(huge.restore.tooLong, 1200)
  t.equal(audit({ distribution: huge.distribution, config: null, target: null, restore: huge.restore, source: 'backup' })[0]!.code, 'restore-ttl-too-long')
})

t.test('the binary: .asb and NDJSON give the same report; --fail-on', async t => {
  const created = await backupTime()
  const at = isoAt(created + DAY)
  const asb = readFileSync(NS_FILE)
  const r1 = await runBin('as-ttl-audit', ['--at', at, '--json'], { input: asb })
  t.equal(r1.code, 0, r1.stderr)
  const j1 = JSON.parse(r1.stdout.toString())
  t.equal(j1.records, 7089)
  t.equal(j1.total.expired, 338)
  t.equal(j1.restore.expired, 338)
  t.equal(j1.at, at)
  let nd = ''
  for await (const tk of tokens(NS_FILE)) nd += tokenToJson(tk) + '\n'
  const r2 = await runBin('as-ttl-audit', ['--at', at, '--json', '-'], { input: nd })
  t.equal(r2.code, 0, r2.stderr)
  const j2 = JSON.parse(r2.stdout.toString())
  t.same(j2.sets, j1.sets, 'NDJSON input: same distribution')
  t.same(j2.findings, j1.findings)
  const r3 = await runBin('as-ttl-audit', ['--at', String(created + DAY + 1262304000), '--fail-on', 'warning', NS_FILE])
  t.equal(r3.code, 1, 'a warning fails --fail-on warning')
  const text = r3.stdout.toString()
  t.match(text, /^golden_big: 6000 record\(s\), 1200 with a TTL$/m)
  t.match(text, /^ {2}past void-time +338 +4\.8% #+$/m)
  t.match(text, /^WARNING: restoring this backup would skip 338 records already expired/m)
  const r4 = await runBin('as-ttl-audit', ['--at', 'yesterday', NS_FILE])
  t.equal(r4.code, 2)
  t.match(r4.stderr, /Invalid --at yesterday/)
  const r5 = await runBin('as-ttl-audit', ['--fail-on', 'never', NS_FILE])
  t.equal(r5.code, 2, r5.stderr)
  const bad = await runBin('as-ttl-audit', ['-'], { input: 'Version 3.1\n# namespace test\n+ x\n' })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^as-ttl-audit: /)
})

t.test('a reader that went away: quiet, status 0', async t => {
  const res = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    // `true` exits without reading: the report's write gets EPIPE
    const child = spawn('bash', ['-c', `set -o pipefail; node "${bin('as-ttl-audit')}" --json --at 2026-11-21T00:00:00Z "${NS_FILE}" | true`], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('close', (code) => resolve({ code, stderr: err }))
  })
  t.equal(res.stderr, '')
  t.equal(res.code, 0)
})
