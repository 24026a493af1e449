// End-to-end partition scan: test server (child process, 1 node) -> our
// Cluster + createPartitionScan -> a discarding Writable (/dev/null), against
// a raw-socket baseline that sends the same scan request and only frames the
// answer (no decoding, no stream). Prints records/s, MB/s of wire bytes and
// the client process's peak RSS; records per client CPU-second is the figure
// to compare on a busy machine. For scale: the real C asbackup scans about
// 500k records/s from a real server on this 2-core machine.
//
//   node dist/bench/client/scan.bench.js [--records N] [--parallel P] [--test-server]
//
// By default the server process replays pre-encoded answers (--synthetic in
// scan-server.ts), so the figures are the client's; --test-server scans a
// lib/server cluster instead (slower to load: use --records 200000).
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan } from '../../lib/client/scan.js'
import { ProtoSplitter } from '../../lib/proto/header.js'
import { encodeMessage, encodePidArray, FieldType, Info1, Info3, makeMessage, u64Field } from '../../lib/proto/message.js'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const RECORDS = arg('--records', 1_000_000)
const PARALLEL = arg('--parallel', 1)

const TEST_SERVER = process.argv.includes('--test-server')
const server = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'scan-server.js'), '--records', String(RECORDS), ...(TEST_SERVER ? [] : ['--synthetic'])], { stdio: ['pipe', 'pipe', 'inherit'] })
const first = await new Promise<string>((resolve, reject) => {
  const rl = createInterface({ input: server.stdout! })
  rl.once('line', resolve)
  server.once('exit', code => reject(new Error(`scan-server exited ${code}`)))
})
const { seeds } = JSON.parse(first) as { seeds: string }
const [host, port] = seeds.split(',')[0].split(':')

let trid = BigInt(Date.now())
async function rawBaseline (): Promise<{ bytes: number, s: number }> {
  const t0 = process.hrtime.bigint()
  const sock = connect(Number(port), host)
  await new Promise<void>(resolve => sock.once('connect', () => resolve()))
  let bytes = 0
  const sp = new ProtoSplitter()
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject)
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      sp.push(chunk, m => {
        if (m.body.length === 22 && (m.body[3]! & Info3.LAST) !== 0) { sock.destroy(); resolve() }
      })
    })
    sock.write(encodeMessage(makeMessage({
      info1: Info1.READ, info3: Info3.PARTITION_DONE, recordTtl: 0xffffffff,
      fields: [
        { type: FieldType.NAMESPACE, data: Buffer.from('test') },
        { type: FieldType.SET, data: Buffer.from('bench') },
        u64Field(FieldType.TRID, trid++),
        { type: FieldType.PID_ARRAY, data: encodePidArray(Array.from({ length: 4096 }, (_, i) => i)) }
      ]
    })))
  })
  return { bytes, s: Number(process.hrtime.bigint() - t0) / 1e9 }
}

async function clientScan (): Promise<{ records: number, s: number, cpu: number }> {
  const cluster = await Cluster.connect({ hosts: seeds, tendIntervalMs: 0 })
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  let records = 0
  await pipeline(
    createPartitionScan(cluster, { namespace: 'test', set: 'bench', parallel: PARALLEL }),
    new Writable({ objectMode: true, highWaterMark: 1024, write (_r, _e, cb) { records++; cb() } })
  )
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const c = process.cpuUsage(c0)
  cluster.close()
  return { records, s, cpu: (c.user + c.system) / 1e6 }
}

const line = (label: string, records: number, bytes: number, s: number): void => {
  process.stdout.write(`${label.padEnd(44)} ${(records / s / 1000).toFixed(0).padStart(6)} k records/s ${(bytes / 1048576 / s).toFixed(0).padStart(5)} MB/s  ${s.toFixed(2)} s\n`)
}

process.stdout.write(`${TEST_SERVER ? 'lib/server test cluster' : 'replaying server'} (child process, 1 node), ${RECORDS} records\n`)
const base = await rawBaseline()
const wireBytes = base.bytes
line('baseline: raw socket, framing only', RECORDS, wireBytes, base.s)
for (let i = 0; i < 2; i++) {
  const r = await clientScan()
  if (r.records !== RECORDS) throw new Error(`scanned ${r.records} of ${RECORDS}`)
  line(`createPartitionScan -> /dev/null (parallel ${PARALLEL})`, r.records, wireBytes, r.s)
  process.stdout.write(`${''.padEnd(44)} ${(r.records / r.cpu / 1000).toFixed(0).padStart(6)} k records per client CPU-second\n`)
}
process.stdout.write(`client peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (wire ${(wireBytes / RECORDS).toFixed(0)} B/record)\n`)
server.stdin!.end()
