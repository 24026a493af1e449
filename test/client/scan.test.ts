import t from 'tap'
import type { Test } from 'tap'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan, type PartitionScan } from '../../lib/client/scan.js'
import { FieldType, getField, decodePidArray, decodeDigestArray, partitionId, Info1 } from '../../lib/proto/index.js'
import type { Record } from '../../lib/types.js'
import { startFakeCluster, seedRecords, type FakeCluster } from './fake-cluster.js'
import { makeRecord } from './util.js'

async function collect (scan: PartitionScan): Promise<Record[]> {
  const out: Record[] = []
  for await (const r of scan) out.push(r as Record)
  return out
}

function hexes (recs: Record[]): string[] {
  return recs.map(r => r.digest.toString('hex')).sort()
}

async function setup (t: Test, nodes: number, count: number, perProto?: number): Promise<{ fake: FakeCluster, cluster: Cluster }> {
  const fake = await startFakeCluster({ nodes, perProto })
  seedRecords(fake, 'demo', count, i => makeRecord('demo', i))
  const cluster = await Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await fake.close() })
  return { fake, cluster }
}

t.test('discovers a 3-node cluster from one seed and routes partitions to their masters', async t => {
  const { fake, cluster } = await setup(t, 3, 0)
  t.equal(cluster.nodes.length, 3)
  t.same(cluster.nodes.map(n => n.name).sort(), fake.nodes.map(n => n.name).sort())
  for (const pid of [0, 1, 2, 3, 4095]) t.equal(cluster.masterFor('test', pid)?.name, fake.nodes[pid % 3].name)
  const all = await cluster.infoAll('build')
  t.same([...all.values()], ['8.1.2.0', '8.1.2.0', '8.1.2.0'])
  t.equal((await cluster.info(['node'], cluster.nodes[1])).get('node'), cluster.nodes[1].name)
})

t.test('scans every partition of a 3-node cluster once, no duplicates', async t => {
  const { fake, cluster } = await setup(t, 3, 600)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 3 })
  const recs = await collect(scan)
  t.equal(recs.length, 600)
  t.equal(new Set(hexes(recs)).size, 600)
  t.same(hexes(recs), [...fake.store.keys()].sort())
  // each node got the partitions it owns, in a request with PARTITION_DONE and unique task ids
  for (const node of fake.nodes) {
    t.equal(node.scans.length, 1)
    const pids = decodePidArray(getField(node.scans[0], FieldType.PID_ARRAY)!)
    t.equal(pids.length, pids.filter(p => p % 3 === node.index).length)
  }
  t.equal(new Set(scan.taskIds).size, scan.taskIds.length)
  t.ok(scan.progress().every(p => p.done))
  const r1 = recs.find(r => r.key !== null)!
  t.equal(r1.set, 'demo')
  t.equal(r1.bins.length, 2)
})

t.test('resumes after a digest (exclusive) and reports progress', async t => {
  const { fake, cluster } = await setup(t, 1, 300)
  const inPid = [...fake.store.values()].filter(r => partitionId(r.digest) === partitionId([...fake.store.values()][0].digest))
    .sort((a, b) => Buffer.compare(b.digest, a.digest))
  const pid = partitionId(inPid[0].digest)
  const first = await collect(createPartitionScan(cluster, { namespace: 'test', set: 'demo', partitions: [pid] }))
  t.same(first.map(r => r.digest.toString('hex')), inPid.map(r => r.digest.toString('hex')), 'descending digest order')
  const after = await collect(createPartitionScan(cluster, { namespace: 'test', set: 'demo', partitions: [{ id: pid, digest: inPid[0].digest }] }))
  t.same(after.map(r => r.digest.toString('hex')), inPid.slice(1).map(r => r.digest.toString('hex')))
  const req = fake.nodes[0].scans[1]
  t.same(decodeDigestArray(getField(req, FieldType.DIGEST_ARRAY)!).map(d => d.toString('hex')), [inPid[0].digest.toString('hex')])
  t.equal(getField(req, FieldType.PID_ARRAY), undefined)
  t.throws(() => createPartitionScan(cluster, { namespace: 'test', partitions: [{ id: (pid + 1) % 4096, digest: inPid[0].digest }] }), /does not belong/)
})

t.test('max-records stops at exactly N and leaves progress to resume from', async t => {
  const { fake, cluster } = await setup(t, 3, 500)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', maxRecords: 120, parallel: 2 })
  const recs = await collect(scan)
  t.equal(recs.length, 120)
  t.equal(getField(fake.nodes[0].scans[0], FieldType.SAMPLE_MAX)?.readBigUInt64BE(0), 120n)
  // resume the rest from the progress: together exactly all records, none twice
  const prog = scan.progress().filter(p => !p.done)
  const rest = await collect(createPartitionScan(cluster, { namespace: 'test', set: 'demo', partitions: prog.map(p => ({ id: p.id, digest: p.digest })) }))
  const all = [...hexes(recs), ...hexes(rest)].sort()
  t.equal(new Set(all).size, all.length, 'no duplicates')
  t.equal(all.length, 500)
})

t.test('bin selection and no-bins', async t => {
  const { fake, cluster } = await setup(t, 1, 20)
  const sel = await collect(createPartitionScan(cluster, { namespace: 'test', set: 'demo', bins: ['s'] }))
  t.ok(sel.every(r => r.bins.length === 1 && r.bins[0].name === 's'))
  t.equal(fake.nodes[0].scans[0].ops.length, 1)
  const nob = await collect(createPartitionScan(cluster, { namespace: 'test', set: 'demo', noBins: true, filterExpression: Buffer.from('9303935102a16908', 'hex'), recordsPerSecond: 1000 }))
  t.equal(nob.length, 20)
  t.ok(nob.every(r => r.bins.length === 0))
  const req = fake.nodes[0].scans[1]
  t.equal(req.info1, Info1.READ | Info1.GET_NO_BINS)
  t.equal(getField(req, FieldType.FILTER_EXP)?.toString('hex'), '9303935102a16908')
  t.equal(getField(req, FieldType.RECS_PER_SEC)?.readUInt32BE(0), 1000)
})

t.test('a connection dropped mid-scan is retried from the last digest: nothing lost, nothing twice', async t => {
  const { fake, cluster } = await setup(t, 3, 900, 10)
  fake.nodes[1].dropAfter = 75
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 3 })
  const retries: unknown[] = []
  scan.on('retry', e => retries.push(e))
  const recs = await collect(scan)
  t.equal(retries.length, 1)
  t.equal(recs.length, 900)
  t.same(hexes(recs), [...fake.store.keys()].sort())
  const second = fake.nodes[1].scans[1]
  t.ok(getField(second, FieldType.DIGEST_ARRAY) !== undefined, 'resumed partitions go in DIGEST_ARRAY')
})

t.test('unavailable partitions are re-routed after a map refresh', async t => {
  const { fake, cluster } = await setup(t, 3, 600)
  // node 2 reports its partitions unavailable; they move to node 0 and the generation changes
  const moved = Array.from({ length: 4096 }, (_, p) => p).filter(p => p % 3 === 2)
  for (const p of moved) fake.nodes[2].unavailable.add(p)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 3 })
  scan.on('retry', () => {
    for (const p of moved) fake.owner[p] = 0
    for (const n of fake.nodes) n.partitionGeneration++
  })
  const recs = await collect(scan)
  t.equal(recs.length, 600)
  t.equal(new Set(hexes(recs)).size, 600)
  const later = fake.nodes[0].scans.slice(1).flatMap(m => decodePidArray(getField(m, FieldType.PID_ARRAY)!))
  t.same(later.sort((a, b) => a - b), moved, 'node 0 scanned the moved partitions')
  t.equal(cluster.masterFor('test', 2)?.name, fake.nodes[0].name)
})

t.test('gives up after max-retries with the partitions still unavailable', async t => {
  const { fake, cluster } = await setup(t, 1, 10)
  fake.nodes[0].unavailable.add(5)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', maxRetries: 2, partitions: [5, 6] })
  await t.rejects(collect(scan), /gave up after 3 attempts with 1 partitions left/)
  t.equal(fake.nodes[0].scans.length, 3)
  t.same(scan.progress().map(p => p.done), [false, true])
})

t.test('a slow consumer pauses the socket: memory stays bounded', async t => {
  const { fake, cluster } = await setup(t, 1, 10000, 20)
  for (const r of fake.store.values()) r.ops[1].value = Buffer.alloc(3000, 0x61)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', highWaterMark: 64 })
  let seen = 0
  let maxAhead = 0
  let midStall = 0
  await pipeline(scan, new Writable({
    objectMode: true,
    highWaterMark: 1,
    write (_rec, _enc, cb) {
      seen++
      if (seen === 200) {
        // stall: the server must stop being able to write well before the whole set is sent
        setTimeout(() => { midStall = fake.nodes[0].scanBytes }, 200)
        setTimeout(() => {
          maxAhead = fake.nodes[0].scanBytes
          cb()
        }, 400)
        return
      }
      cb()
    }
  }))
  t.equal(seen, 10000)
  const total = fake.nodes[0].scanBytes
  t.equal(midStall, maxAhead, 'the server was blocked (TCP flow control) during the stall')
  t.ok(maxAhead < total / 2, `server had sent ${maxAhead} of ${total} bytes while the consumer stalled`)
})

t.test('destroying the scan closes its connections', async t => {
  const { fake, cluster } = await setup(t, 1, 5000, 10)
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', highWaterMark: 4 })
  let n = 0
  for await (const _ of scan) { if (++n === 10) break }
  await new Promise(resolve => setTimeout(resolve, 50))
  t.equal(fake.nodes[0].sockets.size <= 1, true, 'only the pooled info connection may stay')
})
