// The man pages of as-compress and as-encrypt document every option the
// binaries accept, with the sections every page has.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, runBin } from '../helpers.js'

for (const name of ['as-compress', 'as-encrypt']) {
  t.test(`${name}(1) covers every option of ${name} --help`, async (t) => {
    const page = readFileSync(join(ROOT, 'man', `${name}.1`), 'utf8')
    for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'ENVIRONMENT', 'EXAMPLES', 'SEE ALSO']) {
      t.match(page, new RegExp(`^\\.S[HS] "?${section}"?$`, 'm'), `section ${section}`)
    }
    const help = await runBin(name, ['--help'])
    t.equal(help.code, 0)
    const options = [...help.stdout.toString().matchAll(/^\s+(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]!)
    t.ok(options.length >= 5, `options found: ${options.join(' ')}`)
    for (const o of options) {
      const roff = o.replace(/-/g, '\\\\-')
      t.match(page, new RegExp(`\\\\-\\\\-(no\\\\-)?${roff}\\b|\\\\-\\\\-${roff.replace(/^no\\\\-/, '')}`), `--${o} is documented`)
    }
    t.match(page, /as-scan .*\| as-encode \| as-compress \| \\e\n\s+as-encrypt \\-y aes256 \\-\\-encryption\\-key\\-file key\.pem > backup\.asb/, 'the backup recipe')
  })
}
