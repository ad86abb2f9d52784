import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, from the sources (harness/) and from the compiled package
 * (dist/harness/) alike: the data files (scenarios/, fixtures/*.json) ship beside dist/, not in it.
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package.json above ${dir}`);
  }
}

/** A file or folder of the package, e.g. fromRoot('scenarios'). */
export const fromRoot = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);

/** etcd-drill's version, from its package.json. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
}
