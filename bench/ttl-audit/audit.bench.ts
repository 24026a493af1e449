// as-ttl-audit on a backup: decoding + folding every record into the
// distribution and the restore counter, beside the baseline of decoding alone
// (the audit should cost little on top of the .asb decoder).
//
//   node dist/bench/ttl-audit/audit.bench.js [--copies N]
//
// Input: the records of golden_big.asb (6000 records, real asbackup output)
// repeated N times (default 50: 300 000 records) behind one header.
//
// Figures (2-core build machine shared with other jobs, load average ~10,
// --copies 20 = 120 000 records, 112 MB; second round of two):
//
//   decode only (baseline)       112 MB   69.0 MB/s wall 0.07 M rec/s | CPU 181.5 MB/s
//   decode + ttl audit           112 MB  135.0 MB/s wall 0.14 M rec/s | CPU 254.1 MB/s
//
// i.e. the audit adds nothing measurable over decoding; wall-clock figures
// vary by 2x between runs on this machine.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createAsbDecoder } from '../../lib/asb/decode.js'
import type { Token } from '../../lib/types.js'
import { backupDistribution } from '../../lib/ttl-audit/audit.js'
import { ASB_FIXTURES } from '../../test/helpers.js'

const i = process.argv.indexOf('--copies')
const COPIES = i > 0 ? Number(process.argv[i + 1]) : 50
const file = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))
const bodyStart = file.indexOf('\n+ ') + 1
const head = file.subarray(0, bodyStart)
const body = file.subarray(bodyStart)
const total = head.length + body.length * COPIES

function * chunks (): Generator<Buffer> {
  yield head
  for (let c = 0; c < COPIES; c++) {
    for (let o = 0; o < body.length; o += 1 << 16) yield body.subarray(o, Math.min(body.length, o + (1 << 16)))
  }
}

function tokens (): AsyncIterable<Token> {
  return Readable.from(chunks(), { objectMode: false }).pipe(createAsbDecoder({ file: 'bench' }))
}

async function time (label: string, fn: () => Promise<number>): Promise<void> {
  const t0 = process.hrtime.bigint()
  const c0 = process.cpuUsage()
  const records = await fn()
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const c = process.cpuUsage(c0)
  const cpu = (c.user + c.system) / 1e6
  console.log(`${label.padEnd(28)} ${(total / 1e6).toFixed(0)} MB ${(total / 1e6 / s).toFixed(1).padStart(6)} MB/s wall ${(records / s / 1e6).toFixed(2)} M rec/s | CPU ${(total / 1e6 / cpu).toFixed(1)} MB/s`)
}

for (let round = 0; round < 2; round++) {
  // two rounds: the first warms up the JIT for both
  await time('decode only (baseline)', async () => {
    let n = 0
    for await (const t of tokens()) if (t.kind === 'record') n++
    return n
  })
  await time('decode + ttl audit', async () => {
    const b = await backupDistribution(tokens(), 536000000, 0)
    return b.distribution.records
  })
}
