// The README demo (npm run demo) runs and verifies the round trip.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../helpers.js'

t.test('npm run demo: as-scan | as-restore into another namespace, verified equal', async (t) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'demo.js')], { encoding: 'utf8', timeout: 60_000 })
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.match(r.stdout, /^pipeline: +as-scan -h \S+ -n test \| as-restore -h \S+ -n test,bar -i -$/m)
  t.match(r.stdout, /^verified: +test and bar hold the same 17 records/m)
})
