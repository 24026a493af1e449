// Test-server behaviour over the wire, with our codec as the client:
// partition ownership, scans (order, resume, max-records, filters, markers),
// TTL and write policies, expiry, node stop/start, faults.
import t from 'tap'
import {
  computeDigest, partitionId, encodeKeyField, makeMessage, FieldType, Info1, Info2, Info3, OpType,
  encodePidArray, u64Field, TTL_NEVER_EXPIRE, TTL_DONT_UPDATE, ResultCode, getField, makeBatchMessage, BatchParentFlags, type AsMessage, type Field
} from '../../lib/proto/index.js'
import { startTestCluster, type TestCluster } from '../../lib/server/index.js'
import { Particle, CITRUSLEAF_EPOCH, type Key } from '../../lib/types.js'
import { ReplayConn } from './replay.js'
import { s2LeafCell } from '../../lib/server/geo.js'

const strKey = (s: string): Key => ({ type: Particle.STRING, value: Buffer.from(s) })
let tridSeq = 1n

function keyFields (ns: string, set: string, key: Key, sendKey = true): Field[] {
  const f: Field[] = [
    { type: FieldType.NAMESPACE, data: Buffer.from(ns) },
    { type: FieldType.SET, data: Buffer.from(set) },
    { type: FieldType.DIGEST, data: computeDigest(set, key) }
  ]
  if (sendKey) f.push({ type: FieldType.KEY, data: encodeKeyField(key) })
  return f
}

function intOp (name: string, v: bigint): { op: number, particle: number, name: Buffer, value: Buffer } {
  const b = Buffer.alloc(8); b.writeBigInt64BE(v)
  return { op: OpType.WRITE, particle: Particle.INTEGER, name: Buffer.from(name), value: b }
}

function put (ns: string, set: string, key: Key, v: bigint, opts: Partial<AsMessage> = {}): AsMessage {
  return makeMessage({ info2: Info2.WRITE, fields: keyFields(ns, set, key), ops: [intOp('v', v)], ...opts, ...(opts.info2 !== undefined ? { info2: Info2.WRITE | opts.info2 } : {}) })
}

function get (ns: string, set: string, key: Key): AsMessage {
  return makeMessage({ info1: Info1.READ | Info1.GET_ALL, fields: keyFields(ns, set, key, false) })
}

interface ScanOpts { set?: string, pids?: number[], digests?: Buffer[], max?: number, filter?: Buffer, nobins?: boolean, partitionDone?: boolean, trid?: bigint }
function scan (ns: string, o: ScanOpts = {}): AsMessage {
  const fields: Field[] = [{ type: FieldType.NAMESPACE, data: Buffer.from(ns) }]
  if (o.set !== undefined) fields.push({ type: FieldType.SET, data: Buffer.from(o.set) })
  fields.push(u64Field(FieldType.TRID, o.trid ?? tridSeq++))
  if (o.filter !== undefined) fields.push({ type: FieldType.FILTER_EXP, data: o.filter })
  if (o.pids !== undefined) fields.push({ type: FieldType.PID_ARRAY, data: encodePidArray(o.pids) })
  if (o.digests !== undefined) fields.push({ type: FieldType.DIGEST_ARRAY, data: Buffer.concat(o.digests) })
  if (o.max !== undefined) fields.push(u64Field(FieldType.SAMPLE_MAX, o.max))
  return makeMessage({
    info1: Info1.READ | (o.nobins === true ? Info1.GET_NO_BINS : 0),
    info3: o.partitionDone === false ? 0 : Info3.PARTITION_DONE,
    recordTtl: 0xffffffff,
    fields
  })
}

const records = (msgs: AsMessage[]): AsMessage[] => msgs.filter(m => getField(m, FieldType.DIGEST) !== undefined)
const digestOf = (m: AsMessage): Buffer => getField(m, FieldType.DIGEST)!
const ALL = Array.from({ length: 4096 }, (_, i) => i)

async function withCluster (t: { teardown: (fn: () => unknown) => void }, opts: Parameters<typeof startTestCluster>[0]): Promise<TestCluster> {
  const c = await startTestCluster(opts)
  t.teardown(() => c.close())
  return c
}

t.test('three nodes split the partitions; replicas bitmaps and peers describe it', async t => {
  const c = await withCluster(t, { nodes: 3, namespaces: { test: { 'replication-factor': 2 } } })
  const owned: number[] = []
  for (const n of c.nodes) {
    const conn = await ReplayConn.open(n.port)
    const info = await conn.info(['node', 'replicas', 'peers-clear-std', 'partition-generation'])
    t.equal(info.get('node'), n.id)
    const [head, ...cols] = info.get('replicas')!.split(',')
    t.equal(head, 'test:0')
    t.equal(cols[0], '2', 'n_replicas = replication factor')
    const master = Buffer.from(cols[1]!, 'base64')
    t.equal(master.length, 512)
    let count = 0
    for (let p = 0; p < 4096; p++) if ((master[p >> 3]! & (0x80 >> (p & 7))) !== 0) { count++; owned[p] = (owned[p] ?? 0) + 1 }
    t.ok(count > 1300 && count < 1400, `node ${n.index} masters a third (${count})`)
    const peers = info.get('peers-clear-std')!
    for (const o of c.nodes) {
      if (o === n) t.notMatch(peers, o.id)
      else t.match(peers, `[${o.id},,[127.0.0.1:${o.port}]]`)
    }
    conn.close()
  }
  t.equal(owned.filter(x => x === 1).length, 4096, 'every partition has exactly one master')
})

t.test('each node reports the objects it holds: summed over nodes / replication factor = records', async t => {
  for (const rf of [1, 2]) {
    const c = await withCluster(t, { nodes: 3, namespaces: { test: { 'replication-factor': rf } } })
    for (let i = 0; i < 300; i++) c.put('test', i < 100 ? 'a' : 'b', `k${i}`, { v: 1 })
    let objects = 0
    let masters = 0
    let setA = 0
    for (const n of c.nodes) {
      const conn = await ReplayConn.open(n.port)
      const info = await conn.info(['namespace/test', 'sets/test/a'])
      const kv = new Map(info.get('namespace/test')!.split(';').map(p => p.split('=') as [string, string]))
      const node = Number(kv.get('objects'))
      t.ok(node < 300, `rf ${rf}: node ${n.index} holds a share (${node})`)
      objects += node
      masters += Number(kv.get('master_objects'))
      setA += Number(/objects=(\d+)/.exec(info.get('sets/test/a')!)![1])
      conn.close()
    }
    t.equal(objects, 300 * rf, `rf ${rf}: objects summed over nodes`)
    t.equal(masters, 300, `rf ${rf}: master_objects summed over nodes`)
    t.equal(setA, 100 * rf, `rf ${rf}: set objects summed over nodes`)
    await c.close()
  }
})

t.test('scans: only the master answers, descending digest order, exclusive resume, max-records', async t => {
  const c = await withCluster(t, { nodes: 2 })
  // 8 keys in partition 7, as the probe did
  const keys: Key[] = []
  for (let i = 0; keys.length < 8; i++) {
    const k = strKey(`k${i}`)
    if (partitionId(computeDigest('order', k)) === 7) keys.push(k)
  }
  for (const k of keys) c.put('test', 'order', k, { v: 1 })
  const masterIdx = c.owners[7]![0]!
  const master = await ReplayConn.open(c.nodes[masterIdx]!.port)
  const other = await ReplayConn.open(c.nodes[1 - masterIdx]!.port)

  const all = await master.msg(scan('test', { set: 'order', pids: [7] }))
  const recs = records(all)
  t.equal(recs.length, 8)
  const ds = recs.map(digestOf)
  const sorted = [...ds].sort((a, b) => Buffer.compare(b, a))
  t.same(ds.map(d => d.toString('hex')), sorted.map(d => d.toString('hex')), 'descending digest order')
  t.equal(all[all.length - 1]!.info3 & Info3.LAST, Info3.LAST)
  t.equal(all.filter(m => (m.info3 & Info3.PARTITION_DONE) !== 0).length, 0, 'no marker for a scanned partition')

  const resumed = records(await master.msg(scan('test', { set: 'order', digests: [ds[2]!] })))
  t.same(resumed.map(m => digestOf(m).toString('hex')), ds.slice(3).map(d => d.toString('hex')), 'resume after the 3rd digest gives the last 5')

  const capped = records(await master.msg(scan('test', { set: 'order', pids: [7], max: 3 })))
  t.same(capped.map(m => digestOf(m).toString('hex')), ds.slice(0, 3).map(d => d.toString('hex')))

  const fromOther = await other.msg(scan('test', { set: 'order', pids: [7] }))
  t.equal(records(fromOther).length, 0)
  const marker = fromOther.find(m => (m.info3 & Info3.PARTITION_DONE) !== 0)!
  t.equal(marker.generation, 7, 'marker carries the partition id')
  t.equal(marker.resultCode, ResultCode.PARTITION_UNAVAILABLE)

  const whole = records(await master.msg(scan('test', { set: 'order', pids: ALL })))
  const whole2 = records(await other.msg(scan('test', { set: 'order', pids: ALL })))
  t.equal(whole.length + whole2.length, 8, 'whole-namespace scans over both nodes see each record once')
  t.same([...c.records('test', 'order')].map(r => r.digest.toString('hex')), ds.map(d => d.toString('hex')), 'records() iterates in scan order')
  master.close(); other.close()
})

t.test('scan request errors come back as one message without LAST', async t => {
  const c = await withCluster(t, { nodes: 1 })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const noBit = await conn.msg(scan('test', { pids: [1], partitionDone: false }))
  t.equal(noBit.length, 1); t.equal(noBit[0]!.resultCode, 16); t.equal(noBit[0]!.info3 & Info3.LAST, 0)
  const dup = await conn.msg(scan('test', { pids: [1, 1] }))
  t.equal(dup.length, 1); t.equal(dup[0]!.resultCode, 4)
  await conn.msg(scan('test', { pids: [2], trid: 99n }))
  const reused = await conn.msg(scan('test', { pids: [2], trid: 99n }))
  t.equal(reused[0]!.resultCode, 4, 'a reused TRID is refused')
  const unknownSet = await conn.msg(scan('test', { set: 'nothing', pids: ALL }))
  t.equal(unknownSet.length, 1); t.equal(unknownSet[0]!.info3, Info3.LAST); t.equal(unknownSet[0]!.resultCode, 0)
  const badNs = await conn.msg(scan('nope', { pids: [1] }))
  t.equal(badNs[0]!.resultCode, 20)
  conn.close()
})

t.test('filter expressions: last-update window, set name, bin comparison', async t => {
  const c = await withCluster(t, { nodes: 1 })
  const base = Date.UTC(2026, 0, 1)
  for (let i = 0; i < 10; i++) c.put('test', 'f', `k${i}`, { i: BigInt(i) }, { lutMs: base + i * 1000 })
  c.put('test', 'g', 'other', { i: 100n }, { lutMs: base })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const ns = (ms: number): Buffer => { const b = Buffer.alloc(9); b[0] = 0xcf; b.writeBigUInt64BE(BigInt(ms) * 1_000_000n, 1); return b }
  // and(ge(last_update, base+3s), lt(last_update, base+7s))
  const window = Buffer.concat([Buffer.from([0x93, 0x10, 0x93, 0x04, 0x91, 0x42]), ns(base + 3000), Buffer.from([0x93, 0x05, 0x91, 0x42]), ns(base + 7000)])
  t.equal(records(await conn.msg(scan('test', { set: 'f', pids: ALL, filter: window }))).length, 4)
  // gt(bin_int("i"), 8) exactly as captured in 13_scan_filter_exp
  t.equal(records(await conn.msg(scan('test', { pids: ALL, filter: Buffer.from('9303935102a16908', 'hex') }))).length, 2)
  // eq(set_name(), "g") — string values carry the particle prefix 3
  const setEq = Buffer.from([0x93, 0x01, 0x91, 0x46, 0xa2, 0x03, 0x67])
  t.equal(records(await conn.msg(scan('test', { pids: ALL, filter: setEq }))).length, 1)
  conn.close()
})

t.test('TTL semantics, expiry and FORBIDDEN without nsup', async t => {
  const c = await withCluster(t, { nodes: 1, namespaces: { test: { 'nsup-period': 60, 'default-ttl': 0 }, off: { 'nsup-period': 0 }, offok: { 'nsup-period': 0, 'allow-ttl-without-nsup': true } } })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const now = c.nowVoidTime()
  let r = (await conn.msg(put('test', 's', strKey('a'), 1n, { recordTtl: 100 })))[0]!
  t.equal(r.resultCode, 0); t.ok(Math.abs(r.recordTtl - (now + 100)) <= 1, 'void-time = now + ttl')
  r = (await conn.msg(put('test', 's', strKey('a'), 2n, { recordTtl: TTL_DONT_UPDATE })))[0]!
  t.ok(Math.abs(r.recordTtl - (now + 100)) <= 1, 'DONT_UPDATE keeps the void-time'); t.equal(r.generation, 2)
  r = (await conn.msg(put('test', 's', strKey('a'), 3n, { recordTtl: TTL_NEVER_EXPIRE })))[0]!
  t.equal(r.recordTtl, 0, 'never expire')
  r = (await conn.msg(put('test', 's', strKey('b'), 1n, { recordTtl: 315360001 })))[0]!
  t.equal(r.resultCode, 4, 'over 10 years is a parameter error')
  r = (await conn.msg(put('off', 's', strKey('b'), 1n, { recordTtl: 60 })))[0]!
  t.equal(r.resultCode, 22, 'TTL with nsup-period 0 -> FORBIDDEN')
  r = (await conn.msg(put('off', 's', strKey('b'), 1n, { recordTtl: TTL_NEVER_EXPIRE })))[0]!
  t.equal(r.resultCode, 0, 'never-expire is allowed without nsup')
  r = (await conn.msg(put('offok', 's', strKey('b'), 1n, { recordTtl: 60 })))[0]!
  t.equal(r.resultCode, 0, 'allow-ttl-without-nsup lets it through')

  await conn.msg(put('test', 's', strKey('short'), 1n, { recordTtl: 10 }))
  t.equal((await conn.msg(get('test', 's', strKey('short'))))[0]!.resultCode, 0)
  c.advanceTime(11)
  t.equal((await conn.msg(get('test', 's', strKey('short'))))[0]!.resultCode, 2, 'expired records vanish on read')
  t.equal(records(await conn.msg(scan('test', { set: 's', pids: ALL }))).length, 1, 'and on scan')
  const info = await conn.info(['namespace/off', 'get-config:context=namespace;id=off'])
  t.match(info.get('namespace/off'), /(^|;)nsup-period=0(;|$)/)
  t.match(info.get('namespace/off'), /allow-ttl-without-nsup=false/)
  t.match(info.get('namespace/off'), /storage-engine\.stop-writes-used-pct=70/)
  t.match(info.get('namespace/off'), /storage-engine\.evict-used-pct=0/)
  t.notMatch(info.get('get-config:context=namespace;id=off'), /objects=/)
  t.equal(CITRUSLEAF_EPOCH, 1262304000)
  conn.close()
})

t.test('write policies: generation, exists, stop-writes, failKey fault', async t => {
  const c = await withCluster(t, { nodes: 1, namespaces: { test: {}, full: { 'stop-writes': true } } })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const k = strKey('p')
  t.equal((await conn.msg(put('test', 's', k, 1n, { info3: Info3.UPDATE_ONLY })))[0]!.resultCode, 2)
  t.equal((await conn.msg(put('test', 's', k, 1n, { info3: Info3.REPLACE_ONLY })))[0]!.resultCode, 2)
  t.equal((await conn.msg(put('test', 's', k, 1n, { info2: Info2.CREATE_ONLY })))[0]!.generation, 1)
  const dup = (await conn.msg(put('test', 's', k, 1n, { info2: Info2.CREATE_ONLY })))[0]!
  t.equal(dup.resultCode, 5); t.equal(dup.generation, 1)
  const gfail = (await conn.msg(put('test', 's', k, 1n, { info2: Info2.GENERATION, generation: 7 })))[0]!
  t.equal(gfail.resultCode, 3); t.equal(gfail.generation, 1, 'current generation on failure')
  t.equal((await conn.msg(put('test', 's', k, 1n, { info2: Info2.GENERATION, generation: 1 })))[0]!.generation, 2)
  t.equal((await conn.msg(put('test', 's', k, 1n, { info2: Info2.GENERATION_GT, generation: 2 })))[0]!.resultCode, 3)
  t.equal((await conn.msg(put('test', 's', k, 1n, { info2: Info2.GENERATION_GT, generation: 3 })))[0]!.resultCode, 0)
  t.equal((await conn.msg(put('full', 's', k, 1n)))[0]!.resultCode, 8, 'stop-writes')
  c.setNamespaceConfig('full', 'stop-writes', false)
  t.equal((await conn.msg(put('full', 's', k, 1n)))[0]!.resultCode, 0, 'writes resume')
  t.equal((await conn.info(['set-config:context=namespace;id=full;stop-writes=true'])).get('set-config:context=namespace;id=full;stop-writes=true'), 'ok')
  t.equal((await conn.msg(put('full', 's', k, 1n)))[0]!.resultCode, 8, 'set-config turns it back on')
  c.faults.failKey(computeDigest('s', k), 14, { times: 1 })
  t.equal((await conn.msg(get('test', 's', k)))[0]!.resultCode, 14)
  t.equal((await conn.msg(get('test', 's', k)))[0]!.resultCode, 0, 'the fault was used up')
  const del = makeMessage({ info2: Info2.WRITE | Info2.DELETE, fields: keyFields('test', 's', k, false) })
  t.equal((await conn.msg(del))[0]!.resultCode, 0)
  t.equal((await conn.msg(del))[0]!.resultCode, 2)
  conn.close()
})

t.test('faults: dropped scan connection, unavailable partitions, delays; stop/start rebalances', async t => {
  const c = await withCluster(t, { nodes: 2 })
  for (let i = 0; i < 200; i++) c.put('test', 'd', `k${i}`, { i: BigInt(i) })
  const n0 = c.nodes[0]!
  let conn = await ReplayConn.open(n0.port)
  c.faults.dropConnectionAfter(5, { node: 0 })
  const cut = await conn.msg(scan('test', { set: 'd', pids: ALL }))
  t.equal(records(cut).length, 5); t.ok(conn.closed, 'connection dropped after 5 records')
  t.equal(cut.some(m => (m.info3 & Info3.LAST) !== 0), false)

  conn = await ReplayConn.open(n0.port)
  const mine = ALL.filter(p => c.isMaster(0, p))
  c.faults.markUnavailable('test', mine.slice(0, 3), { node: 0 })
  const res = await conn.msg(scan('test', { set: 'd', pids: mine }))
  t.same(res.filter(m => (m.info3 & Info3.PARTITION_DONE) !== 0).map(m => m.generation), mine.slice(0, 3))
  c.faults.clearUnavailable()

  c.faults.dropRequests(1, { node: 0, kind: 'info' })
  t.same([...(await conn.info(['node'])).keys()], [], 'the info request was answered by closing the connection')
  t.ok(conn.closed)
  conn = await ReplayConn.open(n0.port)
  t.equal((await conn.info(['node'])).get('node'), n0.id, 'only once')

  c.faults.delay(150, { node: 0 })
  const t0 = Date.now()
  await conn.info(['node'])
  t.ok(Date.now() - t0 >= 140, 'delayed answer')
  c.faults.delay(0, { node: 0 })
  conn.close()

  const gen = c.partitionGeneration
  await c.nodes[1]!.stop()
  t.ok(c.partitionGeneration > gen, 'partition-generation moves on node loss')
  t.equal(ALL.filter(p => c.isMaster(0, p)).length, 4096, 'the survivor masters everything')
  conn = await ReplayConn.open(n0.port)
  t.equal(records(await conn.msg(scan('test', { set: 'd', pids: ALL }))).length, 200)
  const peers = (await conn.info(['peers-clear-std'])).get('peers-clear-std')
  t.match(peers, /,\[\]$/, 'no peers left')
  await c.nodes[1]!.start()
  t.ok(ALL.filter(p => c.isMaster(1, p)).length > 2000, 'the restarted node gets its partitions back')
  conn.close()
})

t.test('batch index: per-row results, transaction_ttl = row index, parent filter, abort without REPORT_ALL_ERRORS', async t => {
  const c = await withCluster(t, { nodes: 1 })
  c.put('test', 'b', 'a', { v: 1n })
  c.put('test', 'b', 'z', { v: 9n })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const ns = { type: FieldType.NAMESPACE, data: Buffer.from('test') }
  const set = { type: FieldType.SET, data: Buffer.from('b') }
  const d = (k: string): Buffer => computeDigest('b', strKey(k))
  const rows = [
    { index: 0, digest: d('a'), info1: Info1.READ | Info1.GET_ALL, info2: 0, info3: 0, recordTtl: 0, fields: [ns, set], ops: [] },
    { index: 1, digest: d('missing'), info1: Info1.READ | Info1.GET_ALL, info2: 0, info3: 0, recordTtl: 0, fields: [ns, set], ops: [] },
    { index: 2, digest: d('new'), info1: 0, info2: Info2.WRITE | Info2.RESPOND_ALL_OPS, info3: 0, generation: 0, recordTtl: 0, fields: [ns, set], ops: [intOp('v', 5n)] },
    { index: 3, digest: d('a'), info1: 0, info2: Info2.WRITE | Info2.CREATE_ONLY | Info2.RESPOND_ALL_OPS, info3: 0, generation: 0, recordTtl: 0, fields: [ns, set], ops: [intOp('v', 5n)] },
    { index: 4, digest: d('z'), info1: 0, info2: Info2.WRITE | Info2.DELETE | Info2.RESPOND_ALL_OPS, info3: 0, generation: 0, recordTtl: 0, fields: [ns, set], ops: [] }
  ]
  const res = await conn.msg(makeBatchMessage({ parentFlags: BatchParentFlags.REPORT_ALL_ERRORS | BatchParentFlags.REPORT_ERROR_REC, rows }, 1000))
  const last = res.pop()!
  t.equal(last.info3 & Info3.LAST, Info3.LAST)
  t.same(res.map(m => [m.transactionTtl, m.resultCode]), [[0, 0], [1, 2], [2, 0], [3, 5], [4, 0]])
  t.equal(res[0]!.ops[0]!.value.readBigInt64BE(0), 1n)
  t.equal(res[2]!.ops.length, 1, 'one result op per write op (RESPOND_ALL_OPS)')
  t.equal(c.get('test', 'b', 'z'), undefined, 'the delete row deleted')

  // gt(bin_int("v"), 3) as the parent filter: the read row of "a" (v = 1) is filtered out
  const filter = { type: FieldType.FILTER_EXP, data: Buffer.from('9303935102a17603', 'hex') }
  const f = await conn.msg(makeBatchMessage({ parentFlags: BatchParentFlags.REPORT_ALL_ERRORS, rows: rows.slice(0, 1) }, 1000, [filter]))
  t.equal(f[0]!.resultCode, 27)

  // without REPORT_ALL_ERRORS the first real error ends the batch with its code
  const ab = await conn.msg(makeBatchMessage({ parentFlags: 0, rows: [rows[3]!, rows[0]!] }, 1000))
  t.equal(ab.length, 1)
  t.equal(ab[0]!.resultCode, 5)
  t.equal(ab[0]!.info3 & Info3.LAST, Info3.LAST)
  conn.close()
})

t.test('info: sindex and UDF administration, truncate, unknown commands', async t => {
  const c = await withCluster(t, { nodes: 1 })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const r = await conn.info([
    'sindex-create:namespace=test;set=s;indexname=i1;bin=n;type=numeric',
    'sindex-create:namespace=test;set=s;indexname=i1;bin=n;type=numeric',
    'sindex-create:namespace=test;indexname=i2;bin=l;type=string;indextype=list;context=khAA',
    'sindex-create:namespace=test;set=s;indexname=i3;exp=kwECAA==;type=numeric',
    'sindex-list:ns=test;b64=true',
    'udf-put:filename=m.lua;content=YWJj;content-len=3;udf-type=LUA;',
    'udf-put:filename=m.lua;content=YWJjZA==;content-len=8;udf-type=LUA;',
    'udf-get:filename=m.lua',
    'udf-get:filename=none.lua',
    'sindex-delete:namespace=test;indexname=i1',
    'bogus-cmd',
    'racks:'
  ])
  t.equal(r.get('sindex-create:namespace=test;set=s;indexname=i1;bin=n;type=numeric'), 'ERROR:200:index already exists', 'the later duplicate wins in the map')
  const list = r.get('sindex-list:ns=test;b64=true')!.split(';')
  t.equal(list.length, 3)
  t.equal(list[0], 'ns=test:indexname=i1:set=s:bin=n:type=numeric:indextype=default:context=null:exp=null:state=RW')
  t.equal(list[1], 'ns=test:indexname=i2:set=NULL:bin=l:type=string:indextype=list:context=khAA:exp=null:state=RW')
  t.equal(list[2], 'ns=test:indexname=i3:set=s:bin=null:type=numeric:indextype=default:context=null:exp=kwECAA==:state=RW')
  t.equal(r.get('udf-put:filename=m.lua;content=YWJj;content-len=3;udf-type=LUA;'), 'error=invalid_content_len')
  t.equal(r.get('udf-put:filename=m.lua;content=YWJjZA==;content-len=8;udf-type=LUA;'), 'ok')
  t.equal(r.get('udf-get:filename=m.lua'), 'type=LUA;content=YWJjZA==;')
  t.equal(r.get('udf-get:filename=none.lua'), 'error=not_found')
  t.equal(r.get('sindex-delete:namespace=test;indexname=i1'), 'ok')
  t.equal(r.get('bogus-cmd'), 'ERROR:4:unrecognized command')
  t.equal(r.get('racks:'), 'ERROR:25:enterprise only')

  c.put('test', 's', 'a', { n: 1n })
  c.put('test', 't', 'b', { n: 1n })
  t.equal((await conn.info(['truncate:namespace=test;set=s'])).get('truncate:namespace=test;set=s'), 'ok')
  t.equal(c.count('test', 's'), 0)
  t.equal(c.count('test', 't'), 1)
  c.put('test', 's', 'later', { n: 2n }, { lutMs: c.nowMs() + 5 })
  t.equal(c.count('test', 's'), 1, 'records written after the truncate survive')
  const sets = (await conn.info(['sets/test'])).get('sets/test')!
  t.match(sets, /ns=test:set=s:objects=1:/)
  t.match(sets, /ns=test:set=t:objects=1:/)
  conn.close()
})

t.test('scans: bin selection, nobins, records-per-second', async t => {
  const c = await withCluster(t, { nodes: 1 })
  for (let i = 0; i < 20; i++) c.put('test', 'r', `k${i}`, { a: BigInt(i), b: `s${i}`, c: 1.5 })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const sel = scan('test', { set: 'r', pids: ALL })
  sel.ops = [{ op: OpType.READ, particle: 0, name: Buffer.from('b'), value: Buffer.alloc(0) }, { op: OpType.READ, particle: 0, name: Buffer.from('zz'), value: Buffer.alloc(0) }]
  const selected = records(await conn.msg(sel))
  t.equal(selected.length, 20)
  t.ok(selected.every(m => m.ops.length === 1 && m.ops[0]!.name.toString() === 'b'), 'only the selected, existing bin')
  const nob = records(await conn.msg(scan('test', { set: 'r', pids: ALL, nobins: true })))
  t.ok(nob.every(m => m.ops.length === 0 && (m.info1 & Info1.GET_NO_BINS) !== 0), 'nobins records echo GET_NO_BINS and carry no ops')
  const slow = scan('test', { set: 'r', pids: ALL })
  slow.fields.push({ type: FieldType.RECS_PER_SEC, data: Buffer.from([0, 0, 0, 50]) })
  const t0 = Date.now()
  t.equal(records(await conn.msg(slow)).length, 20)
  t.ok(Date.now() - t0 >= 300, `20 records at 50/s take about 0.4 s (${Date.now() - t0} ms)`)
  conn.close()
})

t.test('GeoJSON: points get their S2 leaf cell like the real server, bad JSON is 160', async t => {
  t.equal(s2LeafCell(-122.5, 37.5).toString(16), '808f72363125a00f', 'the cell captured in 06_get')
  const c = await withCluster(t, { nodes: 1 })
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const geoOp = (text: string): { op: number, particle: number, name: Buffer, value: Buffer } =>
    ({ op: OpType.WRITE, particle: Particle.GEOJSON, name: Buffer.from('g'), value: Buffer.concat([Buffer.alloc(3), Buffer.from(text)]) })
  const w = makeMessage({ info2: Info2.WRITE, fields: keyFields('test', 'geo', strKey('p')), ops: [geoOp('{"type":"Point","coordinates":[-122.5,37.5]}')] })
  t.equal((await conn.msg(w))[0]!.resultCode, 0)
  const r = (await conn.msg(get('test', 'geo', strKey('p'))))[0]!
  t.equal(r.ops[0]!.value.subarray(0, 11).toString('hex'), '000001808f72363125a00f')
  const bad = makeMessage({ info2: Info2.WRITE, fields: keyFields('test', 'geo', strKey('q')), ops: [geoOp('not json')] })
  t.equal((await conn.msg(bad))[0]!.resultCode, 160)
  conn.close()
})
