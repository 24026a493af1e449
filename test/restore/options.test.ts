import t from 'tap'
import { UsageError } from '../../lib/errors.js'
import { parseNice, validateRestoreOptions } from '../../lib/restore/options.js'
import type { RawRestoreArgs } from '../../lib/restore/options.js'

const cases: Array<{ name: string, args: RawRestoreArgs, message: string }> = [
  { name: 'no input at all', args: {}, message: 'Invalid options: please specify a directory (-d option), directory list (--directory-list option), or an input file (-i option).' },
  { name: '--parent-directory without --directory-list', args: { inputFile: 'x', parentDirectory: 'p' }, message: 'Invalid options: --parent-directory should always be used with, and only applies to --directory-list.' },
  { name: '-d with -i', args: { directory: 'd', inputFile: 'f' }, message: 'Invalid options: --directory and --input-file are mutually exclusive.' },
  { name: '--unique with --replace', args: { inputFile: 'f', unique: true, replace: true }, message: 'Invalid options: --unique is mutually exclusive with --replace and --no-generation.' },
  { name: '--unique with --no-generation', args: { inputFile: 'f', unique: true, noGeneration: true }, message: 'Invalid options: --unique is mutually exclusive with --replace and --no-generation.' },
  { name: '-d with --directory-list', args: { directory: 'd', directoryList: 'a,b' }, message: 'Invalid options: --directory and --directory-list are mutually exclusive.' },
  { name: '-i with --directory-list', args: { inputFile: 'f', directoryList: 'a,b' }, message: 'Invalid options: --input-file and --directory-list are mutually exclusive.' },
  { name: 'encryption mode without key', args: { inputFile: 'f', encrypt: 'aes128' }, message: 'Must specify both encryption mode and a private key file/environment variable' },
  { name: 'key without encryption mode', args: { inputFile: 'f', encryptionKeyFile: 'k.pem' }, message: 'Must specify both encryption mode and a private key file/environment variable' },
  { name: 'bad compression', args: { inputFile: 'f', compress: 'lz4' }, message: 'Invalid compression type "lz4"' },
  { name: 'parallel 0', args: { inputFile: 'f', parallel: '0' }, message: 'Invalid threads value 0' },
  { name: 'parallel 4097', args: { inputFile: 'f', parallel: '4097' }, message: 'Invalid threads value 4097' },
  { name: 'parallel not a number', args: { inputFile: 'f', parallel: '3x' }, message: 'Invalid threads value 3x' },
  { name: 'negative extra-ttl', args: { inputFile: 'f', extraTtl: '-1' }, message: 'Invalid extra-ttl value -1' },
  { name: 'extra-ttl above INT32_MAX', args: { inputFile: 'f', extraTtl: '2147483648' }, message: 'Invalid extra-ttl value 2147483648' },
  { name: 'bad timeout', args: { inputFile: 'f', timeout: 'abc' }, message: 'Invalid timeout value abc' },
  { name: 'bad max retries', args: { inputFile: 'f', maxRetries: '-2' }, message: 'Invalid max retries value -2' },
  { name: 'bad retry scale factor', args: { inputFile: 'f', retryScaleFactor: 'x' }, message: 'Invalid retry delay value x' },
  { name: 'bad batch size', args: { inputFile: 'f', batchSize: '-1' }, message: 'Invalid batch-size value -1' },
  { name: 'bad port', args: { inputFile: 'f', port: '70000' }, message: 'Invalid port value 70000' },
  { name: 'nice with one item', args: { inputFile: 'f', nice: '10' }, message: 'Invalid nice option' },
  { name: 'nice bandwidth 0', args: { inputFile: 'f', nice: '0,10' }, message: 'Invalid bandwidth value 0' },
  { name: 'nice tps 0', args: { inputFile: 'f', nice: '10,0' }, message: 'Invalid TPS value 0' },
  { name: 'three namespaces', args: { inputFile: 'f', namespace: 'a,b,c' }, message: 'Invalid namespace option' },
  { name: 'namespace too long', args: { inputFile: 'f', namespace: 'x'.repeat(32) }, message: `Error while parsing namespace list: Item with invalid length in namespace list ${'x'.repeat(32)}` },
  { name: 'bad declared stdin size', args: { inputFile: '-:x' }, message: 'Invalid input file size x' },
  { name: 'empty bin list item', args: { inputFile: 'f', binList: 'a,,b' }, message: 'Item with invalid length in bin list a,,b' }
]

t.test('validation messages are asrestore\'s', async (t) => {
  for (const c of cases) {
    t.throws(() => validateRestoreOptions(c.args), new UsageError(c.message), c.name)
    try { validateRestoreOptions(c.args) } catch (err) { t.equal((err as UsageError).exitCode, 2, `${c.name}: usage exit status`) }
  }
})

t.test('defaults', async (t) => {
  const o = validateRestoreOptions({ inputFile: 'f.asb' })
  t.same(o.input, { kind: 'file', path: 'f.asb' })
  t.equal(o.parallel, 20)
  t.equal(o.maxRetries, 5)
  t.equal(o.retryScaleFactor, 150000)
  t.equal(o.maxAsyncBatches, 32)
  t.equal(o.batchSize, undefined)
  t.equal(o.timeout, 10000)
  t.equal(o.extraTtl, 0)
  t.equal(o.namespace, null)
  t.equal(o.nice, null)
})

t.test('inputs', async (t) => {
  t.same(validateRestoreOptions({ inputFile: '-' }).input, { kind: 'stdin' })
  t.same(validateRestoreOptions({ inputFile: '-:1234' }).input, { kind: 'stdin', size: 1234 })
  t.same(validateRestoreOptions({ directory: 'd' }).input, { kind: 'directories', paths: ['d'] })
  t.same(validateRestoreOptions({ directoryList: 'a,b/', parentDirectory: '/p' }).input, { kind: 'directories', paths: ['/p/a', '/p/b/'] })
  t.same(validateRestoreOptions({ directoryList: 'a' }).input, { kind: 'directories', paths: ['a'] })
})

t.test('namespace, sets, bins, nice', async (t) => {
  t.same(validateRestoreOptions({ inputFile: 'f', namespace: 'test' }).namespace, { src: 'test', dst: 'test' })
  t.same(validateRestoreOptions({ inputFile: 'f', namespace: 'test,bar' }).namespace, { src: 'test', dst: 'bar' })
  t.same(validateRestoreOptions({ inputFile: 'f', setList: 'a,b' }).sets, ['a', 'b'])
  t.same(validateRestoreOptions({ inputFile: 'f', binList: 'x' }).bins, ['x'])
  t.same(parseNice('2,100'), { bytesPerSecond: 2 * 1024 * 1024, tps: 100 })
})
