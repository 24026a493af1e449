// The official `aerospike` client (6.7.1) against the test server: connect,
// put every value type, get, scan, query, batch write, UDF register, index
// create. The client runs in a child process (it connects synchronously).
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../helpers.js'
import { startTestCluster } from '../../lib/server/index.js'
import { Particle } from '../../lib/types.js'
import { decodeRecordMessage, encodeMessage, encodePidArray, FieldType, Info1, Info3, makeMessage, u64Field } from '../../lib/proto/index.js'
import { ReplayConn } from './replay.js'

interface Step { step: string, ok: boolean, value?: any, error?: string, code?: number }

function runDriver (seeds: string): Promise<Map<string, Step>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'test', 'server', 'official-driver.js'), seeds], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', code => {
      if (code !== 0) { reject(new Error(`driver exited ${code}: ${err}`)); return }
      const m = new Map<string, Step>()
      for (const line of out.split('\n')) if (line !== '') { const s = JSON.parse(line) as Step; m.set(s.step, s) }
      resolve(m)
    })
  })
}

t.test('official client smoke suite against a 2-node test cluster', async t => {
  const cluster = await startTestCluster({ nodes: 2 })
  t.teardown(() => cluster.close())
  const steps = await runDriver(cluster.seeds)
  const ok = (name: string): any => {
    const s = steps.get(name)
    t.ok(s?.ok, `${name} succeeded${s?.error !== undefined ? ': ' + s.error : ''}`)
    return s?.value
  }
  const code = (name: string): number | undefined => steps.get(name)?.code

  ok('put-all-types')
  ok('put-int-key')
  ok('put-bytes-key')
  const got = ok('get')
  t.equal(got.gen, 1)
  t.same(got.bins.imax, { bigint: '9223372036854775807' })
  t.same(got.bins.blob, { buffer: '0001ff' })
  t.equal(got.bins.s, 'héllo\nwörld')
  t.equal(code('get-missing'), 2)
  t.equal(ok('exists'), true)
  t.same(ok('select'), { i: 7, s: 'héllo\nwörld' })
  t.equal(code('create-only-fails'), 5)
  t.equal(code('gen-eq-fails'), 3)
  t.equal(code('update-only-missing'), 2)
  t.equal(code('remove-missing'), 2)
  t.equal(ok('scan'), 23, 'scan returns every record of the set across both nodes')
  t.equal(ok('query-all'), 23)
  const half = ok('scan-partitions')
  t.ok(half > 0 && half < 23, `partitions 0..2047 hold part of the set (${half})`)
  t.same(ok('batch-write'), [0, 5, 2, 0], 'per-record results: write ok, create-only exists, remove missing, read ok')
  t.same(ok('batch-read'), [0, 2])
  ok('udf-register')
  t.match(ok('udf-list'), /filename=smoke_udf\.lua,hash=[0-9a-f]{40},type=LUA;/)
  ok('index-create')
  t.match(ok('sindex-list'), /indexname=smoke_n:set=smoke:bin=n:type=numeric:indextype=default/)
  t.same(ok('query-range'), [3, 4, 5, 6, 7])
  t.match(ok('info-namespaces'), /test/)
  ok('truncate')
  t.equal(cluster.count('test', 'smoke'), 0, 'truncate removed the set')

  // what the server stored keeps every particle type (the lossless side of the story)
  const both = cluster.nodes.reduce((n, x) => n + x.stats.scans, 0)
  t.ok(both >= 4, 'scans went to both nodes')
  t.ok(cluster.nodes.every(n => n.stats.scans > 0), 'each node served scans')
})

t.test('typed values written through the official client keep their particle types', async t => {
  const cluster = await startTestCluster({ nodes: 1 })
  t.teardown(() => cluster.close())
  // a tiny inline driver: put only
  const code = `
    import Aerospike from 'aerospike'
    const [addr, port] = process.argv[1].split(':')
    const c = await Aerospike.connect({ hosts: [{ addr, port: Number(port) }], log: { level: Aerospike.log.OFF }, policies: { write: { totalTimeout: 20000, socketTimeout: 20000 } } })
    await c.put(new Aerospike.Key('test', 'typed', 'k'), { d: new Aerospike.Double(2), g: new Aerospike.GeoJSON({ type: 'Point', coordinates: [1, 2] }), m: new Map([[1, 'one']]), l: [1], b: Buffer.from('x'), t: true, i: 5 })
    await c.close()`
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, cluster.seeds], { cwd: ROOT, stdio: 'inherit', timeout: 60_000 })
    child.on('close', c => c === 0 ? resolve() : reject(new Error(`exit ${c}`)))
  })
  const rec = cluster.get('test', 'typed', 'k')
  t.ok(rec)
  const type = (n: string): number | undefined => rec!.bins.get(n)?.particle
  t.equal(type('d'), Particle.DOUBLE)
  t.equal(rec!.bins.get('d')!.value.readDoubleBE(0), 2)
  t.equal(type('g'), Particle.GEOJSON)
  t.equal(type('m'), Particle.MAP)
  t.equal(rec!.bins.get('m')!.value.toString('hex'), '82c70001c001a4036f6e65', 'a JS Map goes out as a K_ORDERED msgpack map with an int key')
  t.equal(type('l'), Particle.LIST)
  t.equal(type('b'), Particle.BLOB)
  t.equal(type('t'), Particle.BOOL)
  t.equal(type('i'), Particle.INTEGER)
  t.equal(rec!.key?.toString('hex'), undefined, 'no stored key without sendKey')

  // and our codec reads them back exactly through a partition scan
  const conn = await ReplayConn.open(cluster.nodes[0]!.port)
  const answer = await conn.send(encodeMessage(makeMessage({
    info1: Info1.READ, info3: Info3.PARTITION_DONE, recordTtl: 0xffffffff,
    fields: [
      { type: FieldType.NAMESPACE, data: Buffer.from('test') }, { type: FieldType.SET, data: Buffer.from('typed') },
      u64Field(FieldType.TRID, 42n), { type: FieldType.PID_ARRAY, data: encodePidArray(Array.from({ length: 4096 }, (_, i) => i)) }
    ]
  })), true)
  conn.close()
  const scanned = answer.flatMap(p => {
    const out = []
    for (let off = 0; off < p.body.length;) { const it = decodeRecordMessage(p.body, off); if (it.record !== null) out.push(it.record); off = it.end }
    return out
  })
  t.equal(scanned.length, 1)
  const bins = new Map(scanned[0]!.bins.map(b => [b.name, b]))
  t.same(bins.get('d'), { name: 'd', type: Particle.DOUBLE, value: 2 }, 'Double(2) stays a double')
  t.same(bins.get('i'), { name: 'i', type: Particle.INTEGER, value: 5n })
  t.equal(bins.get('g')!.type, Particle.GEOJSON)
  t.same(JSON.parse((bins.get('g')!.value as Buffer).toString()), { type: 'Point', coordinates: [1, 2] })
  t.equal(bins.get('m')!.type, Particle.MAP)
  t.equal((bins.get('m')!.value as Buffer).toString('hex'), '82c70001c001a4036f6e65', 'map with its int key, raw msgpack')
  t.same(bins.get('t'), { name: 't', type: Particle.BOOL, value: true })
})
