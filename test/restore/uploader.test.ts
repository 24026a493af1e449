import t from 'tap'
import { RestoreCounters } from '../../lib/restore/counters.js'
import { Uploader } from '../../lib/restore/uploader.js'
import type { UploaderOptions } from '../../lib/restore/uploader.js'
import { writePolicy } from '../../lib/restore/policy.js'
import { FakeWriter, serverError, timeoutError } from './fake-writer.js'
import { rec } from './fixtures.js'

const policy = writePolicy({ unique: false, replace: false, noGeneration: false })

function setup (over: Partial<UploaderOptions> = {}): { u: Uploader, w: FakeWriter, c: RestoreCounters, sleeps: number[] } {
  const w = new FakeWriter()
  const c = new RestoreCounters()
  const sleeps: number[] = []
  const u = new Uploader({
    writer: w, counters: c, batchWrites: true, batchSize: 4, maxInFlight: 2, maxRetries: 5,
    retryScaleFactor: 150000, ignoreRecordError: false, sleep: async (ms) => { sleeps.push(ms) }, ...over
  })
  return { u, w, c, sleeps }
}

async function feed (u: Uploader, c: RestoreCounters, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    c.total++
    await u.add({ record: rec(), ttl: -1, policy, sendKey: false })
  }
  await u.flush()
}

for (const batchWrites of [true, false]) {
  const mode = batchWrites ? 'batch' : 'key-put'
  t.test(`${mode}: every record inserted once`, async (t) => {
    const { u, w, c } = setup({ batchWrites })
    await feed(u, c, 10)
    t.equal(c.inserted, 10)
    t.equal(c.accounted(), c.total)
    t.equal(c.inFlight, 0)
    t.ok([...w.applied.values()].every((n) => n === 1), 'no duplicate writes')
  })

  t.test(`${mode}: transient failures are retried on the asrestore schedule`, async (t) => {
    const { u, w, c, sleeps } = setup({ batchWrites, batchSize: 10 })
    w.failNext = [timeoutError(), serverError(9), timeoutError()]
    await feed(u, c, batchWrites ? 10 : 1)
    t.equal(c.inserted, batchWrites ? 10 : 1)
    t.equal(c.retries, 3)
    t.same(sleeps, [0, 150, 300])
    t.ok([...w.applied.values()].every((n) => n === 1), 'no duplicate writes')
  })

  t.test(`${mode}: max retries exceeded is fatal with every record accounted`, async (t) => {
    const { u, w, c } = setup({ batchWrites, batchSize: 3, maxRetries: 2 })
    w.failNext = [timeoutError(), timeoutError(), timeoutError(), timeoutError()]
    await t.rejects(feed(u, c, batchWrites ? 3 : 1), { message: batchWrites ? 'Max batch-write retries exceeded' : 'Max key-put retries exceeded' })
    t.equal(c.retries, 2)
    t.equal(c.failed, batchWrites ? 3 : 1)
    t.equal(c.accounted(), c.total)
  })

  t.test(`${mode}: a permanent whole-call error is not retried`, async (t) => {
    const { u, w, c } = setup({ batchWrites, batchSize: 2 })
    w.failNext = [serverError(4)]
    await t.rejects(feed(u, c, 2))
    t.equal(c.retries, 0)
    t.equal(c.accounted(), c.total)
  })
}

t.test('key-put mode re-sends only records that have not succeeded', async (t) => {
  const { u, w, c } = setup({ batchWrites: false, batchSize: 4 })
  const recs = [rec(), rec(), rec(), rec()]
  let flaky = 2
  const orig = w.writeOne.bind(w)
  w.writeOne = async (it) => {
    if (it.record === recs[1] && flaky-- > 0) throw timeoutError()
    return await orig(it)
  }
  for (const r of recs) { c.total++; await u.add({ record: r, ttl: -1, policy, sendKey: false }) }
  await u.flush()
  t.equal(c.inserted, 4)
  t.equal(c.retries, 2)
  t.ok([...w.applied.values()].every((n) => n === 1), 'each record applied exactly once')
})

t.test('per-record permanent errors: fatal unless --ignore-record-error', async (t) => {
  for (const ignore of [false, true]) {
    const { u, w, c } = setup({ ignoreRecordError: ignore, batchSize: 2, maxInFlight: 1 })
    const bad = rec()
    w.keyCodes.set(bad.digest.toString('hex'), 13)
    const recs = [rec(), bad, rec(), rec()]
    const run = async (): Promise<void> => {
      for (const r of recs) { c.total++; await u.add({ record: r, ttl: -1, policy, sendKey: false }) }
      await u.flush()
    }
    if (ignore) {
      await run()
      t.equal(c.ignored, 1, 'err_ignored')
      t.equal(c.inserted, 3)
    } else {
      await t.rejects(run(), /RECORD_TOO_BIG/)
      t.equal(c.ignored, 1, 'ignored is counted even when fatal')
    }
    t.equal(c.accounted(), c.total, `every record accounted (ignore=${String(ignore)})`)
  }
})

t.test('batch: a per-record transient code is fatal, not retried', async (t) => {
  const { u, w, c } = setup({ batchSize: 2 })
  const r = rec()
  w.keyCodes.set(r.digest.toString('hex'), 9)
  c.total += 2
  await u.add({ record: r, ttl: -1, policy, sendKey: false })
  await u.add({ record: rec(), ttl: -1, policy, sendKey: false })
  await t.rejects(u.flush(), /TIMEOUT/)
  t.equal(c.retries, 0)
  t.equal(c.failed, 1)
  t.equal(c.inserted, 1)
})

t.test('in-flight groups never exceed max-async-batches', async (t) => {
  const { u, w, c } = setup({ batchSize: 1, maxInFlight: 3 })
  let now = 0
  let peak = 0
  const orig = w.writeBatch.bind(w)
  w.writeBatch = async (items) => {
    now++; peak = Math.max(peak, now)
    await new Promise((resolve) => setTimeout(resolve, 2))
    try { return await orig(items) } finally { now-- }
  }
  await feed(u, c, 20)
  t.equal(peak, 3)
  t.equal(c.inserted, 20)
})

t.test('batch: rows whose request never reached the server are re-sent alone', async (t) => {
  const { u, w, c } = setup({ batchSize: 4 })
  const recs = [rec(), rec(), rec(), rec()]
  let lost = 1
  const orig = w.writeBatch.bind(w)
  w.writeBatch = async (items) => {
    const codes = await orig(items.filter((it) => !(lost > 0 && it.record === recs[2])))
    if (items.length === 4 && lost-- > 0) return [codes[0]!, codes[1]!, -8, codes[2]!]
    return codes
  }
  for (const r of recs) { c.total++; await u.add({ record: r, ttl: -1, policy, sendKey: false }) }
  await u.flush()
  t.equal(c.inserted, 4)
  t.equal(c.retries, 1)
  t.ok([...w.applied.values()].every((n) => n === 1), 'no duplicate writes')
})
