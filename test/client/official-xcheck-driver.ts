// Child-process driver for server.test.ts (the official client connects
// synchronously, so it cannot share an event loop with the in-process test
// server). argv: <seeds> write|read. `write` stores typed values with the
// official client; `read` prints the bins of the records our writer stored
// (set xw, keys r0..r2) as JSON lines with bigints and Buffers tagged.
import Aerospike from 'aerospike'
import { plain } from '../helpers.js'

async function main (): Promise<void> {
  const hosts = process.argv[2]!.split(',').map(s => { const [addr, port] = s.split(':'); return { addr: addr!, port: Number(port) } })
  const A = Aerospike as any
  const client = await Aerospike.connect({ hosts, log: { level: Aerospike.log.OFF } })
  try {
    if (process.argv[3] === 'write') {
      await client.put(new A.Key('test', 'xo', 'typed'), {
        i: 7, imin: BigInt('-9223372036854775808'), d2: new A.Double(2), dfrac: -0.125,
        s: 'héllo\nwörld', blob: Buffer.from([0, 1, 255]), t: true,
        geo: new A.GeoJSON({ type: 'Point', coordinates: [-122.5, 37.5] }),
        l: [1, 'a', new A.Double(3), Buffer.from('xy')],
        mint: new Map([[1, 'one'], [2, 'two']])
      }, { ttl: 3600 }, { key: A.policy.key.SEND })
      process.stdout.write('{"ok":true}\n')
    } else {
      for (const k of ['r0', 'r1', 'r2']) {
        const r = await client.get(new A.Key('test', 'xw', k))
        process.stdout.write(JSON.stringify({ key: k, gen: r.gen, bins: plain(r.bins) }) + '\n')
      }
    }
  } finally {
    await client.close()
  }
}

main().catch(err => { process.stderr.write(String(err?.stack ?? err) + '\n'); process.exit(1) })
