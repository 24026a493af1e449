// Decode throughput of scan responses: a synthetic stream of scan-answer
// protos (~1 MiB each, as the server flushes them, many as_msg records per
// proto, 6 bins of every common type per record) cut into 64 KiB socket-sized
// chunks, run through
//   - baseline: copying every chunk into a 1 MiB buffer (what any reader pays);
//   - ProtoSplitter framing only;
//   - framing + decodeRecordMessage (Records with typed bins, the scanner's path);
//   - framing + generic decodeMessage (AsMessage with fields/ops).
//
//   node dist/bench/proto/decode.bench.js [--records N]
import { ProtoSplitter, PROTO_HEADER_SIZE, ProtoType, writeProtoHeader } from '../../lib/proto/header.js'
import { decodeMessage, decodeRecordMessage, makeMessage, writeMessage, messageSize, FieldType, OpType, Info3 } from '../../lib/proto/message.js'
import { encodeKeyField, valueToParticle } from '../../lib/proto/particle.js'
import { Particle } from '../../lib/types.js'

const argIdx = process.argv.indexOf('--records')
const RECORDS = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 500_000
const CHUNK = 64 * 1024
const PROTO_TARGET = 1024 * 1024

function recordMsg (i: number): Buffer {
  const digest = Buffer.alloc(20)
  digest.writeUInt32BE(i * 2654435761 >>> 0, 0)
  digest.writeUInt32BE(i, 16)
  const bins = [
    ['id', { type: Particle.INTEGER, value: BigInt(i) }],
    ['score', { type: Particle.DOUBLE, value: i / 7 }],
    ['name', { type: Particle.STRING, value: Buffer.from(`user-name-${i}`) }],
    ['blob', { type: Particle.BLOB, value: Buffer.alloc(48, i & 0xff) }],
    ['tags', { type: Particle.LIST, value: Buffer.from('93a40361626301cb3ff8000000000000', 'hex') }],
    ['ok', { type: Particle.BOOL, value: (i & 1) === 1 }]
  ] as const
  const m = makeMessage({
    generation: 1 + (i % 5),
    recordTtl: 530000000 + i,
    fields: [
      { type: FieldType.NAMESPACE, data: Buffer.from('test') },
      { type: FieldType.DIGEST, data: digest },
      { type: FieldType.SET, data: Buffer.from('bench') },
      ...(i % 2 === 0 ? [{ type: FieldType.KEY, data: encodeKeyField({ type: Particle.STRING, value: Buffer.from(`user-${i}`) }) }] : [])
    ],
    ops: bins.map(([name, v]) => { const p = valueToParticle(v); return { op: OpType.READ, particle: p.type, name: Buffer.from(name), value: p.bytes } })
  })
  const b = Buffer.allocUnsafe(messageSize(m))
  writeMessage(b, 0, m)
  return b
}

function buildStream (): Buffer {
  const protos: Buffer[] = []
  let cur: Buffer[] = []
  let size = 0
  const flush = (): void => {
    const hdr = Buffer.allocUnsafe(PROTO_HEADER_SIZE)
    writeProtoHeader(hdr, 0, ProtoType.MSG, size)
    protos.push(hdr, ...cur)
    cur = []; size = 0
  }
  for (let i = 0; i < RECORDS; i++) {
    const m = recordMsg(i)
    cur.push(m); size += m.length
    if (size >= PROTO_TARGET) flush()
  }
  const last = Buffer.allocUnsafe(22)
  writeMessage(last, 0, makeMessage({ info3: Info3.LAST }))
  cur.push(last); size += 22
  flush()
  return Buffer.concat(protos)
}

function chunks (stream: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < stream.length; i += CHUNK) out.push(stream.subarray(i, i + CHUNK))
  return out
}

// Wall-clock figures, and the same per CPU-second of this process (closer to
// the code's own cost when the machine is shared and loaded).
function time (label: string, bytes: number, records: number, fn: () => number): void {
  fn() // warm-up
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const n = fn()
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const c = process.cpuUsage(c0)
  const cpu = (c.user + c.system) / 1e6
  const mib = bytes / 1024 / 1024
  process.stdout.write(`${label.padEnd(38)} ${(mib / s).toFixed(0).padStart(6)} MB/s ${(records / s / 1e6).toFixed(2).padStart(6)} M rec/s | per CPU-s ${(mib / cpu).toFixed(0).padStart(6)} MB/s ${(records / cpu / 1e6).toFixed(2).padStart(6)} M rec/s  (${n})\n`)
}

const stream = buildStream()
const parts = chunks(stream)
process.stdout.write(`scan-response stream: ${RECORDS} records, ${(stream.length / 1024 / 1024).toFixed(1)} MiB, ${parts.length} chunks of 64 KiB\n`)

time('baseline: copy chunks', stream.length, RECORDS, () => {
  const dst = Buffer.allocUnsafe(1024 * 1024)
  let off = 0; let n = 0
  for (const c of parts) {
    if (off + c.length > dst.length) off = 0
    c.copy(dst, off); off += c.length; n++
  }
  return n
})

time('framing (ProtoSplitter)', stream.length, RECORDS, () => {
  const sp = new ProtoSplitter()
  let n = 0
  for (const c of parts) sp.push(c, () => { n++ })
  return n
})

/** Frames every chunk and hands each whole proto body to `each`. */
function frameAll (each: (body: Buffer) => void): void {
  const sp = new ProtoSplitter()
  for (const c of parts) sp.push(c, m => { each(m.body) })
}

function decodeRecords (copy: boolean): number {
  let n = 0
  frameAll(body => {
    for (let off = 0; off < body.length;) {
      const item = decodeRecordMessage(body, off, { copy })
      if (item.record !== null) n++
      off = item.end
    }
  })
  return n
}

time('framing + decodeRecordMessage', stream.length, RECORDS, () => decodeRecords(false))
time('framing + decodeRecordMessage (copy)', stream.length, RECORDS, () => decodeRecords(true))
time('framing + decodeMessage (generic)', stream.length, RECORDS, () => {
  let n = 0
  frameAll(body => {
    for (let off = 0; off < body.length; n++) off = decodeMessage(body, off).end
  })
  return n
})
