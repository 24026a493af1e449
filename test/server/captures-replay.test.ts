// The test server answers the captured requests like the real 8.1.2.0 server
// did: every scenario is replayed in order against one fresh server (each
// captured connection on its own socket) and the answers are compared field
// by field, ignoring void-times, timestamps, node ids, addresses and the
// other data the real server held. Known gaps are listed in SKIP with reasons.
import t from 'tap'
import { ProtoType } from '../../lib/proto/header.js'
import { parseInfoResponse } from '../../lib/proto/info.js'
import { decodeAdminMessage } from '../../lib/proto/admin.js'
import { decodeMessages, type AsMessage } from '../../lib/proto/message.js'
import { startTestCluster } from '../../lib/server/index.js'
import { captureFiles, loadCapture, type CapturedMessage } from '../proto/load-captures.js'
import { ReplayConn } from './replay.js'

/** Requests whose answers the test server deliberately does not reproduce. */
const SKIP: { [file: string]: { [index: number]: string } | string } = {
  '05_operate_hll_ordered_cdt.jsonl': 'CDT and HLL operations are not modelled',
  '20_udf_register_list_get.jsonl': { 8: 'UDF execution is not modelled (the server has no Lua)' },
  '14_query_deserialize_false.jsonl': { 0: 'the set holds the records 05 built with CDT/HLL operations' }
}

/** Info commands whose values depend on the real server's other data, clock or address. */
const INFO_VOLATILE = /^(namespace\/|sets\/test$|udf-list|sindex-list|sindex\/|statistics|service-clear-std|cluster-name|build_time|uptime|peers-clear|replicas|node$)/

function normaliseMsg (m: AsMessage, opts: { geo: boolean }): unknown {
  return {
    info1: m.info1, info2: m.info2, info3: m.info3, info4: m.info4, resultCode: m.resultCode,
    generation: m.generation,
    // void-times differ by the replay clock; "never expires" (0) must stay 0
    recordTtlNever: m.recordTtl === 0,
    transactionTtl: m.transactionTtl,
    fields: m.fields.map(f => ({ type: f.type, data: f.data.toString('hex') })),
    ops: m.ops.map(o => ({
      op: o.op, particle: o.particle, name: o.name.toString('utf8'),
      // GeoJSON points come back with the S2 cell the real server computed: compared byte for byte too
      value: o.particle === 23 && opts.geo ? o.value.subarray(3 + 8 * o.value.readUInt16BE(1)).toString('utf8') : o.value.toString('hex')
    }))
  }
}

function flatten (protos: Array<{ type: number, body: Buffer }>): AsMessage[] {
  return protos.flatMap(p => decodeMessages(p.body))
}

t.test('the test server answers the captured requests like the real server', async t => {
  const cluster = await startTestCluster({
    nodes: 1,
    namespaces: { test: { 'nsup-period': 60 }, bar: {} }
  })
  t.teardown(() => cluster.close())
  const port = cluster.nodes[0]!.port
  let compared = 0
  for (const file of captureFiles()) {
    const skipAll = typeof SKIP[file] === 'string' ? SKIP[file] as string : null
    const skipSome = typeof SKIP[file] === 'object' ? SKIP[file] as { [i: number]: string } : {}
    const msgs = loadCapture(file)
    const conns = new Map<number, ReplayConn>()
    for (let i = 0; i < msgs.length; i++) {
      const req = msgs[i]!
      if (req.dir !== 'c2s') continue
      // the real answer: the s2c messages on this connection up to the next request on it
      const expected: CapturedMessage[] = []
      for (let j = i + 1; j < msgs.length; j++) {
        if (msgs[j]!.conn !== req.conn) continue
        if (msgs[j]!.dir === 'c2s') break
        expected.push(msgs[j]!)
      }
      let conn = conns.get(req.conn)
      if (conn === undefined) { conn = await ReplayConn.open(port); conns.set(req.conn, conn) }
      const got = await conn.request(req)
      if (skipAll !== null || skipSome[i] !== undefined) continue
      const where = `${file} #${i}`
      if (req.type === ProtoType.INFO) {
        const want = parseInfoResponse(expected[0]?.body ?? Buffer.alloc(0))
        const have = parseInfoResponse(got[0]?.body ?? Buffer.alloc(0))
        t.same([...have.keys()], [...want.keys()], `${where}: same info commands answered`)
        for (const [k, v] of want) {
          if (INFO_VOLATILE.test(k) || k.startsWith('build_') || k === 'features' && v === '') continue
          if (k === 'peers-generation' || k === 'partition-generation' || k === 'rebalance-generation') { t.match(have.get(k), /^\d+$/); continue }
          const strip = (x: string | undefined): string | undefined => x?.replace(/(data_used_bytes|truncate_lut)=\d+/g, '$1=_')
          t.equal(strip(have.get(k)), strip(v), `${where}: ${k}`)
        }
        compared++
        continue
      }
      if (req.type === ProtoType.ADMIN) {
        t.same(decodeAdminMessage(got[0]!.body), decodeAdminMessage(expected[0]!.body), where)
        compared++
        continue
      }
      const want = flatten(expected).map(m => normaliseMsg(m, { geo: false }))
      const have = flatten(got).map(m => normaliseMsg(m, { geo: false }))
      if (want.length > 2) {
        // scans: records of different partitions interleave on the real server
        const key = (x: any): string => JSON.stringify(x.fields) + String(x.info3)
        want.sort((a, b) => key(a) < key(b) ? -1 : 1)
        have.sort((a, b) => key(a) < key(b) ? -1 : 1)
      }
      t.same(have, want, where)
      compared++
    }
    for (const c of conns.values()) c.close()
  }
  t.ok(compared > 150, `${compared} answers compared`)
})
