/**
 * A stack of cleanups run in reverse order, all of them even when some fail.
 * Node 20 has no AsyncDisposableStack, hence this small stand-in.
 */
export class Scope implements AsyncDisposable {
  readonly #stack: Array<() => Promise<void>> = [];

  use<T extends AsyncDisposable>(resource: T): T {
    this.#stack.push(async () => {
      await resource[Symbol.asyncDispose]();
    });
    return resource;
  }

  defer(fn: () => Promise<void> | void): void {
    this.#stack.push(async () => fn());
  }

  /** Forget every cleanup (used by --keep: the resources outlive the run on purpose). */
  release(): void {
    this.#stack.length = 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    while (this.#stack.length > 0) {
      const fn = this.#stack.pop();
      try {
        await fn?.();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}
