// Conformance: every captured message decodes, and our encoders rebuild
// every captured client request byte for byte.
import t from 'tap'
import {
  readProtoHeader, decodeMessage, decodeMessages, encodeMessage, decodeRecordMessage,
  parseInfoRequest, encodeInfoRequest, parseInfoResponse, encodeInfoResponse,
  decodeAdminMessage, encodeAdminMessage, decodeBatchField, encodeBatchField,
  FieldType, ProtoType, Info3, getField, computeDigest, partitionId, decodeKeyField
} from '../../lib/proto/index.js'
import { loadAllCaptures } from './load-captures.js'

const all = loadAllCaptures()

t.test('every capture has a sane proto header', async t => {
  t.ok(all.length > 300, `${all.length} messages`)
  for (const m of all) {
    const h = readProtoHeader(m.bytes, 0)
    if (h.version !== 2 || h.size !== m.body.length) t.fail(`${m.file}:${m.line + 1} header ${JSON.stringify(h)}`)
  }
})

t.test('every AS_MSG decodes to its end and re-encodes to the same bytes', async t => {
  let n = 0
  for (const m of all.filter(m => m.type === ProtoType.MSG)) {
    const msgs = decodeMessages(m.body)
    n += msgs.length
    // a one-message body re-encodes exactly (covers every client request)
    if (msgs.length === 1) {
      const again = encodeMessage(msgs[0]!)
      if (!again.equals(m.bytes)) t.fail(`${m.file}:${m.line + 1} re-encode differs`)
    }
    // the record fast path agrees with the generic decoder
    let off = 0
    if (m.dir === 'c2s') continue
    for (const msg of msgs) {
      const item = decodeRecordMessage(m.body, off)
      off = decodeMessage(m.body, off).end
      t.equal(item.end, off)
      const digest = getField(msg, FieldType.DIGEST)
      if (item.record !== null && digest !== undefined) {
        if (!item.record.digest.equals(digest)) t.fail('digest differs')
        if (item.record.bins.length !== msg.ops.length) t.fail('bin count differs')
      }
    }
  }
  t.ok(n > 300, `${n} as_msg decoded`)
})

t.test('every INFO request and response round-trips', async t => {
  for (const m of all.filter(m => m.type === ProtoType.INFO)) {
    if (m.dir === 'c2s') {
      const cmds = parseInfoRequest(m.body)
      const text = m.body.toString('utf8')
      if (text.endsWith('\n') || text === '') t.same(encodeInfoRequest(cmds), m.bytes, `${m.file}:${m.line + 1}`)
      else t.same(cmds, [], 'a command without newline is ignored')
    } else {
      const map = parseInfoResponse(m.body)
      t.same(encodeInfoResponse(map), m.bytes, `${m.file}:${m.line + 1}`)
    }
  }
})

t.test('admin messages round-trip', async t => {
  const admin = all.filter(m => m.type === ProtoType.ADMIN)
  t.equal(admin.length, 2)
  for (const m of admin) t.same(encodeAdminMessage(decodeAdminMessage(m.body)), m.bytes)
})

t.test('batch fields round-trip', async t => {
  const reqs = all.filter(m => m.dir === 'c2s' && m.type === ProtoType.MSG)
  let n = 0
  for (const m of reqs) {
    const { msg } = decodeMessage(m.body, 0)
    const data = getField(msg, FieldType.BATCH)
    if (data === undefined) continue
    n++
    t.same(encodeBatchField(decodeBatchField(data)), data, `${m.file}:${m.line + 1}`)
  }
  t.ok(n >= 2, `${n} batch requests`)
})

t.test('captured digests equal computeDigest(set, key) where the key is present', async t => {
  let n = 0
  // probe_write_edge_cases deliberately writes a KEY under another key's digest
  for (const m of all.filter(m => m.type === ProtoType.MSG && m.file !== 'probe_write_edge_cases.jsonl')) {
    for (const msg of decodeMessages(m.body)) {
      const d = getField(msg, FieldType.DIGEST)
      const k = getField(msg, FieldType.KEY)
      if (d === undefined || k === undefined) continue
      const set = getField(msg, FieldType.SET)
      const key = decodeKeyField(k)
      t.same(computeDigest(set === undefined ? null : set.toString('utf8'), key), d)
      t.equal(partitionId(d), (d[0]! | (d[1]! << 8)) & 4095)
      n++
    }
  }
  t.ok(n > 20, `${n} keyed digests`)
  // the documented examples
  t.equal(computeDigest('wire_types', { type: 3, value: Buffer.from('scalars') }).toString('hex'), 'abd2d5cec2fa8beb0b305dcd784c8a35ae75e212')
  t.equal(computeDigest('wire_keys', { type: 1, value: 1001n }).toString('hex'), 'a7ffa5902d4ce1ac65975a611fc549e1edafe7e5')
})

t.test('scan responses end with LAST and carry no PARTITION_DONE markers', async t => {
  const s2c = all.filter(m => m.file.startsWith('07_') && m.dir === 's2c')
  const msgs = s2c.flatMap(m => decodeMessages(m.body))
  t.equal(msgs.filter(m => (m.info3 & Info3.LAST) !== 0).length, 1)
  t.equal(msgs.filter(m => (m.info3 & Info3.PARTITION_DONE) !== 0).length, 0)
  t.equal(msgs.length - 1, 12)
})
