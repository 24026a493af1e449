// as-ttl-audit against the test server: crafted TTLs, sets and namespace
// configurations (nsup off, allow-ttl-without-nsup false, default-ttl with
// nsup off, eviction thresholds, per-set disable-eviction and
// stop-writes-count), node disagreement, and the pre-8 config names.
import t from 'tap'
import { startTestCluster, type TestCluster } from '../../lib/server/index.js'
import { Cluster } from '../../lib/client/cluster.js'
import { CITRUSLEAF_EPOCH } from '../../lib/types.js'
import { scanDistribution } from '../../lib/ttl-audit/audit.js'
import { readNamespaceConfig } from '../../lib/ttl-audit/config.js'
import { audit, failed, RestoreCounter, type Finding } from '../../lib/ttl-audit/findings.js'
import { runBin } from '../helpers.js'

const T = Date.UTC(2026, 10, 21, 0, 0, 0)
const NOW = Math.floor(T / 1000) - CITRUSLEAF_EPOCH
const AT = '2026-11-21T00:00:00Z'
const H = 3600
const D = 86400

let server: TestCluster
let cluster: Cluster

const find = (f: Finding[], code: string): Finding | undefined => f.find(x => x.code === code)

t.before(async () => {
  server = await startTestCluster({
    nodes: 1,
    now: () => T,
    namespaces: {
      test: { 'nsup-period': 120, 'storage-engine.evict-used-pct': 60, 'evict-tenths-pct': 10 },
      nsupoff: { 'nsup-period': 0, 'allow-ttl-without-nsup': true },
      strict: { 'nsup-period': 0, 'allow-ttl-without-nsup': false },
      broken: { 'nsup-period': 0, 'default-ttl': 3600 }
    }
  })
  // test: 'hot' expires within hours, 'cold' in ~300 days, 'keep' (protected) within 1 h, 'forever' never
  for (let i = 0; i < 400; i++) server.put('test', 'hot', `h${i}`, { i }, { voidTime: NOW + H + i * 60 })
  for (let i = 0; i < 500; i++) server.put('test', 'cold', `c${i}`, { i }, { voidTime: NOW + 300 * D + i })
  for (let i = 0; i < 100; i++) server.put('test', 'keep', `k${i}`, { i }, { voidTime: NOW + 600 + i })
  for (let i = 0; i < 95; i++) server.put('test', 'capped', `p${i}`, { i }, { voidTime: 0 })
  for (let i = 0; i < 10; i++) server.put('test', 'full', `f${i}`, { i }, { voidTime: 0 })
  for (let i = 0; i < 50; i++) server.put('nsupoff', 's', `n${i}`, { i }, { voidTime: i < 20 ? NOW + 30 * D : 0 })
  for (let i = 0; i < 5; i++) server.put('strict', 's', `x${i}`, { i }, { voidTime: 0 })
  cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 })
  const setConfig = async (cmd: string): Promise<void> => {
    const r = await cluster.info([cmd])
    if (r.get(cmd) !== 'ok') throw new Error(`${cmd}: ${r.get(cmd) ?? ''}`)
  }
  await setConfig('set-config:context=namespace;id=test;set=keep;disable-eviction=true')
  await setConfig('set-config:context=namespace;id=test;set=capped;stop-writes-count=100')
  await setConfig('set-config:context=namespace;id=test;set=full;stop-writes-count=10')
})
t.teardown(async () => {
  cluster?.close()
  await server?.close()
})

const infoAll = async (cmd: string): Promise<Map<string, string>> => await cluster.infoAll(cmd)

t.test('config: 8.x names and per-set config from info', async t => {
  const c = await readNamespaceConfig(infoAll, 'test')
  t.equal(c.names, '8.x')
  t.equal(c.nsupPeriod, 120)
  t.equal(c.evictUsedPct, 60)
  t.equal(c.evictTenthsPct, 10)
  t.equal(c.evictHistBuckets, 10000)
  t.equal(c.stopWritesUsedPct, 70)
  t.equal(c.stopWritesAvailPct, 5)
  t.equal(c.stopWritesSysMemoryPct, 90)
  t.equal(c.allowTtlWithoutNsup, false)
  t.equal(c.objects, 1105)
  const sets = Object.fromEntries(c.sets.map(s => [s.set, s]))
  t.equal(sets.keep!.disableEviction, true)
  t.equal(sets.hot!.disableEviction, false)
  t.equal(sets.capped!.stopWritesCount, 100)
  t.equal(sets.capped!.objects, 95)
  t.same(c.disagreements, [])
})

t.test('live namespace: distribution and findings', async t => {
  const c = await readNamespaceConfig(infoAll, 'test')
  const d = await scanDistribution(cluster, { namespace: 'test' }, NOW)
  t.equal(d.records, 1105)
  t.same(d.sets.get('hot')!.counts, { never: 0, expired: 0, '1h': 1, '1d': 399, '7d': 0, '30d': 0, '1y': 0, later: 0 })
  t.equal(d.sets.get('cold')!.counts['1y'], 500)
  t.equal(d.sets.get('keep')!.counts['1h'], 100)
  t.equal(d.total().never, 105)
  const f = audit({ distribution: d, config: c, target: null, restore: null, source: 'live' })
  // eviction: 1% per round of 1105 = 11 records, the nearest-expiring outside the protected set
  const ev = find(f, 'eviction-order')!
  t.equal(ev.severity, 'info')
  t.equal(ev.data.perRound, 11)
  t.equal(ev.data.evictable, 900, 'hot + cold; keep is protected')
  t.same(ev.data.bySet, { hot: 11 })
  t.ok((ev.data.cutoffHours as number) <= 2)
  const keep = find(f, 'set-eviction-disabled')!
  t.equal(keep.data.set, 'keep')
  t.equal(keep.data.withTtl, 100)
  const capped = f.filter(x => x.code === 'set-stop-writes-count')
  t.equal(capped.length, 2)
  t.same(capped.map(x => [x.data.set, x.severity]).sort(), [['capped', 'warning'], ['full', 'error']])
  t.notOk(find(f, 'nsup-off-ttl-records'))
  t.ok(failed(f, 'error'))
  t.equal(f[0]!.severity, 'error', 'most severe first')

  // only some sets
  const part = await scanDistribution(cluster, { namespace: 'test', sets: ['hot', 'keep'] }, NOW)
  t.equal(part.records, 500)
  const one = await scanDistribution(cluster, { namespace: 'test', sets: ['cold'] }, NOW + 301 * D)
  t.equal(one.total().expired, 500, 'evaluated later: past their void-time')
})

t.test('nsup off: TTL records never removed; default-ttl refuses to start; restore into a strict namespace', async t => {
  const off = await readNamespaceConfig(infoAll, 'nsupoff')
  const d = await scanDistribution(cluster, { namespace: 'nsupoff' }, NOW)
  const f = audit({ distribution: d, config: off, target: null, restore: null, source: 'live' })
  const n = find(f, 'nsup-off-ttl-records')!
  t.equal(n.severity, 'warning')
  t.equal(n.data.withTtl, 20)
  t.notOk(find(f, 'default-ttl-without-nsup'), 'allowed TTLs: no start-up failure')

  const broken = await readNamespaceConfig(infoAll, 'broken')
  const fb = audit({ distribution: await scanDistribution(cluster, { namespace: 'broken' }, NOW), config: broken, target: null, restore: null, source: 'live' })
  const dt = find(fb, 'default-ttl-without-nsup')!
  t.equal(dt.severity, 'error')
  t.equal(dt.data.defaultTtl, 3600)

  // restoring nsupoff's records into strict: 20 TTL writes forbidden
  const strict = await readNamespaceConfig(infoAll, 'strict')
  const r = new RestoreCounter(NOW, 0)
  const d2 = await scanDistribution(cluster, { namespace: 'nsupoff' }, NOW, r)
  const fr = audit({ distribution: d2, config: null, target: strict, restore: r, source: 'live' })
  const forb = find(fr, 'restore-ttl-forbidden')!
  t.equal(forb.severity, 'error')
  t.equal(forb.data.failing, 20)
  // at a time when they have expired, the restore skips them instead
  const r2 = new RestoreCounter(NOW + 31 * D, 0)
  const d3 = await scanDistribution(cluster, { namespace: 'nsupoff' }, NOW + 31 * D, r2)
  const fr2 = audit({ distribution: d3, config: null, target: strict, restore: r2, source: 'live' })
  t.notOk(find(fr2, 'restore-ttl-forbidden'))
  t.equal(find(fr2, 'restore-skips-expired')!.data.expired, 20)
})

t.test('nodes that disagree, and the pre-8 names', async t => {
  const two = await startTestCluster({ nodes: 2, now: () => T })
  t.teardown(async () => { await two.close() })
  const c2 = await Cluster.connect({ hosts: two.seeds, tendIntervalMs: 0 })
  t.teardown(() => { c2.close() })
  const nodes = c2.nodes.map(n => n.name)
  // the test nodes share one config; make the second node answer differently
  const skewed = async (cmd: string): Promise<Map<string, string>> => {
    const m = await c2.infoAll(cmd)
    if (cmd.startsWith('namespace/')) m.set(nodes[1]!, m.get(nodes[1]!)!.replace('nsup-period=60', 'nsup-period=0'))
    return m
  }
  const c = await readNamespaceConfig(skewed, 'test')
  t.same(c.disagreements, [{ key: 'nsup-period', values: { [nodes[0]!]: '60', [nodes[1]!]: '0' } }])
  const f = audit({ distribution: await scanDistribution(c2, { namespace: 'test' }, NOW), config: c, target: null, restore: null, source: 'live' })
  t.equal(find(f, 'nodes-disagree')!.severity, 'warning')

  // a 6.x server: high-water marks, stop-writes-pct, memory_free_pct; legacy set names
  const legacy = async (cmd: string): Promise<Map<string, string>> => {
    if (cmd.startsWith('namespace/')) {
      return new Map([
        ['A', 'objects=300;effective_replication_factor=2;nsup-period=120;default-ttl=0;high-water-disk-pct=50;high-water-memory-pct=60;stop-writes-pct=90;evict-tenths-pct=5;memory_free_pct=45;hwm_breached=false;stop_writes=false'],
        ['B', 'objects=300;effective_replication_factor=2;nsup-period=120;default-ttl=0;high-water-disk-pct=55;high-water-memory-pct=60;stop-writes-pct=90;evict-tenths-pct=5;memory_free_pct=40;hwm_breached=false;stop_writes=false']
      ])
    }
    if (cmd === 'statistics') return new Map([['A', 'system_free_mem_pct=20'], ['B', 'system_free_mem_pct=40']])
    return new Map([
      ['A', 'ns_name=test:set_name=s1:n_objects=100:set-disable-eviction=true:set-stop-writes-count=120;'],
      ['B', 'ns_name=test:set_name=s1:n_objects=100:set-disable-eviction=true:set-stop-writes-count=120;']
    ])
  }
  const old = await readNamespaceConfig(legacy, 'test')
  t.equal(old.names, 'legacy')
  t.equal(old.evictUsedPct, 50)
  t.equal(old.evictMemoryPct, 60)
  t.equal(old.stopWritesUsedPct, 90)
  t.equal(old.usedPct, null, 'no storage figures on this in-memory namespace')
  t.equal(old.objects, 300)
  t.equal(old.allowTtlWithoutNsup, true, 'no such setting before 4.9')
  t.same(old.sets, [{ set: 's1', objects: 100, disableEviction: true, stopWritesCount: 120, stopWritesSize: 0, defaultTtl: 0, dataUsedBytes: 0 }])
  t.same(old.disagreements.map(x => x.key), ['high-water-disk-pct'])
  t.equal(old.memoryUsedPct, 60, 'namespace memory of the fullest node (memory_free_pct 40)')
  t.equal(old.availPct, null)
  // memory at 60% reaches high-water-memory-pct 60: eviction is running
  const { Distribution } = await import('../../lib/ttl-audit/distribution.js')
  const dist = new Distribution(NOW)
  dist.add('test', 's2', NOW + H)
  const fo = audit({ distribution: dist, config: old, target: null, restore: null, source: 'live' })
  t.match(find(fo, 'eviction-active')!.message, /memory is 60% used, at or above the eviction threshold 60%/)
  t.notOk(find(fo, 'near-stop-writes'), 'no stop-writes-sys-memory-pct on this server')
  // 8.x: available space near stop-writes-avail-pct, system memory near stop-writes-sys-memory-pct
  const near = await readNamespaceConfig(async (cmd: string) => {
    if (cmd === 'statistics') return new Map([['A', 'system_free_mem_pct=15']])
    if (cmd.startsWith('sets/')) return new Map([['A', '']])
    return new Map([['A', 'objects=1;effective_replication_factor=1;nsup-period=60;storage-engine.evict-used-pct=0;storage-engine.stop-writes-used-pct=70;storage-engine.stop-writes-avail-pct=5;stop-writes-sys-memory-pct=90;data_used_pct=10;data_avail_pct=8']])
  }, 'test')
  const fn = audit({ distribution: dist, config: near, target: null, restore: null, source: 'live' })
  const sw = find(fn, 'near-stop-writes')!
  t.equal(sw.severity, 'warning')
  t.match(sw.message, /8% available, stop-writes at 5%/)
  t.match(sw.message, /memory 85% used, stop-writes at 90%/)
  t.ok(find(fn, 'eviction-off'))
})

t.test('the binary against the server', async t => {
  const live = await runBin('as-ttl-audit', ['-h', server.seeds, '-n', 'test', '--at', AT, '--json'])
  t.equal(live.code, 1, 'set full is at its stop-writes-count: an error')
  const j = JSON.parse(live.stdout.toString())
  t.equal(j.records, 1105)
  t.equal(j.config.nsupPeriod, 120)
  t.ok(j.findings.some((x: Finding) => x.code === 'set-stop-writes-count' && x.severity === 'error'))
  const hot = await runBin('as-ttl-audit', ['-h', server.seeds, '-n', 'test', '-s', 'hot,cold', '--at', AT])
  t.equal(hot.code, 1)
  t.match(hot.stdout.toString(), /^hot: 400 record\(s\), 400 with a TTL$/m)
  t.match(hot.stdout.toString(), /^INFO: eviction removes the nearest-expiring records first/m)
  const off = await runBin('as-ttl-audit', ['-h', server.seeds, '-n', 'nsupoff', '--at', AT])
  t.equal(off.code, 0, 'a warning does not fail the default --fail-on error')
  const offw = await runBin('as-ttl-audit', ['-h', server.seeds, '-n', 'nsupoff', '--at', AT, '--fail-on', 'warning'])
  t.equal(offw.code, 1)
  t.match(offw.stdout.toString(), /WARNING: namespace nsupoff: 20 records carry a TTL but nsup-period is 0/)
  // a backup of nsupoff restored into strict
  const scan = await runBin('as-scan', ['-h', server.seeds, '-n', 'nsupoff'])
  t.equal(scan.code, 0, scan.stderr)
  const rest = await runBin('as-ttl-audit', ['-h', server.seeds, '--target-namespace', 'strict', '--at', AT], { input: scan.stdout })
  t.equal(rest.code, 1)
  t.match(rest.stdout.toString(), /ERROR: restoring this backup into strict would fail for 20 records/)
  const missing = await runBin('as-ttl-audit', ['-h', server.seeds, '-n', 'nope'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /namespace nope not found/)
  const both = await runBin('as-ttl-audit', ['-n', 'test', 'file.asb'])
  t.equal(both.code, 2)
})
