// Our scan and write requests are byte-identical to what the official client
// (C client 7.4 inside Node 6.7.1) sent in the golden captures, given the same
// inputs (partitions, task id, timeouts, bins, policies, key, TTL).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WIRE_FIXTURES } from '../helpers.js'
import { encodeScanRequest } from '../../lib/client/scan.js'
import { createWriter, type ExistsPolicy, type GenerationPolicy } from '../../lib/client/writer.js'
import type { Cluster } from '../../lib/client/cluster.js'
import {
  decodeDigestArray, decodeKeyField, decodeMessage, decodePidArray, FieldType, getField, Info1, Info2, Info3,
  particleToValue, partitionId, TTL_DONT_UPDATE, TTL_NEVER_EXPIRE, type AsMessage
} from '../../lib/proto/index.js'
import type { Bin, Record } from '../../lib/types.js'

interface Line { dir: string, hex: string, type: number }

function requests (file: string): Array<{ bytes: Buffer, msg: AsMessage }> {
  return readFileSync(join(WIRE_FIXTURES, `${file}.jsonl`), 'utf8').split('\n').filter(l => l !== '')
    .map(l => JSON.parse(l) as Line)
    .filter(l => l.dir === 'c2s' && l.type === 3)
    .map(l => { const bytes = Buffer.from(l.hex, 'hex'); return { bytes, msg: decodeMessage(bytes.subarray(8), 0).msg } })
}

t.test('scan requests match the captures', async t => {
  let n = 0
  for (const file of ['07_scan_whole_set', '08_scan_partition_range', '09_scan_max_records', '10_scan_paginate_resume', '11_scan_select_bins', '12_scan_nobins', '13_scan_filter_exp']) {
    for (const { bytes, msg } of requests(file)) {
      if (getField(msg, FieldType.DIGEST) !== undefined) continue
      const pids = getField(msg, FieldType.PID_ARRAY)
      const digests = getField(msg, FieldType.DIGEST_ARRAY)
      const parts = [
        ...(pids !== undefined ? decodePidArray(pids) : []).map(id => ({ id, digest: null })),
        ...(digests !== undefined ? decodeDigestArray(digests) : []).map(d => ({ id: partitionId(d), digest: d }))
      ]
      const ours = encodeScanRequest({
        namespace: getField(msg, FieldType.NAMESPACE)!.toString(),
        set: getField(msg, FieldType.SET)?.toString(),
        bins: msg.ops.map(o => o.name.toString()),
        noBins: (msg.info1 & Info1.GET_NO_BINS) !== 0,
        filterExpression: getField(msg, FieldType.FILTER_EXP),
        socketTimeoutMs: getField(msg, FieldType.SOCKET_TIMEOUT)!.readUInt32BE(0)
      }, parts, getField(msg, FieldType.TRID)!.readBigUInt64BE(0), {
        sampleMax: Number(getField(msg, FieldType.SAMPLE_MAX)?.readBigUInt64BE(0) ?? 0)
      })
      t.equal(ours.toString('hex'), bytes.toString('hex'), `${file} request ${n}`)
      n++
    }
  }
  t.ok(n >= 9, `${n} scan requests compared`)
})

function existsOf (m: AsMessage): ExistsPolicy {
  if ((m.info2 & Info2.CREATE_ONLY) !== 0) return 'create-only'
  if ((m.info3 & Info3.UPDATE_ONLY) !== 0) return 'update-only'
  if ((m.info3 & Info3.REPLACE_ONLY) !== 0) return 'replace-only'
  if ((m.info3 & Info3.CREATE_OR_REPLACE) !== 0) return 'create-or-replace'
  return 'update'
}

function genOf (m: AsMessage): GenerationPolicy {
  return (m.info2 & Info2.GENERATION) !== 0 ? 'equal' : (m.info2 & Info2.GENERATION_GT) !== 0 ? 'gt' : 'ignore'
}

t.test('put and delete requests match the captures', async t => {
  const noCluster = {} as Cluster
  let n = 0
  for (const file of ['04_put_ttl_keys', '16_write_gen_fail', '17_write_create_only_fail', '18_write_exists_policies', '19_remove']) {
    for (const { bytes, msg } of requests(file)) {
      if ((msg.info2 & Info2.WRITE) === 0 || (msg.info2 & Info2.DURABLE_DELETE) !== 0) continue
      const w = createWriter(noCluster, { exists: existsOf(msg), generation: genOf(msg), timeoutMs: msg.transactionTtl })
      const ns = getField(msg, FieldType.NAMESPACE)!.toString()
      const set = getField(msg, FieldType.SET)?.toString() ?? null
      const digest = getField(msg, FieldType.DIGEST)!
      let ours: Buffer
      if ((msg.info2 & Info2.DELETE) !== 0) {
        ours = w.encodeDelete({ namespace: ns, set, digest, generation: msg.generation })
      } else {
        const kf = getField(msg, FieldType.KEY)
        const rec: Record = {
          kind: 'record', namespace: ns, set, digest, key: kf !== undefined ? decodeKeyField(kf) : null,
          generation: msg.generation, voidTime: 0,
          bins: msg.ops.map(o => ({ ...particleToValue(o.particle, o.value), name: o.name.toString() }) as Bin)
        }
        const ttl = msg.recordTtl === TTL_NEVER_EXPIRE ? -1 : msg.recordTtl === TTL_DONT_UPDATE ? -2 : msg.recordTtl
        ours = w.encodePut(rec, ttl)
      }
      t.equal(ours.toString('hex'), bytes.toString('hex'), `${file} request ${n}`)
      n++
    }
  }
  t.ok(n >= 15, `${n} write requests compared`)
})
