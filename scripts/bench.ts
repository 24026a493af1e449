// Chore: run benchmarks. `npm run bench` lists them; `npm run bench -- asb ndjson`
// runs every bench whose path contains one of the words, one after another
// (never in parallel: they measure throughput). Extra flags after `--` that
// start with `-` go to each bench (e.g. `--records 200000`).
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../bench/', import.meta.url))

function find (dir: string): string[] {
  const out: string[] = []
  for (const f of readdirSync(dir)) {
    const p = join(dir, f)
    if (statSync(p).isDirectory()) out.push(...find(p))
    else if (f.endsWith('.bench.js')) out.push(p)
  }
  return out.sort()
}

const args = process.argv.slice(2)
const words = args.filter(a => !a.startsWith('-'))
const flags = args.filter(a => a.startsWith('-'))
const all = find(root)
if (words.length === 0) {
  process.stdout.write('benchmarks (npm run bench -- NAME... [--flags]):\n')
  for (const p of all) process.stdout.write(`  ${relative(root, p).replace(/\.bench\.js$/, '')}\n`)
  process.exit(0)
}
let status = 0
for (const p of all.filter(p => words.some(w => relative(root, p).includes(w)))) {
  process.stdout.write(`== ${relative(root, p)}\n`)
  const r = spawnSync(process.execPath, [p, ...flags], { stdio: 'inherit' })
  if (r.status !== 0) status = 1
}
process.exit(status)
