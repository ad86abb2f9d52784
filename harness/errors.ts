/** What went wrong in the harness itself (never a finding about etcd: those are check results). */
export type HarnessErrorCode =
  | 'BAD_INPUT' // the user asked for something we cannot do: unknown version, scenario, flag value
  | 'ETCD_DIST' // binaries could not be found, fetched or verified
  | 'PROVIDER_START' // a member or cluster did not come up
  | 'CLUSTER_UNHEALTHY'
  | 'ETCDCTL' // an etcdctl/etcdutl call failed
  | 'STRATEGY'
  | 'FAULT_INJECT' // a fault could not be injected or healed
  | 'EXTENSION' // probes or a control plane could not start or be read
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CLEANUP';

export class HarnessError extends Error {
  readonly code: HarnessErrorCode;
  readonly details?: Readonly<Record<string, unknown>>;
  constructor(
    code: HarnessErrorCode,
    message: string,
    opts: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'HarnessError';
    this.code = code;
    if (opts.details) this.details = opts.details;
  }
}

export interface SerializedError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: SerializedError;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (err instanceof AggregateError && depth < 4) {
    return { message: err.message, cause: serializeError(err.errors[0], depth + 1) };
  }
  if (err instanceof Error) {
    const out: {
      code?: string;
      message: string;
      details?: Record<string, unknown>;
      cause?: SerializedError;
    } = {
      message: err.message,
    };
    if (err instanceof HarnessError) {
      out.code = err.code;
      if (err.details) out.details = { ...err.details };
    } else if (err.name === 'AbortError') {
      out.code = 'ABORTED';
    }
    if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
    return out;
  }
  return { message: String(err) };
}

/** One line for a terminal: the outer message plus the innermost cause, which usually names the fix. */
export function oneLine(err: unknown): string {
  const s = serializeError(err);
  let inner = s;
  while (inner.cause) inner = inner.cause;
  return inner === s ? s.message : `${s.message}: ${inner.message}`;
}

export function isAbort(err: unknown): boolean {
  return (
    (err instanceof Error && err.name === 'AbortError') ||
    (err instanceof HarnessError && err.code === 'ABORTED')
  );
}

/** Which step of a drill etcd refused: the backup (a finding of its own) or the restore. */
export type RefusalPhase = 'backup' | 'restore';

/**
 * etcd itself refused a step (a restore from a corrupt snapshot; a backup that failed or hung). Not a
 * harness failure: the runner records it as the scenario's observed outcome, quoting etcd's own error.
 */
export class Refusal extends Error {
  constructor(
    /** As the report says it: 'refused: corrupt snapshot' (restore); 'failed' or 'hung' (backup). */
    readonly outcome: string,
    readonly step: string,
    /** etcd's own words, or `hung after N s` for a backup that was killed at its bound. */
    readonly quote: string,
    readonly phase: RefusalPhase = 'restore',
  ) {
    super(`${step}: ${phase === 'backup' ? `backup ${outcome}` : outcome} (etcd: ${quote})`);
    this.name = 'Refusal';
  }
}

/**
 * A member that exited by itself during its start with last words (a panic, a fatal line) refused the
 * data it was given: during a restore that is etcd's answer to the procedure, not a harness failure.
 */
export function startRefusal(err: unknown, step: string): Refusal | undefined {
  if (!(err instanceof HarnessError) || err.code !== 'PROVIDER_START' || !err.details?.exitedByItself)
    return undefined;
  const words = err.details.lastWords;
  return typeof words === 'string'
    ? new Refusal('failed: etcd exits on start', step, words, 'restore')
    : undefined;
}
