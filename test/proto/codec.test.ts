// Unit tests of the codec pieces the capture tests do not pin down:
// framing across arbitrary chunk boundaries, limits, particles, info, admin.
import t from 'tap'
import { PassThrough } from 'node:stream'
import {
  encodeProtoHeader, readProtoHeader, createProtoFramer, ProtoSplitter, ProtoType,
  valueToParticle, particleToValue, encodeKeyField, decodeKeyField, geoFromParticle,
  encodeInfoRequest, parseInfoResponse, parseInfoError, parseKeyValues,
  hashPassword, encodeLogin, decodeAdminMessage, AdminField, AdminCommand, parseLoginResponse, encodeAdminMessage,
  resultCodeName, isRetryable, isPermanent, ResultCode, decodeMessage, encodeMessage, makeMessage, decodeRecordMessage,
  FieldType, OpType, computeDigest, partitionId, encodeBatchField, decodeBatchField, BatchParentFlags, type ProtoMessage
} from '../../lib/proto/index.js'
import { Particle, type Value } from '../../lib/types.js'

t.test('proto header round-trips 48-bit sizes', async t => {
  const h = encodeProtoHeader(ProtoType.MSG, 2 ** 40 + 5)
  t.same(readProtoHeader(h, 0), { version: 2, type: 3, size: 2 ** 40 + 5 })
  t.throws(() => readProtoHeader(h.subarray(0, 7), 0), /truncated/)
})

t.test('the framer yields whole messages whatever the chunking', async t => {
  const msgs = [encodeInfoRequest(['node', 'build']), encodeMessage(makeMessage({ resultCode: 2 })), encodeProtoHeader(1, 0), encodeInfoRequest([])]
  const stream = Buffer.concat(msgs)
  for (const size of [1, 2, 3, 7, 8, 9, 13, 100]) {
    const sp = new ProtoSplitter()
    const out: ProtoMessage[] = []
    for (let i = 0; i < stream.length; i += size) sp.push(stream.subarray(i, i + size), m => out.push({ type: m.type, body: Buffer.from(m.body) }))
    t.equal(out.length, 4, `chunk ${size}`)
    t.same(out.map(m => Buffer.concat([encodeProtoHeader(m.type, m.body.length), m.body])), msgs)
    t.ok(sp.idle)
  }
})

t.test('the framer rejects bad versions, unknown types, oversized bodies and truncated streams', async t => {
  const sp = new ProtoSplitter({ maxSize: 1000 })
  t.throws(() => sp.push(Buffer.from('0303000000000000', 'hex'), () => {}), /version 3/)
  t.throws(() => new ProtoSplitter().push(Buffer.from('0209000000000000', 'hex'), () => {}), /type 9/)
  t.throws(() => new ProtoSplitter({ maxSize: 1000 }).push(encodeProtoHeader(3, 1001), () => {}), /exceeds/)
  t.doesNotThrow(() => new ProtoSplitter().push(Buffer.from('0002000000000000', 'hex'), () => {}), 'version 0 allowed for admin')
  const framer = createProtoFramer()
  const src = new PassThrough()
  src.pipe(framer)
  const err = new Promise<Error>(resolve => framer.on('error', resolve))
  framer.resume()
  src.end(encodeInfoRequest(['node']).subarray(0, 10))
  t.match((await err).message, /ended inside a proto message/)
})

t.test('every particle type round-trips, GeoJSON cells are skipped on read', async t => {
  const vals: Value[] = [
    { type: Particle.NIL, value: null },
    { type: Particle.INTEGER, value: -9223372036854775808n },
    { type: Particle.INTEGER, value: 9223372036854775807n },
    { type: Particle.DOUBLE, value: 2 },
    { type: Particle.DOUBLE, value: -0 },
    { type: Particle.STRING, value: Buffer.from('a\nb\0') },
    { type: Particle.BLOB, value: Buffer.from([1, 2]) },
    { type: Particle.PYTHON, value: Buffer.from([3]) },
    { type: Particle.HLL, value: Buffer.alloc(20, 7) },
    { type: Particle.VECTOR, value: Buffer.alloc(4) },
    { type: Particle.BOOL, value: true },
    { type: Particle.GEOJSON, value: Buffer.from('{"type":"Point","coordinates":[1,2]}') },
    { type: Particle.MAP, value: Buffer.from('81c70001c0', 'hex') },
    { type: Particle.LIST, value: Buffer.from('9101', 'hex') }
  ]
  for (const v of vals) {
    const p = valueToParticle(v)
    t.equal(p.type, v.type)
    t.same(particleToValue(p.type, p.bytes), v, `type ${v.type}`)
  }
  t.equal(valueToParticle({ type: Particle.INTEGER, value: 1n }).bytes.length, 8, 'ints always 8 bytes')
  t.same(valueToParticle({ type: Particle.GEOJSON, value: Buffer.from('{}') }).bytes, Buffer.from('0000007b7d', 'hex'), 'ncells = 0 on write')
  // a server GeoJSON particle with one cell (06_get)
  const srv = Buffer.concat([Buffer.from('000001808f72363125a00f', 'hex'), Buffer.from('{"a":1}')])
  t.equal(geoFromParticle(srv).toString(), '{"a":1}')
  t.same(particleToValue(Particle.INTEGER, Buffer.from('00000005', 'hex')), { type: Particle.INTEGER, value: 5n }, 'short ints zero-extend')
  t.throws(() => particleToValue(Particle.DOUBLE, Buffer.alloc(4)), /FLOAT/)
  t.throws(() => particleToValue(99, Buffer.alloc(1)), /unknown particle/)
})

t.test('key fields and digests', async t => {
  for (const k of [{ type: Particle.INTEGER, value: -5n }, { type: Particle.STRING, value: Buffer.from('x') }, { type: Particle.BLOB, value: Buffer.from('deadbeef', 'hex') }] as const) {
    t.same(decodeKeyField(encodeKeyField(k)), k)
  }
  const d = computeDigest(null, { type: Particle.STRING, value: Buffer.from('k') })
  t.equal(d.length, 20)
  t.ok(partitionId(d) >= 0 && partitionId(d) < 4096)
  t.same(computeDigest('', { type: Particle.STRING, value: Buffer.from('k') }), d, 'empty set = no set')
})

t.test('info helpers', async t => {
  t.same(encodeInfoRequest(['node', 'build']).subarray(8).toString(), 'node\nbuild\n')
  t.same(encodeInfoRequest([]).length, 8, 'empty request = summary')
  const m = parseInfoResponse(Buffer.from('a\tx=1;y=2\nbogus\tERROR:4:unrecognized command\nempty\t\n'))
  t.same(parseKeyValues(m.get('a')!), new Map([['x', '1'], ['y', '2']]))
  t.same(parseInfoError(m.get('bogus')!), { code: 4, message: 'unrecognized command' })
  t.equal(parseInfoError('ok'), null)
  t.equal(m.get('empty'), '')
})

t.test('admin: bcrypt credential with the fixed salt, login round trip', async t => {
  t.equal(hashPassword('wirepass'), '$2a$10$7EqJtq98hPqEX7fNZaFWoOywPKWyHy5i/9xR/Nxt1AHD0ihkeDKoC')
  const login = decodeAdminMessage(encodeLogin('EXTERNAL', 'u', 'p').subarray(8))
  t.equal(login.command, AdminCommand.LOGIN)
  t.same(login.fields.map(f => f.id), [AdminField.USER, AdminField.CREDENTIAL, AdminField.CLEAR_PASSWORD])
  t.equal(decodeAdminMessage(encodeLogin('PKI', '', '').subarray(8)).fields.length, 0)
  const ttl = Buffer.alloc(4); ttl.writeUInt32BE(600)
  const resp = encodeAdminMessage({ command: 0, resultCode: 0, fields: [{ id: AdminField.SESSION_TOKEN, data: Buffer.from('tok') }, { id: AdminField.SESSION_TTL, data: ttl }] })
  t.same(parseLoginResponse(resp.subarray(8)), { resultCode: 0, token: Buffer.from('tok'), ttlSeconds: 600 })
})

t.test('result codes', async t => {
  t.equal(resultCodeName(2), 'KEY_NOT_FOUND')
  t.equal(resultCodeName(250), 'RESULT_250')
  t.ok(isRetryable(ResultCode.PARTITION_UNAVAILABLE))
  t.ok(isRetryable(ResultCode.TIMEOUT))
  t.ok(isPermanent(ResultCode.KEY_EXISTS))
  t.notOk(isPermanent(ResultCode.OK))
})

t.test('truncated messages are protocol errors, not crashes', async t => {
  const full = encodeMessage(makeMessage({ fields: [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }], ops: [{ op: OpType.READ, particle: 1, name: Buffer.from('b'), value: Buffer.alloc(8) }] })).subarray(8)
  for (let n = 0; n < full.length; n++) {
    t.throws(() => decodeMessage(full.subarray(0, n), 0), { code: 'ASB_ERR_PROTOCOL' })
    t.throws(() => decodeRecordMessage(full.subarray(0, n), 0), { code: 'ASB_ERR_PROTOCOL' })
  }
  t.equal(decodeMessage(full, 0).end, full.length)
})

t.test('batch rows: REPEAT reuses the previous row, generation is 16-bit', async t => {
  const ns = { type: FieldType.NAMESPACE, data: Buffer.from('test') }
  const req = {
    parentFlags: BatchParentFlags.REPORT_ALL_ERRORS | BatchParentFlags.REPORT_ERROR_REC,
    rows: [
      { index: 0, digest: Buffer.alloc(20, 1), info1: 3, fields: [ns], ops: [], info2: 0, info3: 0, generation: 0x1_0005, recordTtl: 7 },
      { index: 1, digest: Buffer.alloc(20, 2), repeat: true, info1: 0, fields: [], ops: [] }
    ]
  }
  const data = encodeBatchField(req)
  t.equal(data.length, 5 + (25 + 1 + 2 + 2 + 4 + 4 + 9) + 25)
  const back = decodeBatchField(data)
  t.equal(back.parentFlags, 0x0c)
  t.equal(back.rows[0]!.generation, 5, 'only 16 bits of generation travel')
  t.equal(back.rows[1]!.repeat, true)
  t.equal(back.rows[1]!.info1, 3)
  t.same(back.rows[1]!.fields.map(f => f.data.toString()), ['test'])
  t.throws(() => decodeBatchField(data.subarray(0, data.length - 1)), /truncated/)
})
