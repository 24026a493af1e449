// as-encrypt against `openssl enc -aes-256-ctr` on the same input, both ways,
// plus the authenticated aes256-gcm mode (openssl enc has no AEAD mode, so it
// is shown beside the same CTR baseline). Whole processes, wall and CPU time.
// Encryption writes to a file (both sides), decryption to /dev/null (both).
//
//   node dist/bench/crypto/aes.bench.js [--mib 256] [--runs 2]
//
// Target: >= 0.9x openssl for aes256 (CTR).
import { join } from 'node:path'
import { arg, best, emptyFile, FIXTURES, loadAverage, makeInput, net, ROOT, row, timed } from '../compress/input.js'

const MIB = Number(arg('--mib') ?? 256)
const RUNS = Number(arg('--runs') ?? 2)
const AS_ENCRYPT = join(ROOT, 'dist', 'cmd', 'as-encrypt.js')
const KEY = join(FIXTURES, 'key.pem')
// K of key.pem (MANIFEST.md) and any IV: openssl only needs the same amount of work.
const K = 'c0c6645bcc28f2f64fa631eb9b60571c8f4e4fd5e6e979f46d224b7bada25955'
const IV = '00112233445566778899aabbccddeeff'

const input = makeInput(MIB)
try {
  const ctr = join(input.dir, 'ctr.enc')
  const gcm = join(input.dir, 'gcm.enc')
  console.log(`input: ${(input.bytes / 1048576).toFixed(0)} MiB of golden_big.asb variants, best of ${RUNS}, load average ${loadAverage()}`)
  // Both encryptors write their output to a file in the same directory (ours
  // must, to have a file to decrypt): writing 257 MiB into the page cache
  // costs far more than writing it to /dev/null.
  const opensslOut = join(input.dir, 'openssl.enc')
  const openssl = await best(RUNS, async () => await timed('openssl', ['enc', '-aes-256-ctr', '-K', K, '-iv', IV, '-in', input.path], opensslOut))
  const ours = await best(RUNS, async () => await timed(process.execPath, [AS_ENCRYPT, '-y', 'aes256', '--encryption-key-file', KEY, input.path], ctr))
  const opensslD = await best(RUNS, async () => await timed('openssl', ['enc', '-d', '-aes-256-ctr', '-K', K, '-iv', IV, '-in', ctr]))
  const oursD = await best(RUNS, async () => await timed(process.execPath, [AS_ENCRYPT, '-d', '-y', 'aes256', '--encryption-key-file', KEY, ctr]))
  const gcmE = await best(RUNS, async () => await timed(process.execPath, [AS_ENCRYPT, '-y', 'aes256-gcm', '--encryption-key-file', KEY, input.path], gcm))
  const gcmD = await best(RUNS, async () => await timed(process.execPath, [AS_ENCRYPT, '-d', '-y', 'aes256-gcm', '--encryption-key-file', KEY, gcm]))
  const empty = emptyFile(input.dir)
  const osslStart = await best(RUNS, async () => await timed('openssl', ['enc', '-aes-256-ctr', '-K', K, '-iv', IV, '-in', empty]))
  const oursStart = await best(RUNS, async () => await timed(process.execPath, [AS_ENCRYPT, '-y', 'aes256', '--encryption-key-file', KEY, empty]))
  console.log('whole process:')
  console.log(row('openssl enc -aes-256-ctr', input.bytes, openssl))
  console.log(row('as-encrypt -y aes256', input.bytes, ours, openssl))
  console.log(row('openssl enc -d -aes-256-ctr', input.bytes, opensslD))
  console.log(row('as-encrypt -d -y aes256', input.bytes, oursD, opensslD))
  console.log(row('as-encrypt -y aes256-gcm', input.bytes, gcmE, openssl))
  console.log(row('as-encrypt -d -y aes256-gcm', input.bytes, gcmD, opensslD))
  console.log(`net of start-up (openssl ${osslStart.wall.toFixed(2)} s wall, as-encrypt ${oursStart.wall.toFixed(2)} s wall on an empty input):`)
  console.log(row('openssl enc -aes-256-ctr', input.bytes, net(openssl, osslStart)))
  console.log(row('as-encrypt -y aes256', input.bytes, net(ours, oursStart), net(openssl, osslStart)))
  console.log(row('openssl enc -d -aes-256-ctr', input.bytes, net(opensslD, osslStart)))
  console.log(row('as-encrypt -d -y aes256', input.bytes, net(oursD, oursStart), net(opensslD, osslStart)))
  console.log(row('as-encrypt -y aes256-gcm', input.bytes, net(gcmE, oursStart), net(openssl, osslStart)))
  console.log(row('as-encrypt -d -y aes256-gcm', input.bytes, net(gcmD, oursStart), net(opensslD, osslStart)))
} finally {
  input.cleanup()
}
