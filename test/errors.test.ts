import t from 'tap'
import { PassThrough } from 'node:stream'
import { AsbError, ErrorCode, ParseError, UsageError, formatPosition, isBrokenPipe } from '../lib/errors.js'
import { fileArg, reportError } from '../cmd/common.js'
import { nameBytes, nameFromBytes, nameEquals } from '../lib/name.js'

t.test('usage errors exit 2, others 1', async t => {
  t.equal(new UsageError('bad flag').exitCode, 2)
  t.equal(new AsbError(ErrorCode.IO, 'disk').exitCode, 1)
  t.equal(new AsbError(ErrorCode.CRYPTO, 'x', { exitCode: 3 }).exitCode, 3)
})

t.test('parse errors carry their position in the message', async t => {
  const e = new ParseError('expected space', { file: 'x.asb', line: 4, column: 46, offset: 120 })
  t.equal(e.message, 'x.asb: line 4, col 46 (byte 120): expected space')
  t.equal(e.code, 'ASB_ERR_PARSE')
  t.equal(formatPosition({ offset: 7 }), 'byte 7')
  t.equal(formatPosition({ file: 'stdin', line: 2 }), 'stdin: line 2')
})

t.test('reportError prints one prefixed line, plus a hint for usage errors', async t => {
  const sink = new PassThrough()
  let text = ''
  sink.on('data', (c: Buffer) => { text += c.toString() })
  t.equal(reportError('as-x', new UsageError('-y needs a key'), sink), 2)
  t.equal(text, 'as-x: -y needs a key\nrun `as-x --help` for usage\n')
  text = ''
  t.equal(reportError('as-x', new ParseError('bad', { line: 1 }), sink), 1)
  t.equal(text, 'as-x: line 1: bad\n')
  t.equal(reportError('as-x', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }), sink), 0)
  t.ok(isBrokenPipe({ code: 'EPIPE' }))
})

t.test('names are strings when valid UTF-8 and bytes otherwise', async t => {
  t.equal(nameFromBytes(Buffer.from('bin1')), 'bin1')
  t.equal(nameFromBytes(Buffer.from('ü')), 'ü')
  const bad = nameFromBytes(Buffer.from([0x61, 0xff]))
  t.ok(Buffer.isBuffer(bad))
  t.same(nameBytes(bad), Buffer.from([0x61, 0xff]))
  t.ok(nameEquals('a', Buffer.from('a')))
  t.notOk(nameEquals('a', 'b'))
})

t.test('fileArg maps what yargs makes of a bare - back to -', async t => {
  t.equal(fileArg(undefined), undefined)
  t.equal(fileArg(''), '-')
  t.equal(fileArg(true), '-')
  t.equal(fileArg('-'), '-')
  t.equal(fileArg('x.asb'), 'x.asb')
  t.throws(() => fileArg(3), { message: 'FILE must be a path or -' })
})
