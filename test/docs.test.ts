// Keeps the binaries, their man pages and package.json in step (STYLE.md §17):
// every `bin` entry has a cmd/ source and a man page, and every long option
// that `--help` prints is documented in that page.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runBin } from './helpers.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> }
const bins = Object.keys(pkg.bin ?? {})

/** roff text with escapes for hyphens removed, so `\-\-level` reads `--level`. */
function manText (name: string): string {
  return readFileSync(join(ROOT, 'man', `${name}.1`), 'utf8').replace(/\\-/g, '-').replace(/\\\(em/g, '--')
}

t.test('every bin entry points at a compiled cmd file with a TypeScript source', async t => {
  for (const name of bins) {
    t.equal(pkg.bin![name], `dist/cmd/${name}.js`, `${name} maps to dist/cmd/${name}.js`)
    t.ok(existsSync(join(ROOT, 'cmd', `${name}.ts`)), `cmd/${name}.ts exists`)
  }
})

t.test('every bin has a man page with the standard sections', async t => {
  for (const name of bins) {
    const path = join(ROOT, 'man', `${name}.1`)
    if (!existsSync(path)) { t.fail(`man/${name}.1 is missing`); continue }
    const text = manText(name)
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO']) {
      t.match(text, new RegExp(`^\\.SH "?${section}"?`, 'm'), `${name}.1 has ${section}`)
    }
  }
})

t.test('every option in --help is documented in the man page', async t => {
  for (const name of bins) {
    if (!existsSync(join(ROOT, 'man', `${name}.1`))) continue
    const res = await runBin(name, ['--help'])
    t.equal(res.code, 0, `${name} --help exits 0`)
    const help = res.stdout.toString() + res.stderr
    const options = new Set([...help.matchAll(/(?:^|[\s,[])(--[a-z][a-z0-9-]*)/g)].map(m => m[1]!))
    t.ok(options.size > 0, `${name} --help lists options`)
    const text = manText(name)
    for (const opt of options) {
      t.ok(text.includes(opt), `${name}.1 documents ${opt}`)
    }
  }
})
