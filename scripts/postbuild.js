// Chore run after `tsc`: mark every compiled binary executable so `npm ci`
// alone leaves them runnable (tsc keeps the shebang but not the mode bits).
import { readdirSync, chmodSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const dir = new URL('../dist/cmd/', import.meta.url).pathname
if (existsSync(dir)) {
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.js')) chmodSync(join(dir, f), 0o755)
  }
}
