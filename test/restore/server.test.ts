// as-restore's semantics against the in-repo test server, in-process (the
// real wire writer and the official client for the control plane): the policy
// table, TTLs, the nsup check, remap and filters, indexes and UDFs, faults.
import t from 'tap'
import { Readable } from 'node:stream'
import { Cluster } from '../../lib/client/cluster.js'
import { startTestCluster } from '../../lib/server/index.js'
import type { TestCluster } from '../../lib/server/index.js'
import { computeDigest } from '../../lib/proto/digest.js'
import type { InfoClient } from '../../lib/restore/control.js'
import { createClientWriter } from '../../lib/restore/client-writer.js'
import { RestoreCounters } from '../../lib/restore/counters.js'
import { validateRestoreOptions } from '../../lib/restore/options.js'
import type { RawRestoreArgs } from '../../lib/restore/options.js'
import { writePolicy } from '../../lib/restore/policy.js'
import { runRestore } from '../../lib/restore/restore.js'
import { clepochNow } from '../../lib/restore/ttl.js'
import type { Record, Token } from '../../lib/types.js'
import { Particle } from '../../lib/types.js'
import { NOW_MS } from './server-helpers.js'
import { intBin, sindex, strBin } from './fixtures.js'

const NOW = clepochNow(NOW_MS)
let clock = NOW_MS
const cluster: TestCluster = await startTestCluster({
  nodes: 2,
  namespaces: { test: {}, bar: {}, nonsup: { 'nsup-period': 0, 'allow-ttl-without-nsup': false } },
  now: () => clock
})
const client = await Cluster.connect({ hosts: cluster.seeds, tendIntervalMs: 200, connectTimeoutMs: 2000 })
// The official client connects synchronously (its C tend thread blocks this
// event loop, where the test server runs), so in-process tests reach the
// control plane through our own client's info; the CLI tests (spawned) cover
// the official-client path.
const info: InfoClient = {
  info: async (cmd) => (await client.info([cmd])).get(cmd) ?? '',
  infoAll: async (cmd) => [...(await client.infoAll(cmd)).values()]
}
t.teardown(async () => { client.close(); await cluster.close() })

function keyed (set: string, key: string, over: Partial<Record> = {}): Record {
  const k = { type: Particle.STRING, value: Buffer.from(key) } as const
  return { kind: 'record', namespace: 'test', set, key: k, digest: computeDigest(set, k), generation: 1, voidTime: 0, bins: [intBin('a', 1)], ...over }
}

interface Run { counters: RestoreCounters, error: Error | null, logs: string[] }

async function restore (tokens: Token[], raw: Omit<RawRestoreArgs, 'inputFile'> & { batch?: boolean } = {}): Promise<Run> {
  const opts = validateRestoreOptions({ inputFile: 'mem', retryScaleFactor: '1000', ...raw })
  const counters = new RestoreCounters()
  const logs: string[] = []
  const writer = createClientWriter(client, { policy: writePolicy(opts), timeoutMs: opts.totalTimeout > 0 ? opts.totalTimeout : opts.timeout, maxInFlight: 64 })
  let error: Error | null = null
  try {
    await runRestore(opts, {
      sources: [{ name: 'mem', size: null, open: () => Readable.from([]) }],
      decode: async function * () { yield * tokens },
      writer: opts.validate || opts.dryRun ? null : writer,
      control: opts.validate ? null : info,
      batchWrites: raw.batch ?? true,
      now: () => NOW_MS,
      log: (tag, m) => { logs.push(`[${tag}] ${m}`) },
      counters,
      indexSleepMs: 10,
      waitPollMs: 10
    })
  } catch (err) {
    error = err as Error
  }
  t.equal(counters.accounted(), counters.total, 'every record in exactly one counter')
  return { counters, error, logs }
}

function binStr (ns: string, set: string, key: string, bin: string): string | undefined {
  const r = cluster.get(ns, set, key)
  const b = r?.bins.get(bin)
  return b === undefined ? undefined : b.value.toString()
}

for (const batch of [true, false]) {
  const mode = batch ? 'batch writes' : 'single-record writes'
  t.test(`policy table (asb-format.md §9.3), ${mode}`, async (t) => {
    const rows = [
      { name: 'none', flags: {}, k1: 'updated', k2: 'fresher' },
      { name: '--no-generation', flags: { noGeneration: true }, k1: 'updated', k2: 'updated' },
      { name: '--replace', flags: { replace: true }, k1: 'replaced', k2: 'fresher' },
      { name: '--replace --no-generation', flags: { replace: true, noGeneration: true }, k1: 'replaced', k2: 'replaced' },
      { name: '--unique', flags: { unique: true }, k1: 'existed', k2: 'existed' }
    ]
    for (const row of rows) {
      const set = `pol${batch ? 'b' : 's'}_${row.name.replace(/[^a-z]/g, '')}`
      for (const k of ['key-1', 'key-2']) cluster.put('test', set, k, { 'bin-1': 'value-1b', 'bin-2': 'value-2b' }, { generation: 1 })
      const backup = [
        keyed(set, 'key-1', { generation: 2, bins: [strBin('bin-1', 'value-1a')] }),
        keyed(set, 'key-2', { generation: 1, bins: [strBin('bin-1', 'value-1a')] })
      ]
      const r = await restore(backup, { ...row.flags, batch })
      t.equal(r.error, null, `${row.name}: no error`)
      const state = (k: string): string => {
        const b1 = binStr('test', set, k, 'bin-1')
        const b2 = binStr('test', set, k, 'bin-2')
        if (b1 === 'value-1a' && b2 === 'value-2b') return 'updated'
        if (b1 === 'value-1a' && b2 === undefined) return 'replaced'
        if (b1 === 'value-1b' && b2 === 'value-2b') return 'untouched'
        return `?${String(b1)},${String(b2)}`
      }
      const want = (w: string): string => w === 'fresher' || w === 'existed' ? 'untouched' : w
      t.equal(state('key-1'), want(row.k1), `${row.name}: key-1 ${row.k1}`)
      t.equal(state('key-2'), want(row.k2), `${row.name}: key-2 ${row.k2}`)
      const expect = { inserted: 0, existed: 0, fresher: 0 }
      for (const w of [row.k1, row.k2]) {
        if (w === 'existed') expect.existed++
        else if (w === 'fresher') expect.fresher++
        else expect.inserted++
      }
      t.same({ inserted: r.counters.inserted, existed: r.counters.existed, fresher: r.counters.fresher }, expect, `${row.name}: counters`)
    }
  })
}

t.test('TTL cases: never, 1000 s, expired, --extra-ttl', async (t) => {
  const recs = [
    keyed('ttl', 'never', { voidTime: 0 }),
    keyed('ttl', 'k1000', { voidTime: NOW + 1000 }),
    keyed('ttl', 'gone', { voidTime: NOW - 10 })
  ]
  const r = await restore(recs)
  t.equal(r.error, null)
  t.equal(r.counters.expired, 1)
  t.equal(r.counters.inserted, 2)
  t.equal(cluster.get('test', 'ttl', 'never')?.voidTime, 0, 'never-expiring stays never-expiring')
  t.equal(cluster.get('test', 'ttl', 'k1000')?.voidTime, NOW + 1000, 'TTL 1000 s')
  t.equal(cluster.get('test', 'ttl', 'gone'), undefined, 'expired record not written')

  const x = [keyed('ttlx', 'never', { voidTime: 0 }), keyed('ttlx', 'gone', { voidTime: NOW - 10 }), keyed('ttlx', 'k1000', { voidTime: NOW + 1000 })]
  const rx = await restore(x, { extraTtl: '100' })
  t.equal(rx.counters.expired, 0)
  t.equal(cluster.get('test', 'ttlx', 'never')?.voidTime, 0, '--extra-ttl does not touch never-expiring')
  t.equal(cluster.get('test', 'ttlx', 'gone')?.voidTime, NOW + 90, 'expired revived by --extra-ttl')
  t.equal(cluster.get('test', 'ttlx', 'k1000')?.voidTime, NOW + 1100, '--extra-ttl added')
})

t.test('a namespace refusing TTLs is reported before any expiring record is sent', async (t) => {
  const recs = [keyed('n', 'never', { voidTime: 0 }), keyed('n', 'ttl', { voidTime: NOW + 1000 }), keyed('n', 'ttl2', { voidTime: NOW + 1000 })]
  const r = await restore(recs, { namespace: 'test,nonsup' })
  t.match(r.error?.message, /nonsup has nsup-period 0 and allow-ttl-without-nsup false/)
  t.ok(r.logs.some((l) => /Namespace nonsup has nsup-period 0/.test(l)), 'said so up front')
  t.equal(cluster.get('nonsup', 'n', 'ttl'), undefined)
  const ri = await restore(recs, { namespace: 'test,nonsup', ignoreRecordError: true })
  t.equal(ri.error, null)
  t.equal(ri.counters.ignored, 2, 'expiring records counted as err_ignored')
  t.equal(cluster.get('nonsup', 'n', 'never')?.voidTime, 0, 'never-expiring records restored')
})

t.test('namespace remap, set and bin filters, zero-bin records', async (t) => {
  const recs = [
    keyed('keep', 'a', { bins: [intBin('x', 1), intBin('y', 2)] }),
    keyed('drop', 'b'),
    keyed('keep', 'c', { bins: [intBin('y', 3)] }),
    keyed('keep', 'd', { bins: [] })
  ]
  const r = await restore([{ kind: 'header', version: '3.1', namespace: 'test', firstFile: true }, ...recs], { namespace: 'test,bar', setList: 'keep', binList: 'x' })
  t.equal(r.error, null)
  t.equal(r.counters.inserted, 1)
  t.equal(r.counters.skipped, 3, 'unlisted set, no bins left after -B, zero bins')
  const a = cluster.get('bar', 'keep', 'a')
  t.same([...(a?.bins.keys() ?? [])], ['x'], 'only the listed bin')
  t.equal(cluster.get('test', 'keep', 'a'), undefined, 'nothing written to the source namespace')
  const missing = await restore([keyed('keep', 'y')], { namespace: 'test,nosuch' })
  t.match(missing.error?.message, /Namespace nosuch does not exist on the cluster/)
  const bad = await restore([keyed('keep', 'z', { namespace: 'other' })], { namespace: 'test,bar' })
  t.match(bad.error?.message, /Invalid namespace other in backup record, expected: test/)
})

t.test('indexes: created, identical -> matched, different -> replaced; UDFs; --indexes-last; --wait', async (t) => {
  const idx = sindex({ namespace: 'test', set: 'iset', name: 'r_idx', paths: [{ path: 'a', type: 'N' }] })
  const udf: Token = { kind: 'udf', type: 'L', name: 'r_udf.lua', content: Buffer.from('function f(r)\n  return 1\nend\n') }
  const r1 = await restore([idx, udf, keyed('iset', 'k')], { namespace: 'test,bar', wait: true })
  t.equal(r1.error, null)
  t.equal(r1.counters.indexes, 1)
  t.ok(cluster.sindexes.some((s) => s.name === 'r_idx' && s.ns === 'bar'), 'index created in the target namespace')
  t.ok(cluster.udfs.has('r_udf.lua'), 'UDF registered')
  const r2 = await restore([idx], { namespace: 'test,bar' })
  t.equal(r2.counters.matchedIndexes, 1, 'identical index skipped as matched')
  const changed = sindex({ namespace: 'test', set: 'iset', name: 'r_idx', paths: [{ path: 'a', type: 'S' }] })
  const r3 = await restore([changed], { namespace: 'test,bar', indexesLast: true })
  t.equal(r3.error, null)
  t.equal(r3.counters.matchedIndexes, 0)
  const now = cluster.sindexes.find((s) => s.name === 'r_idx' && s.ns === 'bar')
  t.match(JSON.stringify(now), /string/i, 'different index removed and re-created')
  const r4 = await restore([sindex({ namespace: 'test', set: 'other', name: 'r_idx2' })], { namespace: 'test,bar', setList: 'iset' })
  t.equal(r4.counters.skippedIndexes, 1, 'index of an unwanted set skipped')
})

t.test('-R, -I and -F leave records, indexes and UDFs out', async (t) => {
  const idx = sindex({ namespace: 'test', set: 'rif', name: 'rif_idx' })
  const udf: Token = { kind: 'udf', type: 'L', name: 'rif.lua', content: Buffer.from('return 1\n') }
  const r = await restore([idx, udf, keyed('rif', 'a'), keyed('rif', 'b')], { noRecords: true, noIndexes: true, noUdfs: true })
  t.equal(r.error, null)
  t.equal(r.counters.skipped, 2, 'records counted as skipped')
  t.equal(r.counters.indexes, 1, 'index line counted')
  t.equal(r.counters.udfs, 1, 'UDF counted')
  t.equal(cluster.count('test', 'rif'), 0)
  t.notOk(cluster.sindexes.some((s) => s.name === 'rif_idx'))
  t.notOk(cluster.udfs.has('rif.lua'))
})

t.test('--dry-run and --validate write nothing and count what would be written', async (t) => {
  const recs = [keyed('dry', 'a'), keyed('dry', 'b', { voidTime: NOW - 1 }), keyed('dry', 'c')]
  for (const flag of ['dryRun', 'validate'] as const) {
    const r = await restore(recs, { [flag]: true })
    t.equal(r.error, null)
    t.equal(r.counters.wouldWrite, 2, `${flag}: would write 2`)
    t.equal(r.counters.expired, 1)
    t.equal(cluster.count('test', 'dry'), 0, `${flag}: nothing written`)
  }
})

t.test('per-key errors: fatal, or counted with --ignore-record-error', async (t) => {
  for (const batch of [true, false]) {
    const recs = [keyed(`pk${String(batch)}`, 'a'), keyed(`pk${String(batch)}`, 'b'), keyed(`pk${String(batch)}`, 'c')]
    cluster.faults.failKey(recs[1]!.digest, 13)
    const r = await restore(recs, { batch, ignoreRecordError: true })
    t.equal(r.error, null)
    t.equal(r.counters.ignored, 1, 'RECORD_TOO_BIG counted as err_ignored')
    t.equal(r.counters.inserted, 2)
    const r2 = await restore(recs.map((x) => ({ ...x, generation: 5 })), { batch, maxAsyncBatches: '1', batchSize: '1' })
    t.match(r2.error?.message, /RECORD_TOO_BIG/, 'fatal without --ignore-record-error')
    cluster.faults.reset()
  }
})

t.test('transient per-key failures are retried, without duplicate writes', async (t) => {
  const recs = Array.from({ length: 20 }, (_, i) => keyed('retry', `k${i}`))
  cluster.faults.failKey(recs[3]!.digest, 14, { times: 2 }) // KEY_BUSY twice
  const r = await restore(recs, { batch: false, noGeneration: true })
  t.equal(r.error, null)
  t.equal(r.counters.inserted, 20)
  t.equal(r.counters.retries, 2)
  for (const x of recs) t.equal(cluster.getDigest('test', x.digest)?.generation, 1, 'written exactly once')
  cluster.faults.reset()
})

t.test('dropped connections: requests re-sent, exact counters, no duplicate writes', async (t) => {
  for (const batch of [true, false]) {
    const set = `drop${String(batch)}`
    const recs = Array.from({ length: 60 }, (_, i) => keyed(set, `k${i}`))
    cluster.faults.dropRequests(3)
    const r = await restore(recs, { batch, noGeneration: true, batchSize: '8' })
    cluster.faults.reset()
    t.equal(r.error, null, `${set}: no error`)
    t.equal(r.counters.inserted, 60)
    t.ok(r.counters.retries >= 1, `${set}: retried (${r.counters.retries})`)
    t.equal(cluster.count('test', set), 60)
    t.ok(recs.every((x) => cluster.getDigest('test', x.digest)?.generation === 1), `${set}: no record written twice`)
  }
})

t.test('an interrupt stops reading; writes in flight are answered and counted', async (t) => {
  const recs = Array.from({ length: 300 }, (_, i) => keyed('intr', `k${i}`))
  const ac = new AbortController()
  let n = 0
  async function * gen (): AsyncGenerator<Token> { for (const x of recs) { if (++n === 100) ac.abort(); yield x } }
  const counters = new RestoreCounters()
  const o = validateRestoreOptions({ inputFile: 'mem', batchSize: '16' })
  await t.rejects(runRestore(o, {
    sources: [{ name: 'mem', size: null, open: () => Readable.from([]) }],
    decode: gen,
    writer: createClientWriter(client, { policy: writePolicy(o), timeoutMs: 2000, maxInFlight: 64 }),
    control: info,
    batchWrites: true,
    now: () => NOW_MS,
    log: () => {},
    counters,
    signal: ac.signal
  }), { code: 'ASB_ERR_INTERRUPTED' })
  t.equal(counters.total, 100, 'stopped reading at the interrupt')
  t.equal(counters.accounted(), counters.total)
  t.equal(counters.inserted, cluster.count('test', 'intr'), 'inserted = what the server holds')
  t.equal(counters.inserted, 100, 'records already read were still written')
})

t.test('timeouts are retried on the schedule, then fail with Max retries exceeded', async (t) => {
  const recs = [keyed('slow', 'a')]
  cluster.faults.delay(300)
  const r = await restore(recs, { batch: false, timeout: '100', maxRetries: '2', retryScaleFactor: '1000' })
  cluster.faults.reset()
  t.match(r.error?.message, /Max key-put retries exceeded/)
  t.equal(r.counters.retries, 2)
  t.equal(r.counters.failed, 1)
})

t.test('a node restart during the restore: every record written, counted once', async (t) => {
  const recs = Array.from({ length: 400 }, (_, i) => keyed('restart', `k${i}`))
  let n = 0
  async function * slow (): AsyncGenerator<Token> {
    for (const x of recs) {
      if (++n === 100) await cluster.nodes[1]!.stop()
      if (n === 200) { await cluster.nodes[1]!.start(); await client.refresh() }
      if (n % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 20))
      yield x
    }
  }
  const opts = { batch: true, noGeneration: true, maxRetries: '10', retryScaleFactor: '20000' }
  const counters = new RestoreCounters()
  const o = validateRestoreOptions({ inputFile: 'mem', batchSize: '16', maxRetries: opts.maxRetries, retryScaleFactor: opts.retryScaleFactor, noGeneration: true })
  await runRestore(o, {
    sources: [{ name: 'mem', size: null, open: () => Readable.from([]) }],
    decode: slow,
    writer: createClientWriter(client, { policy: writePolicy(o), timeoutMs: 1000, maxInFlight: 64 }),
    control: info,
    batchWrites: true,
    now: () => NOW_MS,
    log: () => {},
    counters
  })
  t.equal(counters.inserted, 400)
  t.equal(counters.accounted(), counters.total)
  t.equal(cluster.count('test', 'restart'), 400)
  t.ok(recs.every((x) => cluster.getDigest('test', x.digest)?.generation === 1), 'no record written twice')
})
