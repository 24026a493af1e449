// Every plain golden .asb restores into the test server and reads back
// identical (particle type and bytes of every bin, set, stored key, TTL).
import t from 'tap'
import { join } from 'node:path'
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
    t.equal(s.expired, expired, 'expired')
    t.equal((s.inserted as number) + (s.fresher as number) + (s.existed as number), recs.length - expired, 'written or already there')
    t.same(diffRestored(cluster, ns, recs), [], 'server holds exactly the backup')
  })
})
