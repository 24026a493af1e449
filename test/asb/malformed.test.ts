// Malformed input: every case names its exact message, line, column and byte
// offset, and the error is the same whatever the chunking.
import t from 'tap'
import { AsbDecoder } from '../../lib/asb/decode.js'
import { ParseError } from '../../lib/errors.js'
import type { Token } from '../../lib/types.js'

const H = 'Version 3.1\n# namespace test\n' // 29 bytes, lines 1-2
// 69 bytes, lines 3-8; a bin line then starts at byte 98, line 9
const REC = '+ n test\n+ d 7JEZLUt/jONdXXjTS8ply6qqyWA=\n+ s demo\n+ g 1\n+ t 0\n+ b 1\n'
const DIGEST = '+ d 7JEZLUt/jONdXXjTS8ply6qqyWA=\n'

interface Case { name: string, input: string, message: string, opts?: { maxValueSize?: number, file?: string } }

const CASES: Case[] = [
  { name: 'empty input', input: '', message: 'line 1, col 1 (byte 0): Error while reading version from backup file: the input is empty' },
  { name: 'unsupported version', input: 'Version 3.5\n', message: 'line 1, col 9 (byte 8): Invalid backup file version 3.5' },
  { name: 'no version line', input: 'version 3.1\n', message: 'line 1, col 1 (byte 0): Invalid version line in backup file, expected "Version 3.1"' },
  { name: 'version line longer than 12 bytes', input: 'Version 3.10\n', message: 'line 1, col 12 (byte 11): Invalid version line in backup file, expected "Version 3.1"' },
  { name: 'version line cut', input: 'Version 3.1', message: 'line 1, col 12 (byte 11): Unexpected end of file in version line' },
  { name: 'unknown meta line', input: 'Version 3.1\n# foo\n', message: 'line 2, col 3 (byte 14): Invalid meta data line' },
  { name: 'meta namespace without value', input: 'Version 3.1\n# namespace\n', message: 'line 2, col 12 (byte 23): Invalid meta data line' },
  { name: 'invalid start character', input: H + 'x', message: 'line 3, col 1 (byte 29): Invalid start character "x" in block' },
  { name: 'meta line after the meta section', input: H + REC + '- I x 1\n# first-file\n', message: 'line 10, col 1 (byte 106): Invalid start character "#" in block' },
  { name: 'invalid bin label (upstream test_bad_backup_file)', input: H + REC + '- x baz T\n', message: 'line 9, col 3 (byte 100): Invalid bytes label "x"' },
  { name: 'LDT bin', input: H + REC + '- U ldt 4 AAAA\n', message: 'line 9, col 3 (byte 100): The backup contains LDTs - please use an older version' },
  { name: 'letter in an integer', input: H + REC + '- I x 12a\n', message: 'line 9, col 9 (byte 106): Invalid character "a" in backup block, expected digit' },
  { name: 'int64 overflow', input: H + REC + '- I x 9223372036854775808\n', message: 'line 9, col 7 (byte 104): Integer overflow with number 9223372036854775808 in backup block' },
  { name: 'int64 underflow', input: H + REC + '- I x -9223372036854775809\n', message: 'line 9, col 7 (byte 104): Integer overflow with number -9223372036854775809 in backup block' },
  { name: 'bad character in a double', input: H + REC + '- D x 1.5x\n', message: 'line 9, col 10 (byte 107): Invalid character "x" in backup block, expected floating point notation' },
  { name: 'upper-case exponent', input: H + REC + '- D x 1E5\n', message: 'line 9, col 8 (byte 105): Invalid character "E" in backup block, expected floating point notation' },
  { name: 'incomplete double', input: H + REC + '- D x 1e\n', message: 'line 9, col 7 (byte 104): Invalid floating-point value 1e in backup block' },
  { name: 'base64 length not a multiple of 4', input: H + REC + '- B x 5 AAAAA\n', message: 'line 9, col 7 (byte 104): Invalid encoded data size 5' },
  { name: 'invalid base64 character', input: H + REC + '- B x 4 AA*A\n', message: 'line 9, col 11 (byte 108): Invalid base-64 character "*"' },
  { name: 'end of file inside the digest', input: H + '+ n test\n+ d 7JEZ', message: 'line 4, col 9 (byte 46): Unexpected end of file in backup block' },
  { name: 'invalid key type', input: H + '+ k Q 1\n', message: 'line 3, col 5 (byte 33): Invalid key type character "Q" in block' },
  { name: 'record lines out of order', input: H + '+ n test\n+ x', message: 'line 4, col 3 (byte 40): Unexpected character "x" in backup block, expected "d"' },
  { name: 'first record line neither k nor n', input: H + '+ s demo\n', message: 'line 3, col 3 (byte 31): Unexpected character "s" in backup block, expected "k"' },
  { name: 'namespace of 32 bytes', input: H + '+ n ' + 'a'.repeat(32) + '\n', message: 'line 3, col 36 (byte 64): Buffer overflow while reading token in backup block' },
  { name: 'set of 64 bytes', input: H + '+ n test\n' + DIGEST + '+ s ' + 's'.repeat(64) + '\n', message: 'line 5, col 68 (byte 138): Buffer overflow while reading token in backup block' },
  { name: 'bin name of 1000 bytes', input: H + REC + '- I ' + 'b'.repeat(1000) + ' 1\n', message: 'line 9, col 1004 (byte 1101): Buffer overflow while reading token in backup block' },
  { name: 'invalid global type', input: H + '* x', message: 'line 3, col 3 (byte 31): Invalid global type character "x" in block' },
  { name: 'invalid index type', input: H + '* i test demo idx Q 1 bin N\n', message: 'line 3, col 19 (byte 47): Invalid index type character "Q" in block' },
  { name: 'invalid index path type', input: H + '* i test demo idx N 1 bin X\n', message: 'line 3, col 27 (byte 55): Invalid path type character "X" in block' },
  { name: 'index without paths', input: H + '* i test demo idx N 0 bin N\n', message: 'line 3, col 21 (byte 49): Missing path(s) in index block' },
  { name: 'UDF of a type other than Lua', input: H + '* u P x.lua 1 a\n', message: 'line 3, col 5 (byte 33): Invalid UDF type character "P" in block' },
  { name: 'global line in a 3.0 file', input: 'Version 3.0\n# namespace test\n* i test demo idx N 1 bin N\n', message: 'line 3, col 1 (byte 29): Invalid start character "*" in block' },
  { name: 'boolean other than T/F', input: H + REC + '- Z b X\n', message: 'line 9, col 7 (byte 104): Invalid boolean character "X" in backup block, expected "T" or "F"' },
  { name: 'generation out of range', input: H + '+ n test\n' + DIGEST + '+ g 70000\n', message: 'line 5, col 5 (byte 75): Invalid generation count 70000' },
  { name: 'void-time out of range', input: H + '+ n test\n' + DIGEST + '+ g 1\n+ t 4294967296\n', message: 'line 6, col 5 (byte 81): Invalid expiration time 4294967296' },
  { name: 'negative void-time', input: H + '+ n test\n' + DIGEST + '+ g 1\n+ t -1\n', message: 'line 6, col 5 (byte 81): Invalid expiration time -1' },
  { name: 'bin count out of range', input: H + '+ n test\n' + DIGEST + '+ g 1\n+ t 0\n+ b 70000\n', message: 'line 7, col 5 (byte 87): Invalid bin count 70000' },
  { name: 'end of file inside a string', input: H + REC + '- S x 10 abc', message: 'line 9, col 13 (byte 110): Unexpected end of file in backup block' },
  { name: 'fewer bins than announced', input: H + REC.replace('+ b 1', '+ b 2') + '- I x 1\n', message: 'line 10, col 1 (byte 106): Unexpected end of file in backup block' },
  { name: 'string longer than its length', input: H + REC + '- S x 3 abcd\n', message: 'line 9, col 12 (byte 109): Unexpected character "d" in backup block, expected \\x0a' },
  { name: 'NUL inside a bin name', input: H + REC + '- I a\0b 1\n', message: 'line 9, col 6 (byte 103): Unexpected character \\x00 in backup block, expected " "' },
  { name: 'size above 1024^5', input: H + REC + '- S x 99999999999999999999 a\n', message: 'line 9, col 7 (byte 104): Size overflow with number 99999999999999999999 in backup block' },
  { name: 'LF where a size should end', input: H + REC + '- S x 3\nabc\n', message: 'line 9, col 8 (byte 105): Invalid character \\x0a in backup block, expected digit' },
  { name: 'value above maxValueSize', input: H + REC + '- S x 11 abcdefghijk\n', message: 'line 9, col 7 (byte 104): Size 11 exceeds the limit of 10 bytes', opts: { maxValueSize: 10 } },
  { name: 'string line numbers count LFs inside values', input: H + REC.replace('+ b 1', '+ b 2') + '- S s 3 a\nb\n- Q', message: 'line 11, col 3 (byte 112): Invalid bytes label "Q"' },
  { name: 'file name in the position', input: H + 'x', message: 'dump.asb: line 3, col 1 (byte 29): Invalid start character "x" in block', opts: { file: 'dump.asb' } }
]

function decode (chunks: Buffer[], opts: Case['opts'] = {}): Token[] {
  const out: Token[] = []
  const push = (x: Token): void => { out.push(x) }
  const dec = new AsbDecoder(opts)
  for (const c of chunks) dec.write(c, push)
  dec.end(push)
  return out
}

for (const c of CASES) {
  t.test(`rejects: ${c.name}`, async t => {
    const data = Buffer.from(c.input, 'latin1')
    for (const [how, chunks] of [['whole', [data]], ['byte by byte', [...data].map(b => Buffer.from([b]))]] as const) {
      let err: unknown
      try { decode(chunks as Buffer[], c.opts) } catch (e) { err = e }
      t.ok(err instanceof ParseError, `${how}: ParseError`)
      const pe = err as ParseError
      t.equal(pe.message, c.message, `${how}: message`)
      t.equal(pe.code, 'ASB_ERR_PARSE')
      t.equal(pe.exitCode, 1, 'exit status 1')
    }
  })
}

t.test('accepts the limits themselves', async t => {
  const ns31 = 'a'.repeat(31)
  const set63 = 's'.repeat(63)
  const bin999 = 'b'.repeat(999)
  const input = `Version 3.1\n+ n ${ns31}\n${DIGEST}+ s ${set63}\n+ g 65535\n+ t 4294967295\n+ b 2\n- I ${bin999} -9223372036854775808\n- I x 9223372036854775807\n`
  const tokens = decode([Buffer.from(input, 'latin1')])
  t.same(tokens[0], { kind: 'header', version: '3.1', namespace: null, firstFile: false }, 'no meta lines: namespace null')
  const r = tokens[1]!
  if (r.kind !== 'record') throw new Error('expected a record')
  t.equal(r.namespace, ns31)
  t.equal(r.set, set63)
  t.equal(r.generation, 65535)
  t.equal(r.voidTime, 4294967295)
  t.same(r.bins.map(b => [b.name, b.value]), [[bin999, -9223372036854775808n], ['x', 9223372036854775807n]])
})

t.test('C reader quirks: escapes inside numbers, empty numbers, NUL ends a token', async t => {
  const input = H + '+ n test\n' + DIGEST + '+ g \n+ t 1\\2\n+ b 3\n- I a \n- D b \n- D c -nan\n'
  const [, r] = decode([Buffer.from(input, 'latin1')])
  if (r?.kind !== 'record') throw new Error('expected a record')
  t.equal(r.generation, 0, 'empty generation reads as 0 (accu starts at 0)')
  t.equal(r.voidTime, 12, '1\\2 unescapes to 12')
  t.same(r.bins.slice(0, 2).map(b => b.value), [0n, 0], 'empty integer and double read as 0')
  t.ok(Number.isNaN(r.bins[2]!.value), '-nan')
})

t.test('C reader quirk: `=` inside base64 data counts per quad (read_char_dec)', async t => {
  // quad 1 "AP==" -> 1 byte, quad 2 "//8A" -> 3 bytes; C keeps the first 4 of the 6 decoded bytes
  const input = H + REC + '- B x 8 AP==//8A\n'
  const [, r] = decode([Buffer.from(input, 'latin1')])
  if (r?.kind !== 'record') throw new Error('expected a record')
  t.same([...(r.bins[0]!.value as Buffer)], [0x00, 0xf0, 0x00, 0xff])
  const [, r2] = decode([Buffer.from(H + REC + '- B x 8 AAH/AQ==\n', 'latin1')])
  t.same([...((r2 as typeof r).bins[0]!.value as Buffer)], [0x00, 0x01, 0xff, 0x01], 'padding in the last quad')
})
