#!/usr/bin/env node
// as-encrypt: AES filter for the end of a backup pipeline. -y aes128|aes256 is
// asbackup's AES-CTR format (asb-format.md §4); -y aes256-gcm is our
// authenticated format (lib/crypto/aead.ts), recognised by its magic on -d.
import { readFileSync, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, fileArg, makeLog, openInput, openOutput, pipeToOutput, run } from './common.js'
import { AsbError, ErrorCode, UsageError } from '../lib/errors.js'
import { keyFromBase64, keyFromPem } from '../lib/crypto/key.js'
import { minorGc, primeAllocator } from '../lib/compress/reclaim.js'
import type { KeyMaterial } from '../lib/crypto/key.js'
import { createDecryptStream, createEncryptStream, ENCRYPT_MODES } from '../lib/crypto/stream.js'
import type { EncryptMode } from '../lib/crypto/stream.js'

const NAME = 'as-encrypt'

function readKeyFile (path: string): KeyMaterial {
  let pem: Buffer
  try {
    pem = readFileSync(path)
  } catch (err) {
    throw new AsbError(ErrorCode.CRYPTO, `cannot read key file ${path}: ${(err as { code?: string }).code ?? String(err)}`)
  }
  return keyFromPem(pem, path)
}

export async function main (argv: string[]): Promise<number> {
  const args = await baseParser(NAME, argv, '$0 -y aes128|aes256|aes256-gcm (--encryption-key-file PEM | --encryption-key-env VAR) [-d] [FILE|-]\n\n' +
    'Encrypt FILE (default stdin) to stdout, or decrypt it with -d. aes128/aes256: asbackup\'s AES-CTR format ' +
    '(asrestore -y reads it). aes256-gcm: authenticated chunks; tampering and wrong keys are detected.')
    .option('decrypt', { alias: 'd', type: 'boolean', default: false, describe: 'Decrypt (an aes256-gcm file is recognised whatever -y says)' })
    .option('encrypt', { alias: 'y', type: 'string', choices: ENCRYPT_MODES as unknown as string[], describe: 'Mode' })
    .option('encryption-key-file', { type: 'string', describe: 'PEM private key; the AES key is SHA-256 of its DER (as asbackup)' })
    .option('encryption-key-env', { type: 'string', describe: 'Name of an environment variable holding the base64 DER key (as asbackup)' })
    .option('output', { alias: 'o', type: 'string', describe: 'Write to FILE instead of stdout (removed again on failure)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Write binary to a terminal; on -d, decrypt even if the input or result looks wrong (warn instead)' })
    .command('$0 [file]', false)
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const log = makeLog(NAME, args.verbose)
  const keyFile = args['encryption-key-file']
  const keyEnv = args['encryption-key-env']
  if (keyFile !== undefined && keyEnv !== undefined) {
    throw new UsageError('give either --encryption-key-file or --encryption-key-env, not both')
  }
  if (args.encrypt === undefined) {
    throw new UsageError(keyFile !== undefined || keyEnv !== undefined
      ? 'a key needs a mode: add -y aes128, -y aes256 or -y aes256-gcm'
      : 'missing -y aes128|aes256|aes256-gcm and a key (--encryption-key-file or --encryption-key-env)')
  }
  if (keyFile === undefined && keyEnv === undefined) {
    throw new UsageError(`-y ${args.encrypt} needs a key: --encryption-key-file PEM or --encryption-key-env VAR`)
  }
  // yargs 18 parses a lone `-` positional as `true`.
  const file = fileArg(args.file)
  let key: KeyMaterial
  if (keyEnv !== undefined) {
    const value = process.env[keyEnv]
    if (value === undefined || value === '') throw new UsageError(`environment variable ${keyEnv} is not set or empty`)
    key = keyFromBase64(value, `$${keyEnv}`)
  } else {
    key = readKeyFile(keyFile!)
  }
  const mode = args.encrypt as EncryptMode
  const input = openInput(file, { highWaterMark: 1024 * 1024 })
  const reclaim = minorGc()
  primeAllocator(reclaim)
  const stage = args.decrypt
    ? createDecryptStream({
      mode, key, file: input.name, force: args.force, reclaim,
      onWarning: (m) => { log.error(m) },
      onFormat: (f) => { log.verbose(f === 'aead' ? 'authenticated aes256-gcm file' : `asbackup AES-CTR file, -y ${mode}`) }
    })
    : createEncryptStream({ mode, key, reclaim })
  const out = openOutput(args.output, { binary: true, force: args.force })
  await pipeToOutput(input.stream, stage, out)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
