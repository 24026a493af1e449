// Turn SIGINT/SIGTERM into an AbortSignal whose reason is an INTERRUPTED
// AsbError with the shell's 128+N exit status. The process object comes in as
// a parameter (lib never touches process itself). A second signal exits at once.
import type { EventEmitter } from 'node:events'
import { AsbError, ErrorCode } from '../../errors.js'

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const

export function abortOnSignals (proc: EventEmitter & { exit: (code: number) => never }): { signal: AbortSignal, dispose: () => void } {
  const ac = new AbortController()
  const handlers: Array<[string, () => void]> = []
  for (const [name, num] of Object.entries(SIGNALS)) {
    const h = (): void => {
      if (ac.signal.aborted) proc.exit(128 + num)
      ac.abort(new AsbError(ErrorCode.INTERRUPTED, `interrupted by ${name}`, { exitCode: 128 + num }))
    }
    proc.on(name, h)
    handlers.push([name, h])
  }
  return { signal: ac.signal, dispose: () => { for (const [n, h] of handlers) proc.removeListener(n, h) } }
}
