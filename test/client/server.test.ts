// The client against the in-repo test server (lib/server): a real 8.x-like
// cluster with rebalancing, faults, security, and the official client as the
// independent reference.
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../helpers.js'
import { startTestCluster, type TestCluster } from '../../lib/server/index.js'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan } from '../../lib/client/scan.js'
import { createWriter } from '../../lib/client/writer.js'
import { computeDigest } from '../../lib/proto/index.js'
import { Particle, type Record } from '../../lib/types.js'
import { strKey } from './util.js'

async function scanAll (cluster: Cluster, opts: Partial<Parameters<typeof createPartitionScan>[1]> = {}): Promise<Record[]> {
  const out: Record[] = []
  for await (const r of createPartitionScan(cluster, { namespace: 'test', ...opts })) out.push(r as Record)
  return out
}

function fill (server: TestCluster, set: string, n: number): void {
  for (let i = 0; i < n; i++) server.put('test', set, `k${i}`, { i, s: `v${i}` })
}

function unique (recs: Record[]): number {
  return new Set(recs.map(r => r.digest.toString('hex'))).size
}

function driver (seeds: string, mode: string): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'test', 'client', 'official-xcheck-driver.js'), seeds, mode], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', code => {
      if (code !== 0) reject(new Error(`driver exited ${code}: ${err}`))
      else resolve(out.split('\n').filter(l => l !== '').map(l => JSON.parse(l)))
    })
  })
}

t.test('3-node test cluster: discovery, routing, full scan without duplicates', async t => {
  const server = await startTestCluster({ nodes: 3 })
  fill(server, 'demo', 3000)
  const cluster = await Cluster.connect({ hosts: server.seeds.split(',')[0], tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  t.equal(cluster.nodes.length, 3)
  for (const pid of [0, 1, 2, 1000]) t.equal(cluster.masterFor('test', pid)?.name, server.nodes[pid % 3].id)
  const recs = await scanAll(cluster, { set: 'demo', parallel: 4 })
  t.equal(recs.length, 3000)
  t.equal(unique(recs), 3000)
  t.ok(recs.every(r => r.bins.length === 2 && r.key !== null))
})

t.test('dropped connections and unavailable partitions: nothing lost, nothing twice', async t => {
  const server = await startTestCluster({ nodes: 3, scanFlushBytes: 4096 })
  fill(server, 'demo', 3000)
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  server.faults.dropConnectionAfter(300, { node: 1, times: 2 })
  server.faults.markUnavailable('test', [5, 8, 11], { node: 2 })
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 3 })
  let retries = 0
  scan.on('retry', () => { retries++; if (retries === 2) server.faults.clearUnavailable() })
  const recs: Record[] = []
  for await (const r of scan) recs.push(r as Record)
  t.ok(retries >= 2)
  t.equal(recs.length, 3000)
  t.equal(unique(recs), 3000)
})

t.test('a node stopped mid-scan: its partitions move and the scan completes exactly', async t => {
  const server = await startTestCluster({ nodes: 3, scanFlushBytes: 2048 })
  fill(server, 'demo', 3000)
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  server.faults.delay(10, { node: 2 }) // node 2 streams slowly: still busy when it stops
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 3, highWaterMark: 16, retryDelayMs: 20 })
  let retried = 0
  scan.on('retry', () => { retried++ })
  const recs: Record[] = []
  let stopped = false
  for await (const r of scan) {
    recs.push(r as Record)
    if (recs.length === 500 && !stopped) {
      stopped = true
      await server.nodes[2].stop()
      server.faults.reset()
    }
  }
  t.equal(recs.length, 3000)
  t.equal(unique(recs), 3000)
  t.ok(retried >= 1, 'the stopped node\'s partitions were retried')
  await cluster.refresh()
  t.equal(cluster.nodes.length, 2, 'the stopped node left the node list')
  t.equal(cluster.masterFor('test', 2)?.name, server.nodes[0].id, 'its partitions moved')
})

t.test('resume from saved progress after an interrupted scan', async t => {
  const server = await startTestCluster({ nodes: 2 })
  fill(server, 'demo', 1000)
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'demo', highWaterMark: 8 })
  const first: Record[] = []
  for await (const r of scan) { first.push(r as Record); if (first.length === 400) break }
  const saved = scan.progress().filter(p => !p.done).map(p => ({ id: p.id, digest: p.digest }))
  const rest = await scanAll(cluster, { set: 'demo', partitions: saved })
  t.equal(first.length + rest.length, 1000)
  t.equal(unique([...first, ...rest]), 1000)
})

t.test('writer against the test server: policies, TTL forbidden without nsup, batch', async t => {
  const server = await startTestCluster({ nodes: 2, namespaces: { test: {}, nonsup: { 'nsup-period': 0, 'allow-ttl-without-nsup': false } } })
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  const rec = (ns: string, k: string, generation = 1): Record => {
    const key = strKey(k)
    return { kind: 'record', namespace: ns, set: 's', key, digest: computeDigest('s', key), generation, voidTime: 0, bins: [{ name: 'b', type: Particle.INTEGER, value: 1n }] }
  }
  const w = createWriter(cluster)
  t.equal((await w.put(rec('test', 'a'), 100)).resultCode, 0)
  t.equal((await createWriter(cluster, { exists: 'create-only' }).put(rec('test', 'a'))).resultCode, 5)
  t.equal((await createWriter(cluster, { generation: 'gt' }).put(rec('test', 'a', 1))).resultCode, 3)
  t.equal((await createWriter(cluster, { exists: 'update-only' }).put(rec('test', 'zz'))).resultCode, 2)
  t.equal((await w.put(rec('nonsup', 'a'), 100)).resultCode, 22)
  t.equal((await w.put(rec('nonsup', 'a'), -1)).resultCode, 0)
  server.faults.failKey(rec('test', 'busy').digest, 14, { times: 1 })
  const busy = await w.put(rec('test', 'busy'))
  t.equal(busy.resultCode, 14)
  t.equal(busy.retryable, true)
  const res = await createWriter(cluster, { exists: 'create-only' }).batchWrite(
    ['a', 'b', 'c', 'd'].map(k => ({ record: rec('test', k), ttl: -1 })))
  t.same(res.map(r => r.resultCode), [5, 0, 0, 0])
  t.equal(server.count('test', 's'), 4, 'a, b, c, d (busy and zz failed)')
  t.equal((await w.delete({ namespace: 'test', set: 's', digest: rec('test', 'b').digest })).resultCode, 0)
})

t.test('login against a security-enabled test server', async t => {
  const server = await startTestCluster({ nodes: 2, security: { users: { admin: 'secret' } } })
  fill(server, 'demo', 50)
  t.teardown(() => server.close())
  await t.rejects(Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 }), /cannot connect|closed/, 'no login, no service')
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0, auth: { user: 'admin', password: 'secret' } })
  t.teardown(() => cluster.close())
  t.equal((await scanAll(cluster, { set: 'demo', parallel: 4 })).length, 50)
  server.expireSessions()
  t.equal((await scanAll(cluster, { set: 'demo', parallel: 8 })).length, 50, 're-login after the session expired')
})

t.test('cross-check with the official client', async t => {
  const server = await startTestCluster({ nodes: 1 })
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })

  // official client writes, our scanner reads back every type exactly
  await driver(server.seeds, 'write')
  const [r] = await scanAll(cluster, { set: 'xo' })
  const bins = new Map(r.bins.map(b => [b.name, b]))
  t.same(bins.get('i'), { name: 'i', type: Particle.INTEGER, value: 7n })
  t.same(bins.get('imin'), { name: 'imin', type: Particle.INTEGER, value: -(2n ** 63n) })
  t.same(bins.get('d2'), { name: 'd2', type: Particle.DOUBLE, value: 2 }, 'an integral double stays a double')
  t.same(bins.get('dfrac'), { name: 'dfrac', type: Particle.DOUBLE, value: -0.125 })
  t.same(bins.get('s'), { name: 's', type: Particle.STRING, value: Buffer.from('héllo\nwörld') })
  t.same(bins.get('blob'), { name: 'blob', type: Particle.BLOB, value: Buffer.from([0, 1, 255]) })
  t.same(bins.get('geo')?.type, Particle.GEOJSON, 'GeoJSON stays GeoJSON')
  t.same(JSON.parse(bins.get('geo')!.value!.toString()), { type: 'Point', coordinates: [-122.5, 37.5] })
  t.same(bins.get('l'), { name: 'l', type: Particle.LIST, value: Buffer.from('9401a20361cb4008000000000000a3047879', 'hex') })
  t.same(bins.get('mint'), { name: 'mint', type: Particle.MAP, value: Buffer.from('83c70001c001a4036f6e6502a40374776f', 'hex') }, 'integer map keys and K_ORDERED kept')
  t.same(r.key, strKey('typed'))
  t.ok(r.voidTime > server.nowVoidTime())

  // our writer writes, the official client reads back what it can represent losslessly
  const w = createWriter(cluster)
  const vals: Record['bins'][] = [
    [{ name: 'i', type: Particle.INTEGER, value: -42n }, { name: 's', type: Particle.STRING, value: Buffer.from('ä') }],
    [{ name: 'd', type: Particle.DOUBLE, value: 1.5 }, { name: 'b', type: Particle.BLOB, value: Buffer.from([9, 8]) }],
    [{ name: 'l', type: Particle.LIST, value: Buffer.from('9201a20361', 'hex') }, { name: 't', type: Particle.BOOL, value: true }]
  ]
  for (let i = 0; i < 3; i++) {
    const key = strKey(`r${i}`)
    const res = await w.put({ kind: 'record', namespace: 'test', set: 'xw', key, digest: computeDigest('xw', key), generation: 0, voidTime: 0, bins: vals[i] }, -1)
    t.equal(res.resultCode, 0)
  }
  const read = await driver(server.seeds, 'read')
  t.same(read.map(x => x.bins), [
    { i: -42, s: 'ä' },
    { d: 1.5, b: { buffer: '0908' } },
    { l: [1, 'a'], t: true }
  ])
})

t.test('services-alternate, cluster name check', async t => {
  const server = await startTestCluster({ nodes: 3, clusterName: 'prod' })
  t.teardown(() => server.close())
  const alt = await Cluster.connect({ hosts: server.seeds.split(',')[0], tendIntervalMs: 0, servicesAlternate: true, clusterName: 'prod' })
  t.equal(alt.nodes.length, 3, 'peers-clear-alt discovered every node')
  alt.close()
  await t.rejects(Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0, clusterName: 'other' }), /belongs to cluster 'prod', expected 'other'/)
})

t.test('TLS with a client certificate, encrypted key and PKI login', async t => {
  const { execFileSync } = await import('node:child_process')
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const dir = mkdtempSync(join(tmpdir(), 'asb-pki-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const f = (n: string): string => join(dir, n)
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }) }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=test-ca')
  for (const [name, cn, san] of [['server', 'localhost', 'subjectAltName=DNS:localhost'], ['client', 'admin', 'subjectAltName=DNS:admin']]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`, '-addext', san)
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-copy_extensions', 'copy')
  }
  ssl('pkey', '-in', f('client.key'), '-out', f('client-enc.key'), '-aes256', '-passout', 'pass:kpw')
  const server = await startTestCluster({
    nodes: 2,
    tls: { key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, name: 'localhost' },
    security: { users: { admin: 'unused' } }
  })
  server.put('test', 'demo', 'k', { a: 1 })
  t.teardown(() => server.close())
  const seed = server.seeds.split(',')[0].replace(':', ':localhost:')
  const cluster = await Cluster.connect({
    hosts: seed,
    tendIntervalMs: 0,
    tls: { enable: true, cafile: f('ca.pem'), certfile: f('client.pem'), keyfile: f('client-enc.key'), keyfilePassword: 'kpw' },
    auth: { mode: 'PKI' }
  })
  t.teardown(() => cluster.close())
  t.equal(cluster.nodes.length, 2)
  t.equal((await scanAll(cluster, { set: 'demo' })).length, 1)
})

t.test('a stopped node that comes back is found again through its peers', async t => {
  const server = await startTestCluster({ nodes: 3 })
  fill(server, 'demo', 300)
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  await server.nodes[1].stop()
  await cluster.refresh()
  t.equal(cluster.nodes.length, 2)
  t.equal((await scanAll(cluster, { set: 'demo' })).length, 300, 'the two live nodes serve every partition')
  await server.nodes[1].start()
  await cluster.refresh()
  await cluster.refresh()
  t.equal(cluster.nodes.length, 3)
  t.equal(cluster.masterFor('test', 1)?.name, server.nodes[1].id)
  t.equal((await scanAll(cluster, { set: 'demo', parallel: 3 })).length, 300)
})

t.test('socket timeout: a silent node is retried, then the scan gives up', async t => {
  const server = await startTestCluster({ nodes: 1 })
  fill(server, 'demo', 100)
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  server.faults.delay(400)
  await t.rejects(scanAll(cluster, { set: 'demo', socketTimeoutMs: 100, maxRetries: 1 }), /gave up after 2 attempts.*no answer from .* within 100 ms/)
  const recovering = createPartitionScan(cluster, { namespace: 'test', set: 'demo', socketTimeoutMs: 100, maxRetries: 2 })
  recovering.on('retry', () => { server.faults.reset() })
  const recs: Record[] = []
  for await (const r of recovering) recs.push(r as Record)
  t.equal(recs.length, 100)
})

t.test('a slow consumer throttles the test server through TCP flow control', async t => {
  const server = await startTestCluster({ nodes: 1, scanFlushBytes: 64 * 1024 })
  const big = Buffer.alloc(2000, 0x62)
  for (let i = 0; i < 20000; i++) server.put('test', 'big', `k${i}`, { b: big })
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  t.teardown(async () => { cluster.close(); await server.close() })
  const scan = createPartitionScan(cluster, { namespace: 'test', set: 'big', highWaterMark: 16 })
  let n = 0
  let during = 0
  let after = 0
  for await (const _ of scan) {
    if (++n === 100) {
      await new Promise(resolve => setTimeout(resolve, 250))
      during = server.nodes[0].stats.scanRecords
      await new Promise(resolve => setTimeout(resolve, 250))
      after = server.nodes[0].stats.scanRecords
    }
  }
  t.equal(n, 20000)
  t.equal(during, after, 'the server sent nothing more while the consumer stalled')
  t.ok(after < 20000 / 2, `${after} of 20000 records were sent before the server blocked`)
})
