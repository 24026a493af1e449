// Run s3rver on 127.0.0.1:0 in its own process (started by s3rver.ts with
// NODE_OPTIONS=--openssl-legacy-provider, which its paginated listings need).
// Prints the port as one line on stdout, then serves until stdin closes.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const S3rver = require('s3rver') as new (opts: object) => { run: () => Promise<{ port: number }>, close: () => Promise<void> }

const [directory, ...buckets] = process.argv.slice(2)
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: true,
  configureBuckets: buckets.map((name) => ({ name }))
})
const addr = await server.run()
process.stdout.write(`${addr.port}\n`)
process.stdin.resume()
process.stdin.on('end', () => { void server.close().finally(() => process.exit(0)) })
