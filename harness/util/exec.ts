import { createRequire } from 'node:module';
import type * as Execa from 'execa';

// execa takes ~80 ms to load, a quarter of `etcd-drill list`, which runs no program: loaded on the first
// call instead (Node >= 20.19 requires an ES module synchronously, so every call form keeps its shape).
const load = createRequire(import.meta.url);

export const execa = ((...args: unknown[]) =>
  (load('execa') as typeof Execa).execa(...(args as Parameters<typeof Execa.execa>))) as typeof Execa.execa;
