import t from 'tap'
import { RestoreCounters } from '../../lib/restore/counters.js'
import { expiredLine, formatEta, logLine, progressLines, summaryLine } from '../../lib/restore/messages.js'

function counters (): RestoreCounters {
  const c = new RestoreCounters()
  Object.assign(c, { total: 100, expired: 3, skipped: 4, ignored: 5, inserted: 80, existed: 6, fresher: 2, udfs: 2, indexes: 9, bytes: 10240, retries: 1 })
  return c
}

t.test('Expired line has asrestore\'s exact spacing', async (t) => {
  t.equal(expiredLine(counters()), 'Expired 3 : skipped 4 : err_ignored 5 : inserted 80: failed 8 (existed 6 , fresher 2)')
})

t.test('SUMMARY line with the literal space before the 7th field', async (t) => {
  t.equal(summaryLine(counters()), 'SUMMARY:2:9:100:3:4:5 :80:6:2')
})

t.test('progress lines', async (t) => {
  const lines = progressLines(counters(), 2, 20480)
  t.equal(lines[0], '2 UDF file(s), 9 secondary index(es), 100 record(s) (50 rec/s, 5 KiB/s, 102 B/rec, retries: 1)')
  t.equal(lines[1], expiredLine(counters()))
  t.equal(lines[2], '50% complete, ~2s remaining')
  t.equal(progressLines(counters(), 2, null).length, 2, 'no percent without a size')
})

t.test('log line layout', async (t) => {
  t.equal(logLine('INF', 'hello', new Date(Date.UTC(2026, 7, 3, 12, 0, 0)), 12345), '2026-08-03 12:00:00 GMT [INF] [12345] hello')
  t.equal(logLine('ERR', 'x', new Date(Date.UTC(2026, 7, 3, 12, 0, 0)), 42), '2026-08-03 12:00:00 GMT [ERR] [   42] x')
})

t.test('ETA format', async (t) => {
  t.equal(formatEta(45), '45s')
  t.equal(formatEta(3723), '1h2m3s')
  t.equal(formatEta(86400 + 5), '1d0h0m5s')
  t.equal(formatEta(101 * 86400), '>100d')
})

t.test('progress reporter: machine lines every tick, console lines every 10th, final SUMMARY', async (t) => {
  const { ProgressReporter } = await import('../../lib/restore/progress.js')
  const c = counters()
  const logs: string[] = []
  const machine: string[] = []
  let now = 0
  const p = new ProgressReporter({ counters: c, totalBytes: () => 20480, mode: 'text', log: (m) => logs.push(m), raw: () => {}, machine: (l) => machine.push(l), now: () => now, periodic: false })
  now = 2000
  p.tick()
  t.same(machine, ['PROGRESS:50', 'REMAINING:2s'])
  t.same(logs, [], 'no console lines when not periodic')
  p.final()
  t.equal(machine[machine.length - 1], 'SUMMARY:2:9:100:3:4:5 :80:6:2')
  t.equal(logs[1], expiredLine(c), 'final lines always')
})
