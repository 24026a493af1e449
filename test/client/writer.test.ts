import t from 'tap'
import type { Test } from 'tap'
import { Cluster } from '../../lib/client/cluster.js'
import { createWriter, type WriterOptions } from '../../lib/client/writer.js'
import { createPartitionScan } from '../../lib/client/scan.js'
import { computeDigest } from '../../lib/proto/index.js'
import { Particle, type Record } from '../../lib/types.js'
import { startFakeCluster, type FakeCluster } from './fake-cluster.js'
import { strKey } from './util.js'

async function setup (t: Test, nodes = 3): Promise<{ fake: FakeCluster, cluster: Cluster }> {
  const fake = await startFakeCluster({ nodes })
  const cluster = await Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await fake.close() })
  return { fake, cluster }
}

function rec (k: string, generation = 1, bins: Record['bins'] = [{ name: 'b', type: Particle.STRING, value: Buffer.from(k) }]): Record {
  const key = strKey(k)
  return { kind: 'record', namespace: 'test', set: 'w', key, digest: computeDigest('w', key), generation, voidTime: 0, bins }
}

t.test('every exists policy sets its bits and yields the server result', async t => {
  const { fake, cluster } = await setup(t)
  const cases: Array<[WriterOptions['exists'], boolean, number]> = [
    ['update-only', false, 2],
    ['replace-only', false, 2],
    ['create-only', false, 0],
    ['create-only', true, 5],
    ['update', true, 0],
    ['update-only', true, 0],
    ['replace-only', true, 0],
    ['create-or-replace', true, 0]
  ]
  let i = 0
  for (const [exists, pre, code] of cases) {
    const r = rec(`e${i++}`)
    if (pre) t.equal((await createWriter(cluster).put(r)).resultCode, 0)
    const res = await createWriter(cluster, { exists }).put(r)
    t.equal(res.resultCode, code, `${exists} on ${pre ? 'existing' : 'missing'} record`)
    t.equal(res.retryable, false)
  }
  t.equal(fake.store.get(rec('e7').digest.toString('hex'))?.generation, 2)
})

t.test('generation policies compare the record generation', async t => {
  const { fake, cluster } = await setup(t, 1)
  const w = createWriter(cluster)
  await w.put(rec('g'))
  await w.put(rec('g')) // server generation 2
  const gt = createWriter(cluster, { generation: 'gt' })
  const eq = createWriter(cluster, { generation: 'equal' })
  const fresher = await gt.put(rec('g', 2))
  t.equal(fresher.resultCode, 3)
  t.equal(fresher.generation, 2, 'failed check reports the current generation')
  t.equal((await gt.put(rec('g', 5))).resultCode, 0)
  t.equal((await eq.put(rec('g', 1))).resultCode, 3)
  t.equal((await eq.put(rec('g', 3))).resultCode, 0)
  t.equal((await createWriter(cluster, { generation: 'ignore' }).put(rec('g', 0))).resultCode, 0)
  t.equal(fake.store.get(rec('g').digest.toString('hex'))?.generation, 5)
})

t.test('TTL encodings, key sent or digest only, deletes', async t => {
  const { fake, cluster } = await setup(t, 1)
  const w = createWriter(cluster)
  const d = createWriter(cluster, { sendKey: false })
  const r1 = await w.put(rec('t1'), 3600)
  t.ok(r1.voidTime > 0)
  t.equal((await w.put(rec('t2'), -1)).voidTime, 0)
  const before = (await w.put(rec('t3'), 100)).voidTime
  t.equal((await w.put(rec('t3'), -2)).voidTime, before, 'keep TTL')
  await d.put(rec('t4'))
  t.equal(fake.store.get(rec('t1').digest.toString('hex'))?.key?.subarray(1).toString(), 't1')
  t.equal(fake.store.get(rec('t4').digest.toString('hex'))?.key, null)
  t.equal((await w.delete({ namespace: 'test', set: 'w', digest: rec('t4').digest })).resultCode, 0)
  t.equal((await w.delete({ namespace: 'test', set: 'w', digest: rec('t4').digest })).resultCode, 2)
  const bad = await w.put(rec('t5'), -7)
  t.equal(bad.resultCode, -1, 'a bad TTL is a client error')
  t.match(bad.error?.message, /bad TTL/)
})

t.test('concurrent puts are bounded by maxInFlight and all land', async t => {
  const { fake, cluster } = await setup(t)
  const w = createWriter(cluster, { maxInFlight: 4 })
  let peak = 0
  const all = Array.from({ length: 200 }, (_, i) => {
    const p = w.put(rec(`c${i}`))
    peak = Math.max(peak, w.inFlight)
    return p
  })
  const res = await Promise.all(all)
  await w.idle()
  t.ok(peak <= 4)
  t.ok(res.every(r => r.resultCode === 0))
  t.equal(fake.store.size, 200)
})

t.test('values written by the writer are scanned back byte for byte', async t => {
  const { cluster } = await setup(t)
  const bins: Record['bins'] = [
    { name: 'int', type: Particle.INTEGER, value: -(2n ** 63n) },
    { name: 'dbl', type: Particle.DOUBLE, value: 2 },
    { name: 'str', type: Particle.STRING, value: Buffer.from('ä\n') },
    { name: 'geo', type: Particle.GEOJSON, value: Buffer.from('{"type":"Point","coordinates":[1,2]}') },
    { name: 'map', type: Particle.MAP, value: Buffer.from('82c70001c0a2036101', 'hex') },
    { name: 'py', type: Particle.PYTHON, value: Buffer.from([1, 2]) },
    { name: 'bool', type: Particle.BOOL, value: true }
  ]
  const r = rec('types', 1, bins)
  t.equal((await createWriter(cluster).put(r)).resultCode, 0)
  const got: Record[] = []
  for await (const x of createPartitionScan(cluster, { namespace: 'test', set: 'w' })) got.push(x as Record)
  t.equal(got.length, 1)
  t.same(got[0].bins, bins)
  t.same(got[0].key, r.key)
})

t.test('batch writes return one result per record, in order', async t => {
  const { fake, cluster } = await setup(t)
  await createWriter(cluster).put(rec('b1'))
  const w = createWriter(cluster, { exists: 'create-only' })
  const items = Array.from({ length: 30 }, (_, i) => ({ record: rec(`b${i}`), ttl: i === 2 ? 600 : 0 }))
  const res = await w.batchWrite(items)
  t.equal(res.length, 30)
  t.same(res.map(r => r.resultCode), items.map((_, i) => i === 1 ? 5 : 0))
  t.ok(res[2].voidTime > 0)
  t.equal(fake.store.size, 30)
  const gen = createWriter(cluster, { generation: 'gt' })
  const again = await gen.batchWrite([{ record: rec('b3', 1) }, { record: rec('b4', 9) }])
  t.same(again.map(r => r.resultCode), [3, 0])
})

t.test('a write to an unreachable node is a retryable client result', async t => {
  const { fake, cluster } = await setup(t, 1)
  await fake.close()
  const res = await createWriter(cluster).put(rec('x'))
  t.equal(res.resultCode, -8)
  t.equal(res.retryable, true)
  const b = await createWriter(cluster).batchWrite([{ record: rec('y') }])
  t.equal(b[0].resultCode, -8)
})
