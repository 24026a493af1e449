// cmd/args.ts fastParse() against yargs, on every binary's real option table:
// whatever command line fastParse() accepts, yargs must parse to exactly the
// same object (and not reject). Each binary's main() runs up to its parse
// through the parseHooks test hook, so the tables are the binaries' own.
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { parseHooks } from '../cmd/common.js'
import { fastParse, specOf } from '../cmd/args.js'
import type { Call, ParseSpec } from '../cmd/args.js'

type Main = (argv: string[]) => Promise<number>
interface Outcome { fast?: Record<string, unknown>, yargs: { parsed?: Record<string, unknown>, error?: unknown }, calls: readonly Call[] }

const BINARIES = ['as-compress', 'as-encrypt', 'as-encode', 'as-put-s3', 'as-get-s3', 'as-scan', 'as-restore',
  'as-estimate', 'as-ttl-audit']

const STOP = new Error('stop after parse')
parseHooks.stop = STOP

async function parseBoth (main: Main, argv: string[]): Promise<Outcome> {
  let got: Outcome | undefined
  parseHooks.compare = (fast, yargs, calls) => { got = { fast, yargs, calls } }
  try {
    await main(argv)
  } catch (err) {
    if (err !== STOP) throw err
  } finally {
    parseHooks.compare = undefined
  }
  if (got === undefined) throw new Error(`main(${JSON.stringify(argv)}) did not parse`)
  return got
}

function aliases (def: { alias?: string | readonly string[] }): string[] {
  return typeof def.alias === 'string' ? [def.alias] : [...(def.alias ?? [])]
}

/** Command-line words for a binary: every spelling of every option, and values of every shape. */
function words (spec: ParseSpec): string[] {
  const out = new Set<string>(['x', 'a b', 'in.asb', 's3://bucket/key', '3', '0', '12', '3.5', '1e3', '0x10', '-5', ' 4', '-', '',
    'true', 'false', '--', '-dv', 'aes256', 'aes256-gcm', 'ndjson', 'asb', 'json', 'none', 'text', 'zstd', '--bogus', '-Q'])
  for (const [name, def] of spec.options) {
    if (name === 'help' || name === 'version') continue
    out.add(`--${name}`)
    out.add(`--${name}=v`)
    out.add(`--${name}=7`)
    out.add(`--${name}=`)
    if (def.type === 'boolean') out.add(`--no-${name}`)
    for (const a of aliases(def)) out.add(a.length === 1 ? `-${a}` : `--${a}`)
    for (const c of def.choices ?? []) out.add(String(c))
    const camel = name.replace(/-+([^-])/g, (_m, c: string) => c.toUpperCase())
    if (camel !== name) out.add(`--${camel}`)
  }
  return [...out]
}

for (const name of BINARIES) {
  t.test(name, async t => {
    const { main } = await import(`../cmd/${name}.js`) as { main: Main }
    const first = await parseBoth(main, [])
    const spec = specOf(first.calls)
    t.ok(spec, 'its option table is one fastParse() models')
    if (spec === undefined) return
    // the bare command line: fast, and what yargs says (unless yargs needs a required positional)
    if (first.yargs.parsed !== undefined) t.strictSame(first.fast, first.yargs.parsed, 'no arguments')

    let accepted = 0
    let runs = 0
    await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...words(spec)), { maxLength: 6 }), async (argv) => {
      runs++
      const o = await parseBoth(main, argv)
      if (o.fast === undefined) return
      accepted++
      if (o.yargs.parsed === undefined) throw new Error(`fastParse accepted ${JSON.stringify(argv)}, yargs rejected it: ${String(o.yargs.error)}`)
      if (!isDeepStrictEqual(o.fast, o.yargs.parsed)) {
        throw new Error(`${JSON.stringify(argv)}: fastParse ${JSON.stringify(o.fast)}, yargs ${JSON.stringify(o.yargs.parsed)}`)
      }
    }), { numRuns: 300, seed: 20261121 })
    t.pass(`${runs} generated command lines: fastParse agreed with yargs on all ${accepted} it accepted`)
    t.ok(accepted >= runs / 20, `fastParse took a share of the generated lines (${accepted}/${runs})`)
  })
}

t.test('the pipelines\' everyday command lines skip yargs, and agree with it', async t => {
  const cases: Array<[string, string[]]> = [
    ['as-compress', []],
    ['as-compress', ['-d']],
    ['as-compress', ['--level', '19', 'in.asb', '-o', 'out.zst']],
    ['as-compress', ['--no-check', '-v']],
    ['as-encrypt', ['-y', 'aes256', '--encryption-key-file', 'key.pem']],
    ['as-encrypt', ['-d', '-y', 'aes256-gcm', '--encryption-key-env', 'KEY', 'backup.enc']],
    ['as-encode', ['--to', 'asb', '--compact']],
    ['as-encode', ['--validate', 'backup.asb']],
    ['as-scan', ['-n', 'test', '-s', 'demo', '-h', '127.0.0.1:3000', '--format', 'asb']],
    ['as-restore', ['-n', 'test,bar', '-i', 'backup.asb', '--unique']],
    ['as-put-s3', ['s3://bucket/key']],
    ['as-get-s3', ['s3://bucket/key', 'out.asb']]
  ]
  for (const [name, argv] of cases) {
    const { main } = await import(`../cmd/${name}.js`) as { main: Main }
    const o = await parseBoth(main, argv)
    t.ok(o.fast !== undefined, `${name} ${argv.join(' ')}: fast path`)
    t.strictSame(o.fast, o.yargs.parsed, `${name} ${argv.join(' ')}: as yargs`)
  }
})

t.test('a table with an option fastParse() does not model (array: true) always goes to yargs', async t => {
  const { main } = await import('../cmd/as-test-server.js') as { main: Main }
  for (const argv of [[], ['--nodes', '2'], ['-n', 'test', '-n', 'bar']]) {
    const o = await parseBoth(main, argv)
    t.equal(specOf(o.calls), undefined)
    t.equal(o.fast, undefined, JSON.stringify(argv))
    t.ok(o.yargs.parsed, 'yargs parsed it')
  }
})

t.test('fastParse declines what it does not model', async t => {
  const spec: ParseSpec = {
    scriptName: 'x',
    options: new Map<string, Record<string, unknown>>([
      ['verbose', { alias: 'v', type: 'boolean', default: false }],
      ['level', { type: 'number' }],
      ['out', { alias: 'o', type: 'string' }],
      ['help', { type: 'boolean' }]
    ]),
    positionals: [{ name: 'file', required: false }],
    camelCase: true,
    booleanNegation: true,
    strictOptions: true,
    strictPositionals: true
  }
  t.strictSame(fastParse(spec, ['-v', '--level', '3', 'f']), { _: [], $0: 'x', verbose: true, v: true, level: 3, file: 'f' })
  for (const argv of [['--help'], ['-vv'], ['--level', '1e3'], ['--level', '-1'], ['--out'], ['-o', '-x'], ['--out', 'a', '--out', 'b'],
    ['a', 'b'], ['123'], ['-'], ['--'], ['--bogus'], ['--verbose', 'false'], ['--verbose=true'], ['--no-level']]) {
    t.equal(fastParse(spec, argv), undefined, JSON.stringify(argv))
  }
  t.equal(specOf([['option', ['n', { type: 'array' }]]]), undefined, 'array options')
  t.equal(specOf([['option', ['n', { type: 'string', coerce: String }]]]), undefined, 'coerce')
  t.equal(specOf([['conflicts', ['a', 'b']]]), undefined, 'unknown chain calls')
  t.equal(specOf([['command', ['run <x>', false]]]), undefined, 'named commands')
})
