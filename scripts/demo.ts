// The README demo: start the in-repo test server with sample data of every
// value type, back it up with as-scan, restore it into another namespace with
// as-restore, and check the two namespaces hold the same records.
//
//   node dist/scripts/demo.js        (npm run demo)
//
// The server runs in this process; as-scan and as-restore are the real
// binaries (dist/cmd), connected by a pipe exactly as in a shell.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join, resolve } from 'node:path'
import { Cluster } from '../lib/client/cluster.js'
import { encodeCdt } from '../lib/cdt/msgpack.js'
import type { CdtNode } from '../lib/cdt/msgpack.js'
import { startTestCluster } from '../lib/server/index.js'
import type { StoredRecord, TestCluster } from '../lib/server/index.js'
import { Particle } from '../lib/types.js'
import type { Bin } from '../lib/types.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = (name: string): string => join(ROOT, 'dist', 'cmd', `${name}.js`)

const str = (s: string): CdtNode => ({ t: 'bytes', p: Particle.STRING, v: Buffer.from(s) })
const int = (n: number | bigint): CdtNode => ({ t: 'int', v: BigInt(n) })

/** One record per value type, plus one with everything. */
function samples (): Array<{ key: string, bins: Bin[], ttl: number }> {
  const list: CdtNode = { t: 'list', flags: null, items: [int(1), str('two'), { t: 'double', v: 3.0 }, { t: 'nil' }, { t: 'bool', v: true }] }
  const ordered: CdtNode = { t: 'list', flags: 1, items: [int(1), int(2), int(3)] }
  const map: CdtNode = { t: 'map', flags: null, entries: [[int(1), str('one')], [str('k'), { t: 'list', flags: null, items: [{ t: 'double', v: -0 }] }]] }
  const kmap: CdtNode = { t: 'map', flags: 1, entries: [[int(1), str('a')], [int(2), str('b')], [str('z'), { t: 'bytes', p: Particle.BLOB, v: Buffer.from([0, 1, 2]) }]] }
  const types: Array<[string, Bin]> = [
    ['int', { name: 'i', type: Particle.INTEGER, value: -(2n ** 63n) }],
    ['int-max', { name: 'i', type: Particle.INTEGER, value: 2n ** 63n - 1n }],
    ['double-integral', { name: 'd', type: Particle.DOUBLE, value: 2.0 }],
    ['double-neg-zero', { name: 'd', type: Particle.DOUBLE, value: -0 }],
    ['double-nan', { name: 'd', type: Particle.DOUBLE, value: NaN }],
    ['string', { name: 's', type: Particle.STRING, value: Buffer.from('héllo\nworld\u0000!') }],
    ['blob', { name: 'b', type: Particle.BLOB, value: Buffer.from([0, 255, 10, 32]) }],
    ['blob-java', { name: 'b', type: Particle.JAVA, value: Buffer.from([0xac, 0xed, 0, 5]) }],
    ['bool', { name: 'z', type: Particle.BOOL, value: false }],
    ['geojson', { name: 'g', type: Particle.GEOJSON, value: Buffer.from('{"type":"Point","coordinates":[2.35,48.85]}') }],
    ['hll', { name: 'h', type: Particle.HLL, value: Buffer.from('0a000000000000000000', 'hex') }],
    ['list', { name: 'l', type: Particle.LIST, value: encodeCdt(list) }],
    ['list-ordered', { name: 'l', type: Particle.LIST, value: encodeCdt(ordered) }],
    ['map', { name: 'm', type: Particle.MAP, value: encodeCdt(map) }],
    ['map-key-ordered', { name: 'm', type: Particle.MAP, value: encodeCdt(kmap) }]
  ]
  const out = types.map(([key, b], i) => ({ key, bins: [b], ttl: i % 3 === 0 ? 3600 : -1 }))
  out.push({ key: 'everything', bins: types.map(([, b], i) => ({ ...b, name: `${String(b.name)}${i}` })), ttl: 86400 })
  return out
}

function allRecords (cluster: TestCluster, ns: string): Map<string, StoredRecord> {
  const store = cluster.namespaces.get(ns)!
  const out = new Map<string, StoredRecord>()
  for (let pid = 0; pid < 4096; pid++) for (const r of store.partitionDesc(pid, Date.now())) out.set(r.digest.toString('hex'), r)
  return out
}

/** Same digests, sets, stored keys, bins (particle type and bytes) and void-times (±2 s). */
function compare (a: Map<string, StoredRecord>, b: Map<string, StoredRecord>): string[] {
  const diffs: string[] = []
  if (a.size !== b.size) diffs.push(`${a.size} records vs ${b.size}`)
  for (const [d, r] of a) {
    const s = b.get(d)
    if (s === undefined) { diffs.push(`${d}: missing`); continue }
    const eq = (x: Buffer | null, y: Buffer | null): boolean => (x === null && y === null) || (x !== null && y !== null && x.equals(y))
    if (!eq(r.set, s.set)) diffs.push(`${d}: set`)
    if (!eq(r.key, s.key)) diffs.push(`${d}: key`)
    if (Math.abs(r.voidTime - s.voidTime) > 2 || (r.voidTime === 0) !== (s.voidTime === 0)) diffs.push(`${d}: void-time ${r.voidTime} vs ${s.voidTime}`)
    if (r.bins.size !== s.bins.size) diffs.push(`${d}: bin count`)
    for (const [name, v] of r.bins) {
      const w = s.bins.get(name)
      if (w === undefined || w.particle !== v.particle || !w.value.equals(v.value)) diffs.push(`${d}: bin ${name}`)
    }
  }
  return diffs
}

function pipe (scanArgs: string[], restoreArgs: string[]): Promise<{ scan: number | null, restore: number | null, stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const scan = spawn(process.execPath, [bin('as-scan'), ...scanArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
    const restore = spawn(process.execPath, [bin('as-restore'), ...restoreArgs], { stdio: ['pipe', 'ignore', 'pipe'] })
    scan.stdout.pipe(restore.stdin)
    let stderr = ''
    scan.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    restore.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    let scanCode: number | null = null
    scan.on('error', reject)
    restore.on('error', reject)
    scan.on('close', (code) => { scanCode = code })
    restore.on('close', (code) => { setImmediate(() => resolvePromise({ scan: scanCode, restore: code, stderr })) })
  })
}

async function main (): Promise<number> {
  const cluster = await startTestCluster({ nodes: 2, namespaces: { test: {}, bar: {} } })
  try {
    const recs = samples()
    for (const r of recs) cluster.put('test', 'demo', r.key, r.bins, { ttl: r.ttl })
    cluster.put('test', null, 'no-set', { n: 1 })
    const seeds = cluster.seeds
    // a secondary index and a UDF module travel too
    const admin = await Cluster.connect({ hosts: seeds, tendIntervalMs: 0 })
    const lua = Buffer.from('function hello(rec)\n  return "hi"\nend\n').toString('base64')
    await admin.info(['sindex-create:namespace=test;set=demo;indexname=demo_i;bin=i;type=numeric', `udf-put:filename=demo.lua;content=${lua};content-len=${lua.length};udf-type=LUA;`])
    admin.close()
    const scanArgs = ['-h', seeds, '-n', 'test']
    const restoreArgs = ['-h', seeds, '-n', 'test,bar', '-i', '-']
    process.stdout.write(`test server: 2 nodes at ${seeds}, namespace test holds ${cluster.count('test')} records of every value type\n`)
    process.stdout.write(`pipeline:    as-scan ${scanArgs.join(' ')} | as-restore ${restoreArgs.join(' ')}\n`)
    const r = await pipe(scanArgs, restoreArgs)
    const summary = r.stderr.split('\n').filter((l) => /Expired|record\(s\)|Backed up/.test(l))
    for (const l of summary) process.stdout.write(`  ${l}\n`)
    if (r.scan !== 0 || r.restore !== 0) {
      process.stdout.write(`FAILED: as-scan exit ${String(r.scan)}, as-restore exit ${String(r.restore)}\n${r.stderr}`)
      return 1
    }
    const diffs = compare(allRecords(cluster, 'test'), allRecords(cluster, 'bar'))
    if (diffs.length > 0) {
      process.stdout.write(`FAILED: namespaces differ:\n${diffs.slice(0, 20).join('\n')}\n`)
      return 1
    }
    if (!cluster.sindexes.some((x) => x.ns === 'bar' && x.name === 'demo_i')) {
      process.stdout.write('FAILED: index demo_i was not restored into bar\n')
      return 1
    }
    process.stdout.write(`verified:    test and bar hold the same ${cluster.count('bar')} records (keys, sets, particle types and bytes of every bin, TTLs), and index demo_i exists in bar\n`)
    return 0
  } finally {
    await cluster.close()
  }
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
