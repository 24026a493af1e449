// Every plain golden .asb restores into the test server and reads back
// identical (particle type and bytes of every bin, set, stored key, TTL).
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nameBytes } from '../../lib/name.js'
import type { Bin, Record } from '../../lib/types.js'
import { startTestCluster } from '../../lib/server/index.js'
import { ASB_FIXTURES, runBin } from '../helpers.js'
import { decodeFile, diffRestored, NOW_ARG, NOW_MS, recordsOf, summaryOf } from './server-helpers.js'
import { restoreTtl, clepochNow } from '../../lib/restore/ttl.js'

const namespaces: { [ns: string]: { [k: string]: string | number | boolean } } = { test: {} }
for (let i = 0; i < 9; i++) namespaces[`r${i}`] = {}
const cluster = await startTestCluster({ nodes: 2, namespaces, now: () => NOW_MS })
t.teardown(() => cluster.close())
const host = cluster.seeds

const files = [
  { file: 'golden.asb', args: [] as string[] },
  { file: 'golden_compact.asb', args: ['--disable-batch-writes'] },
  { file: 'golden_v391.asb', args: ['--disable-batch-writes'] },
  { file: 'golden_expidx.asb', args: [] },
  { file: 'golden_big.asb', args: [] },
  { file: 'golden_zstd.asb', args: ['-z', 'zstd', '--disable-batch-writes'] },
  { file: 'golden_aes128.asb', args: ['-y', 'aes128', '--encryption-key-file', join(ASB_FIXTURES, 'key.pem')] },
  { file: 'golden_zstd_aes256.asb', args: ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', join(ASB_FIXTURES, 'key.pem')] },
  { file: 'golden_v391_zstd_aes128.asb', args: ['-z', 'zstd', '-y', 'aes128', '--encryption-key-file', join(ASB_FIXTURES, 'key_pkcs1.pem')] }
]

const plain: { [k: string]: string } = {
  'golden_zstd.asb': 'golden.asb',
  'golden_aes128.asb': 'golden.asb',
  'golden_zstd_aes256.asb': 'golden.asb',
  'golden_v391_zstd_aes128.asb': 'golden_v391.asb'
}

files.forEach((f, i) => {
  const ns = `r${i}`
  t.test(`${f.file} restores into ${ns} and reads back identical`, async (t) => {
    const recs = recordsOf(decodeFile(join(ASB_FIXTURES, plain[f.file] ?? f.file)))
    const r = await runBin('as-restore', ['-h', host, '-n', `test,${ns}`, '-i', join(ASB_FIXTURES, f.file), '--now', NOW_ARG, '--progress', 'json', '-I', '-F', '-v', ...f.args])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, f.args.includes('--disable-batch-writes') ? /Using single-record writes/ : /Using batch writes/, 'write mode')
    const s = summaryOf(r.stderr)
    const now = clepochNow(NOW_MS)
    const expired = recs.filter((x) => restoreTtl(x.voidTime, now).expired).length
    t.equal(s.total, recs.length, 'every record parsed')
    t.equal(['expired', 'skipped', 'err_ignored', 'inserted', 'existed', 'fresher', 'failed', 'would_write'].reduce((n, k) => n + (s[k] as number), 0), s.total, 'every record in exactly one counter')
    t.equal(s.expired, expired, 'expired')
    t.equal((s.inserted as number) + (s.fresher as number) + (s.existed as number), recs.length - expired, 'written or already there')
    t.same(diffRestored(cluster, ns, recs), [], 'server holds exactly the backup')
  })
})

t.test('golden.asb restored, then as-scan | as-encode gives back the golden records', async (t) => {
  const scan = await runBin('as-scan', ['-h', host, '-n', 'r0'])
  t.equal(scan.code, 0, scan.stderr)
  const enc = await runBin('as-encode', ['-'], { input: scan.stdout })
  t.equal(enc.code, 0, enc.stderr)
  const tmp = mkdtempSync(join(tmpdir(), 'restore-golden-'))
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
  writeFileSync(join(tmp, 'back.asb'), enc.stdout)
  const back = new Map(recordsOf(decodeFile(join(tmp, 'back.asb'))).map((r) => [r.digest.toString('hex'), r]))
  const golden = recordsOf(decodeFile(join(ASB_FIXTURES, 'golden.asb')))
  t.equal(back.size, golden.length, 'same record count')
  const norm = (r: Record): unknown => ({
    set: r.set === null ? null : nameBytes(r.set).toString('hex'),
    key: r.key === null ? null : { type: r.key.type, v: Buffer.isBuffer(r.key.value) ? r.key.value.toString('hex') : String(r.key.value) },
    bins: r.bins.map((b) => ({ name: nameBytes(b.name).toString('hex'), type: b.type, v: valueHex(b) })).sort((x, y) => x.name < y.name ? -1 : 1)
  })
  let same = 0
  for (const g of golden) {
    const b = back.get(g.digest.toString('hex'))
    if (b === undefined) { t.fail(`missing ${g.digest.toString('base64')}`); continue }
    if (JSON.stringify(norm(b)) === JSON.stringify(norm(g))) same++
    else t.same(norm(b), norm(g), `record ${g.digest.toString('base64')} identical type by type`)
  }
  t.equal(same, golden.length, 'every record identical: keys, sets, bin names, particle types, values')
})

function valueHex (b: Bin): string {
  const v = b.value
  if (Buffer.isBuffer(v)) return v.toString('hex')
  if (typeof v === 'number') { const x = Buffer.alloc(8); x.writeDoubleBE(v); return x.toString('hex') }
  return String(v)
}
