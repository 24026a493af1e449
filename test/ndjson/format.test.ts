// Input format detection (lib/format.ts): `Version ` = .asb, else NDJSON,
// and the sniffed stream replays every byte.
import t from 'tap'
import { Readable } from 'node:stream'
import { detectFormat, sniffFormat } from '../../lib/format.js'
import { runBin } from '../helpers.js'

async function all (r: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of r) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

t.test('detectFormat', async t => {
  t.equal(detectFormat(Buffer.from('Version 3.1\n')), 'asb')
  t.equal(detectFormat(Buffer.from('{"$meta":"header"}')), 'ndjson')
  t.equal(detectFormat(Buffer.from('')), 'ndjson', 'empty input is (empty) NDJSON')
  t.equal(detectFormat(Buffer.from('Vers')), 'asb', 'a short prefix of "Version " is .asb (and gets its error)')
  t.equal(detectFormat(Buffer.from('Vers'), false), null, 'undecided while more may come')
  t.equal(detectFormat(Buffer.from('version 3.1')), 'ndjson')
})

t.test('sniffFormat replays the bytes whatever the chunking', async t => {
  const text = Buffer.from('Version 3.1\n# namespace test\n')
  for (const size of [1, 3, 8, 100]) {
    const chunks: Buffer[] = []
    for (let i = 0; i < text.length; i += size) chunks.push(text.subarray(i, i + size))
    const { format, stream } = await sniffFormat(Readable.from(chunks))
    t.equal(format, 'asb', `chunks of ${size}`)
    t.same(await all(stream), text, `chunks of ${size}: all bytes`)
  }
  const nd = await sniffFormat(Readable.from([Buffer.from('{}\n')]))
  t.equal(nd.format, 'ndjson')
  t.same(await all(nd.stream), Buffer.from('{}\n'))
  const empty = await sniffFormat(Readable.from([]))
  t.equal(empty.format, 'ndjson')
  t.equal((await all(empty.stream)).length, 0)
})

t.test('as-encode reports a missing file in one line, exit 1', async t => {
  const r = await runBin('as-encode', ['/nonexistent/x.asb'])
  t.equal(r.code, 1)
  t.equal(r.stderr, "as-encode: ENOENT: no such file or directory, open '/nonexistent/x.asb'\n")
})
