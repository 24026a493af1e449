import t from 'tap'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ASB_FIXTURES, bin, runBin } from '../helpers.js'
import { runProgram, runUntilReaderLeaves } from './helpers.js'

const golden = readFileSync(join(ASB_FIXTURES, 'golden.asb'))
const goldenZstd = readFileSync(join(ASB_FIXTURES, 'golden_zstd.asb'))

t.test('compresses stdin, FILE and - to stdout; zstd -d and as-compress -d read it back', async (t) => {
  for (const args of [[], ['-'], [join(ASB_FIXTURES, 'golden.asb')], ['-z', 'zstd', '--level', '19']]) {
    const r = await runBin('as-compress', args, { input: args.length === 1 && args[0] !== '-' ? undefined : golden })
    t.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    t.equal(r.stderr, '')
    const cli = await runProgram('zstd', ['-dc'], r.stdout)
    t.ok(cli.stdout.equals(golden), `${args.join(' ')}: zstd -d restores`)
  }
  const z = (await runProgram('zstd', ['-c', '-19'], golden)).stdout
  const back = await runBin('as-compress', ['-d', '-'], { input: z })
  t.ok(back.stdout.equals(golden), 'as-compress -d - restores what zstd -19 wrote')
})

t.test('decompresses asbackup output exactly like zstd -d', async (t) => {
  const r = await runBin('as-compress', ['-d', '-v', join(ASB_FIXTURES, 'golden_zstd.asb')])
  t.equal(r.code, 0)
  const cli = await runProgram('zstd', ['-dc'], goldenZstd)
  t.ok(r.stdout.equals(cli.stdout))
  t.equal(r.stderr, `as-compress: ${goldenZstd.length} -> ${cli.stdout.length} bytes, 1 frame(s)\n`)
})

t.test('bad input: one line naming the file, the byte offset and what it looks like; exit 1', async (t) => {
  const plain = await runBin('as-compress', ['-d', join(ASB_FIXTURES, 'golden.asb')])
  t.equal(plain.code, 1)
  t.equal(plain.stderr, `as-compress: ${join(ASB_FIXTURES, 'golden.asb')}: byte 0: not zstd data: this looks like a plain .asb backup (starts with "Version 3.1"); it is not compressed, so leave out as-compress -d\n`)
  t.equal(plain.stdout.length, 0)
  const aes = await runBin('as-compress', ['-d'], { input: readFileSync(join(ASB_FIXTURES, 'golden_zstd_aes256.asb')) })
  t.equal(aes.code, 1)
  t.match(aes.stderr, /^as-compress: stdin: byte 0: not zstd data: .*asbackup AES-CTR encrypted files look like; if it is an encrypted backup, decrypt it first with as-encrypt -d/)
  const cut = await runBin('as-compress', ['-d'], { input: goldenZstd.subarray(0, 4000) })
  t.equal(cut.code, 1)
  t.match(cut.stderr, /^as-compress: stdin: byte 4000: truncated zstd data: input ends inside block 1 of frame 1 \(block starts at byte \d+\); at least \d+ more byte\(s\) expected\n$/)
  const empty = await runBin('as-compress', ['-d'], { input: '' })
  t.equal(empty.code, 1)
  t.equal(empty.stderr, 'as-compress: stdin: byte 0: input is empty; expected zstd data\n')
  const missing = await runBin('as-compress', ['/nonexistent/x.asb'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /^as-compress: ENOENT: no such file or directory, open '\/nonexistent\/x\.asb'\n$/)
})

t.test('usage errors exit 2', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--level', '23'], /--level must be an integer from 1 to 22/],
    [['--level', '0'], /--level must be an integer from 1 to 22/],
    [['-d', '--level', '3'], /--level only applies when compressing/],
    [['-d', '--workers', '2'], /--workers only applies when compressing/],
    [['--workers', '65'], /--workers must be an integer from 0 to 64/],
    [['-z', 'lz4'], /unsupported compression "lz4": only zstd/],
    [['--bogus'], /Unknown argument/],
    [['a', 'b'], /Unknown argument|Too many/]
  ]
  for (const [args, re] of cases) {
    const r = await runBin('as-compress', args, { input: golden })
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, re)
    t.equal(r.stdout.length, 0)
  }
})

t.test('-o writes a file, and removes it again when decompression fails', async (t) => {
  const dir = t.testdir({})
  const out = join(dir, 'out.zst')
  const r = await runBin('as-compress', ['-o', out], { input: golden })
  t.equal(r.code, 0)
  t.ok((await runProgram('zstd', ['-dc', out])).stdout.equals(golden))
  const bad = join(dir, 'bad.asb')
  const f = await runBin('as-compress', ['-d', '-o', bad], { input: goldenZstd.subarray(0, 3000) })
  t.equal(f.code, 1)
  t.notOk(existsSync(bad), 'no truncated output file left behind')
})

t.test('refuses to write compressed data to a terminal (real pty via script), unless -f', async (t) => {
  if (!existsSync('/usr/bin/script')) { t.comment('no script(1): skipped'); return }
  const dir = t.testdir({})
  const log = join(dir, 'tty.log')
  writeFileSync(log, '')
  const cmd = `${process.execPath} ${bin('as-compress')} ${join(ASB_FIXTURES, 'golden.asb')}`
  const r = await runProgram('script', ['-qec', cmd, log])
  t.equal(r.code, 2)
  t.match(r.stdout.toString(), /as-compress: refusing to write binary data to a terminal/)
  const forced = await runProgram('script', ['-qec', `${cmd} -f`, log])
  t.equal(forced.code, 0, '-f writes anyway')
  // -d writes .asb text, which a terminal may show.
  const d = await runProgram('script', ['-qec', `${process.execPath} ${bin('as-compress')} -d ${join(ASB_FIXTURES, 'golden_zstd.asb')}`, log])
  t.equal(d.code, 0)
  t.match(d.stdout.toString(), /^Version 3\.1/)
})

t.test('a reader that goes away ends the run quietly', async (t) => {
  const big = readFileSync(join(ASB_FIXTURES, 'golden_big.asb'))
  const z = (await runProgram('zstd', ['-c', '-1'], big)).stdout
  t.ok(z.length > 0)
  const result = await runUntilReaderLeaves(bin('as-compress'), ['-d'], Buffer.concat([z, z, z, z]))
  t.equal(result.code, 0)
  t.equal(result.stderr, '')
})
