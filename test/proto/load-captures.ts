// Loads the golden wire captures (../shared/fixtures/wire/*.jsonl).
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WIRE_FIXTURES } from '../helpers.js'

export interface CapturedMessage {
  scenario: string
  file: string
  /** 0-based line in the file. */
  line: number
  conn: number
  dir: 'c2s' | 's2c'
  /** Whole message: proto header + body. */
  bytes: Buffer
  type: number
  body: Buffer
}

export function captureFiles (): string[] {
  return readdirSync(WIRE_FIXTURES).filter(f => f.endsWith('.jsonl')).sort()
}

export function loadCapture (file: string): CapturedMessage[] {
  const text = readFileSync(join(WIRE_FIXTURES, file), 'utf8')
  const out: CapturedMessage[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    const j = JSON.parse(line) as { scenario: string, conn: number, dir: 'c2s' | 's2c', hex: string }
    const bytes = Buffer.from(j.hex, 'hex')
    out.push({ scenario: j.scenario, file, line: i, conn: j.conn, dir: j.dir, bytes, type: bytes[1]!, body: bytes.subarray(8) })
  })
  return out
}

export function loadAllCaptures (): CapturedMessage[] {
  return captureFiles().flatMap(loadCapture)
}
