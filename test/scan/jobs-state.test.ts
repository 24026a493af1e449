import t from 'tap'
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeJob, nodeListFilters, perJobLimits, planJobs } from '../../lib/scan/jobs.js'
import { checkFingerprint, loadState, saveState, ScanState } from '../../lib/scan/state.js'
import { formatEta, machineSummary, Progress, summaryLine } from '../../lib/scan/progress.js'
import { AsbError, UsageError } from '../../lib/errors.js'

t.test('parallel splitting follows asbackup integer arithmetic', async t => {
  t.same(planJobs([], 1), { jobs: [{ begin: 0, count: 4096 }], threads: 1 })
  const four = planJobs([], 4)
  t.same(four.jobs, [{ begin: 0, count: 1024 }, { begin: 1024, count: 1024 }, { begin: 2048, count: 1024 }, { begin: 3072, count: 1024 }])
  t.equal(four.threads, 4)
  const three = planJobs([{ begin: 10, count: 10 }], 3)
  t.same(three.jobs, [{ begin: 10, count: 3 }, { begin: 13, count: 3 }, { begin: 16, count: 4 }])
  t.same(planJobs([{ begin: 5, count: 2 }], 8), { jobs: [{ begin: 5, count: 1 }, { begin: 6, count: 1 }], threads: 2 }, 'n capped at the range count')
  const d = Buffer.alloc(20, 0)
  t.same(planJobs([{ begin: 0, count: 1, digest: d }], 4), { jobs: [{ begin: 0, count: 1, digest: d }], threads: 1 }, 'a digest filter is never split')
  const many = [{ begin: 0, count: 5 }, { begin: 9, count: 1 }, { begin: 100, count: 7 }]
  t.same(planJobs(many, 2), { jobs: many, threads: 2 }, 'one job per filter')
  t.same(planJobs(many, 10).threads, 3)
  // the split covers every partition exactly once
  for (const n of [1, 3, 7, 16, 100]) {
    const seen = new Set<number>()
    let dups = 0
    for (const j of planJobs([], n).jobs) for (let p = j.begin; p < j.begin + j.count; p++) { if (seen.has(p)) dups++; seen.add(p) }
    t.equal(seen.size + dups, 4096, `parallel ${n} covers all once`)
    t.equal(dups, 0)
  }
})

t.test('node-list partitions become contiguous ranges of mastered partitions', async t => {
  const masters = ['A', 'A', 'B', 'A', null, 'C', 'C', 'A']
  t.same(nodeListFilters(masters, new Set(['A'])), [{ begin: 0, count: 2 }, { begin: 3, count: 1 }, { begin: 7, count: 1 }])
  t.same(nodeListFilters(masters, new Set(['A', 'C'])), [{ begin: 0, count: 2 }, { begin: 3, count: 1 }, { begin: 5, count: 3 }])
  t.same(nodeListFilters(masters, new Set(['Z'])), [])
})

t.test('job descriptions and per-job limits', async t => {
  t.equal(describeJob({ begin: 0, count: 4096 }), 'whole namespace')
  t.equal(describeJob({ begin: 7, count: 1 }), 'partition 7')
  t.equal(describeJob({ begin: 0, count: 1024 }), '1024 partitions from 0 to 1023')
  t.equal(describeJob({ begin: 3, count: 1, digest: Buffer.alloc(20, 0xff) }), `partition 3 after ${Buffer.alloc(20, 0xff).toString('base64')}`)
  t.same(perJobLimits(10, 10, 4, 4), { maxRecords: 3, recordsPerSecond: 2 })
  t.same(perJobLimits(0, 3, 4, 4), { maxRecords: 0, recordsPerSecond: 1 }, 'rps never rounds down to unlimited')
  t.same(perJobLimits(0, 0, 1, 1), { maxRecords: 0, recordsPerSecond: 0 })
})

function digestOf (pid: number, fill: number): Buffer {
  const d = Buffer.alloc(20, fill)
  d[0] = pid & 0xff
  d[1] = (pid >> 8) & 0x0f
  return d
}

t.test('state file round trip, atomic replace, validation', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'as-scan-state-'))
  const path = join(dir, 'scan.state')
  const s = new ScanState('test', { namespace: 'test', set: ['a'] }, [{ begin: 0, count: 10 }, { begin: 20, count: 1, digest: digestOf(20, 9) }], join(dir, 'out.ndjson'))
  s.commitDigest(digestOf(3, 0x80))
  s.commitDigest(digestOf(3, 0x40))
  s.commitDigest(digestOf(4095, 1))
  s.markDone([5, 6])
  s.counts = { records: 12, bytes: 3456, indexes: 2, udfs: 1 }
  s.outputBytes = 3456
  s.globalsDone = true
  saveState(path, s)
  t.same(readdirSync(dir).sort(), ['scan.state'], 'no temporary file left')
  const j = JSON.parse(readFileSync(path, 'utf8'))
  t.equal(j.format, 'as-scan-state')
  t.equal(j.partitions['3'], digestOf(3, 0x40).toString('base64'), 'the last committed digest wins')
  t.equal(j.partitions['5'], 'done')
  const back = loadState(path)
  t.same(back.toJSON().partitions, s.toJSON().partitions)
  t.same(back.filters, s.filters)
  t.same(back.counts, s.counts)
  t.equal(back.outputBytes, 3456)
  t.equal(back.globalsDone, true)
  t.equal(back.startOf(5, { begin: 0, count: 10 }), null, 'done partitions are skipped')
  t.same(back.startOf(3, { begin: 0, count: 10 }), digestOf(3, 0x40), 'resumes after the saved digest')
  t.equal(back.startOf(4, { begin: 0, count: 10 }), undefined, 'untouched partitions start over')
  t.same(back.startOf(20, back.filters[1]), digestOf(20, 9), 'or from their own filter digest')

  const broken = (patch: (j: any) => void, want: RegExp): void => {
    const jj = JSON.parse(readFileSync(path, 'utf8'))
    patch(jj)
    const p2 = join(dir, 'bad.state')
    writeFileSync(p2, JSON.stringify(jj))
    t.throws(() => loadState(p2), want)
  }
  broken(j => { j.format = 'x' }, /expected "format": "as-scan-state"/)
  broken(j => { j.version = 9 }, /unsupported version 9/)
  broken(j => { j.partitions['7'] = digestOf(8, 1).toString('base64') }, /is not in partition 7/)
  broken(j => { j.partitions['4096'] = 'done' }, /bad partition id 4096/)
  broken(j => { j.counts.records = -1 }, /bad counts/)
  writeFileSync(join(dir, 'junk.state'), '{')
  t.throws(() => loadState(join(dir, 'junk.state')), AsbError)
  t.throws(() => loadState(join(dir, 'missing.state')), /cannot read state file/)
  t.notOk(existsSync(join(dir, 'missing.state')))
})

t.test('fingerprint mismatch names the option', async t => {
  checkFingerprint('s', { a: 1, b: ['x'] }, { a: 1, b: ['x'] })
  t.throws(() => checkFingerprint('s', { set: ['a'] }, { set: ['b'] }), new UsageError('--continue s: option set differs from the interrupted run (was ["a"], now ["b"]); repeat the same options'))
})

t.test('progress: ETA format, summary and machine lines', async t => {
  t.equal(formatEta(0), '0s')
  t.equal(formatEta(45), '45s')
  t.equal(formatEta(3723), '1h2m3s')
  t.equal(formatEta(86400 + 5), '1d0h0m5s')
  t.equal(formatEta(101 * 86400), '>100d')
  const c = { records: 10, bytes: 1005, indexes: 2, udfs: 1 }
  t.equal(summaryLine(c), 'Backed up 10 record(s), 2 secondary index(es), 1 UDF file(s), 1005 byte(s) in total (~100 B/rec)')
  t.equal(machineSummary(c), 'SUMMARY:10:2:1:1005:100')
  t.equal(machineSummary({ records: 0, bytes: 0, indexes: 0, udfs: 0 }), 'SUMMARY:0:0:0:0:0')

  const dir = mkdtempSync(join(tmpdir(), 'as-scan-prog-'))
  const machinePath = join(dir, 'm.txt')
  let clock = 0
  const events: string[] = []
  const json = { write: (s: string) => { events.push(s); return true } } as unknown as NodeJS.WritableStream
  const p = new Progress({ estimate: 1000, machinePath, json: json as any, now: () => clock })
  for (let i = 1; i <= 12; i++) { clock = i * 1000; p.tick(i * 50, i * 5000) }
  p.finish(c)
  const lines = readFileSync(machinePath, 'utf8').trim().split('\n')
  t.same(lines, ['PROGRESS:5', 'REMAINING:19s', 'PROGRESS:55', 'REMAINING:9s', 'SUMMARY:10:2:1:1005:100'], 'every 10th tick from the first, then the summary')
  const first = JSON.parse(events[0])
  t.equal(first.event, 'progress')
  t.equal(first.percent, 5)
  t.equal(JSON.parse(events[events.length - 1]).event, 'summary')
})
