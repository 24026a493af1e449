import t from 'tap'
import { Throttle, recordBytes } from '../../lib/restore/throttle.js'

t.test('--nice paces records and bytes', async (t) => {
  let now = 0
  const sleeps: number[] = []
  const mk = (bytesPerSecond: number, tps: number): Throttle => new Throttle({ bytesPerSecond, tps, now: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms } })
  const byTps = mk(1 << 30, 10)
  for (let i = 0; i < 20; i++) await byTps.take(100)
  t.ok(now >= 1900 && now <= 2000, `20 records at 10 TPS take ~2 s (took ${now} ms)`)
  now = 0
  const byBytes = mk(1000, 1_000_000)
  for (let i = 0; i < 10; i++) await byBytes.take(500)
  t.ok(now >= 4900 && now <= 5000, `5000 bytes at 1000 B/s take ~5 s (took ${now} ms)`)
})

t.test('record size estimate', async (t) => {
  t.equal(recordBytes({ bins: [{ name: 'ab', value: Buffer.alloc(10) }, { name: 'c', value: 1n }] }), 8 + 2 + 10 + 8 + 1 + 8)
})
