// as-compress against the zstd CLI (1.5.x, single thread) at the same level
// on the same input: compression and decompression throughput (MiB/s of
// uncompressed data, whole process including node start-up; wall clock and
// CPU seconds, the steadier figure on a shared machine) and ratio.
//
//   node dist/bench/compress/zstd.bench.js [--mib 256] [--level 3] [--runs 2]
//
// Target: >= 0.9x the CLI both ways. Both write a content checksum (the CLI's
// default and ours).
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { arg, best, emptyFile, loadAverage, makeInput, net, ROOT, row, timed } from './input.js'

const MIB = Number(arg('--mib') ?? 256)
const LEVEL = Number(arg('--level') ?? 3)
const RUNS = Number(arg('--runs') ?? 2)
const AS_COMPRESS = join(ROOT, 'dist', 'cmd', 'as-compress.js')

const input = makeInput(MIB)
try {
  const cliOut = join(input.dir, 'cli.zst')
  const ourOut = join(input.dir, 'ours.zst')
  console.log(`input: ${(input.bytes / 1048576).toFixed(0)} MiB of golden_big.asb variants, level ${LEVEL}, best of ${RUNS}, load average ${loadAverage()}`)
  const cliC = await best(RUNS, async () => await timed('zstd', [`-${LEVEL}`, '-q', '-c', input.path], cliOut))
  const ourC = await best(RUNS, async () => await timed(process.execPath, [AS_COMPRESS, '--level', String(LEVEL), input.path], ourOut))
  const cliSize = statSync(cliOut).size
  const ourSize = statSync(ourOut).size
  const cliD = await best(RUNS, async () => await timed('zstd', ['-d', '-q', '-c', cliOut]))
  const ourD = await best(RUNS, async () => await timed(process.execPath, [AS_COMPRESS, '-d', cliOut]))
  const empty = emptyFile(input.dir)
  const cliStart = await best(RUNS, async () => await timed('zstd', [`-${LEVEL}`, '-q', '-c', empty]))
  const ourStart = await best(RUNS, async () => await timed(process.execPath, [AS_COMPRESS, empty]))
  console.log('whole process:')
  console.log(row(`zstd -${LEVEL} (CLI)`, input.bytes, cliC))
  console.log(row(`as-compress --level ${LEVEL}`, input.bytes, ourC, cliC))
  console.log(row('zstd -d (CLI)', input.bytes, cliD))
  console.log(row('as-compress -d', input.bytes, ourD, cliD))
  console.log(`net of start-up (zstd ${cliStart.wall.toFixed(2)} s wall, as-compress ${ourStart.wall.toFixed(2)} s wall on an empty input):`)
  console.log(row(`zstd -${LEVEL} (CLI)`, input.bytes, net(cliC, cliStart)))
  console.log(row(`as-compress --level ${LEVEL}`, input.bytes, net(ourC, ourStart), net(cliC, cliStart)))
  console.log(row('zstd -d (CLI)', input.bytes, net(cliD, cliStart)))
  console.log(row('as-compress -d', input.bytes, net(ourD, ourStart), net(cliD, cliStart)))
  console.log(`ratio: CLI ${(input.bytes / cliSize).toFixed(3)} (${cliSize} B), as-compress ${(input.bytes / ourSize).toFixed(3)} (${ourSize} B)`)
} finally {
  input.cleanup()
}
