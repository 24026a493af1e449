// Child-process driver for official-client.test.ts: the official `aerospike`
// client connects synchronously on the main thread, so it cannot share an
// event loop with the in-process test server. Runs the smoke steps against
// the seeds in argv[2] and prints one JSON line per step on stdout.
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Aerospike from 'aerospike'
import { plain } from '../helpers.js'

type Out = { step: string, ok: boolean, value?: unknown, error?: string, code?: number }

async function step (name: string, fn: () => Promise<unknown>): Promise<void> {
  const out: Out = { step: name, ok: true }
  try {
    out.value = plain(await fn())
  } catch (err) {
    const e = err as { message?: string, code?: number }
    out.ok = false
    out.error = e.message
    out.code = e.code
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}

async function main (): Promise<void> {
  const hosts = process.argv[2]!.split(',').map(s => { const [addr, port] = s.split(':'); return { addr: addr!, port: Number(port) } })
  // generous timeouts: CI machines may be loaded and the server shares a process with the test
  const slow = { totalTimeout: 20000, socketTimeout: 20000 }
  const client = await Aerospike.connect({
    hosts,
    log: { level: Aerospike.log.OFF },
    connTimeoutMs: 10000,
    loginTimeoutMs: 10000,
    policies: { read: slow, write: slow, remove: slow, batch: slow, batchWrite: slow, operate: slow, scan: slow, query: slow, info: { timeout: 20000 } }
  } as any)
  const A = Aerospike as any
  const key = (k: string | number | Buffer): any => new A.Key('test', 'smoke', k)
  await step('put-all-types', async () => {
    await client.put(key('types'), {
      i: 7, ineg: -1, imax: BigInt('9223372036854775807'), imin: BigInt('-9223372036854775808'),
      d: new A.Double(2), dfrac: 1.5, s: 'héllo\nwörld', sempty: '', blob: Buffer.from([0, 1, 255]),
      t: true, f: false,
      geo: new A.GeoJSON({ type: 'Point', coordinates: [-122.5, 37.5] }),
      l: [1, 'a', 2.5, [1, 2], Buffer.from('xy')],
      m: { a: 1, b: 'two' },
      mint: new Map([[1, 'one'], [2, 'two']])
    }, { sendKey: true } as any)
    return 'ok'
  })
  await step('put-int-key', async () => { await client.put(key(1001), { x: 1 }, { ttl: 3600 }); return 'ok' })
  await step('put-bytes-key', async () => { await client.put(key(Buffer.from('deadbeef', 'hex')), { x: 2 }, { ttl: -1 } as any); return 'ok' })
  await step('get', async () => { const r = await client.get(key('types')); return { bins: r.bins, gen: r.gen, ttl: r.ttl } })
  await step('get-missing', async () => client.get(key('nope')))
  await step('exists', async () => client.exists(key('types')))
  await step('select', async () => (await client.select(key('types'), ['i', 's'])).bins)
  await step('create-only-fails', async () => client.put(key('types'), { i: 8 }, {}, { exists: A.policy.exists.CREATE }))
  await step('gen-eq-fails', async () => client.put(key('types'), { i: 8 }, { gen: 99 }, { gen: A.policy.gen.EQ }))
  await step('update-only-missing', async () => client.put(key('missing2'), { i: 8 }, {}, { exists: A.policy.exists.UPDATE }))
  await step('remove-missing', async () => client.remove(key('missing3')))
  for (let i = 0; i < 20; i++) await client.put(key(`scan-${i}`), { n: i, s: `v${i}` })
  await step('scan', async () => {
    const recs = await client.scan('test', 'smoke').results()
    return recs.length
  })
  await step('scan-partitions', async () => {
    const scan = client.scan('test', 'smoke')
    scan.partitions(0, 2048)
    return (await scan.results()).length
  })
  await step('query-all', async () => (await client.query('test', 'smoke').results()).length)
  await step('batch-write', async () => {
    const res = await client.batchWrite([
      { type: A.batchType.BATCH_WRITE, key: key('b1'), ops: [A.operations.write('x', 1)] },
      { type: A.batchType.BATCH_WRITE, key: key('types'), ops: [A.operations.write('x', 2)], policy: new A.BatchWritePolicy({ exists: A.policy.exists.CREATE }) },
      { type: A.batchType.BATCH_REMOVE, key: key('nope-batch') },
      { type: A.batchType.BATCH_READ, key: key('b1'), readAllBins: true }
    ] as any)
    return res.map((r: any) => r.status)
  })
  await step('batch-read', async () => {
    const res = await client.batchRead([{ key: key('scan-1'), readAllBins: true }, { key: key('nope'), readAllBins: true }] as any)
    return res.map((r: any) => r.status)
  })
  await step('udf-register', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asb-udf-'))
    const file = join(dir, 'smoke_udf.lua')
    writeFileSync(file, 'function echo(rec, x)\n  return x\nend\n')
    const job = await client.udfRegister(file)
    await job.wait(10)
    return 'ok'
  })
  await step('udf-list', async () => client.infoAny('udf-list'))
  await step('index-create', async () => {
    const job = await client.createIntegerIndex({ ns: 'test', set: 'smoke', bin: 'n', index: 'smoke_n' })
    await job.wait(10)
    return 'ok'
  })
  await step('sindex-list', async () => client.infoAny('sindex-list:ns=test;b64=true'))
  await step('query-range', async () => {
    const q = client.query('test', 'smoke')
    q.where(A.filter.range('n', 3, 7))
    const recs = await q.results()
    return recs.map((r: any) => r.bins.n).sort((a: number, b: number) => a - b)
  })
  await step('info-namespaces', async () => client.infoAny('namespaces'))
  await step('truncate', async () => { await client.truncate('test', 'smoke', 0); return 'ok' })
  await client.close()
}

main().catch(err => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exitCode = 1 })
