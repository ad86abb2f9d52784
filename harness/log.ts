import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';

/** Progress for people (stderr, one line a step) and JSON lines for machines (harness.log). */
export interface Logger {
  /** A line a person watching the run should see. */
  progress(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Where JSON lines go; none means no file log. */
  readonly file?: string;
  /** Where progress lines go. @default process.stderr */
  readonly out?: { write(s: string): unknown };
  /** Print nothing to `out` (tests). @default false */
  readonly quiet?: boolean;
  readonly startedAt?: number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const startedAt = opts.startedAt ?? Date.now();
  const out = opts.out ?? process.stderr;
  let file: pino.Logger | undefined;
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    file = pino({ base: null }, pino.destination({ dest: opts.file, sync: true }));
  }
  const make = (bindings: Record<string, unknown>, fileLog: pino.Logger | undefined): Logger => {
    const prefix = typeof bindings.scope === 'string' ? `${bindings.scope}: ` : '';
    return {
      progress(msg, fields) {
        fileLog?.info(fields ?? {}, msg);
        if (opts.quiet) return;
        const t = ((Date.now() - startedAt) / 1000).toFixed(1).padStart(6);
        out.write(`[${t}s] ${prefix}${msg}\n`);
      },
      debug(msg, fields) {
        fileLog?.debug(fields ?? {}, msg);
      },
      warn(msg, fields) {
        fileLog?.warn(fields ?? {}, msg);
        if (!opts.quiet) out.write(`warning: ${prefix}${msg}\n`);
      },
      child(more) {
        const merged = { ...bindings, ...more };
        return make(merged, fileLog?.child(more));
      },
    };
  };
  if (file) file.level = 'debug';
  return make({}, file);
}

/** A logger that drops everything, for unit tests. */
export const silentLogger: Logger = createLogger({ quiet: true });
