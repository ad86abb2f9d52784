import { mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HarnessError } from './errors.ts';

/** The nearest path at or above `abs` that exists, with its stat, or the error that stopped the walk. */
function nearestExisting(abs: string): { path: string; isDir: boolean } {
  for (let p = abs; ; p = dirname(p)) {
    try {
      const st = statSync(p, { throwIfNoEntry: false });
      if (st) return { path: p, isDir: st.isDirectory() };
    } catch (err) {
      // ENOTDIR: a file further up; the walk finds it. Anything else (EACCES) is the answer.
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    if (dirname(p) === p) return { path: p, isDir: true };
  }
}

/**
 * Throws BAD_INPUT unless `dir` is, or can be created as, a folder we can write in. Creates nothing
 * that outlives the check. Needed before any recursive mkdir: Node's spins forever on a path under
 * /proc (procfs answers ENOENT, which it reads as "create the parent first").
 */
export function checkWritableDir(dir: string, flag: string): void {
  const abs = resolve(dir);
  const fix = `give ${flag} a folder you can write to`;
  let at: { path: string; isDir: boolean };
  try {
    at = nearestExisting(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new HarnessError('BAD_INPUT', `${flag} ${dir}: cannot look into it (${code}): ${fix}`);
  }
  if (!at.isDir) {
    const what = at.path === abs ? 'is a file' : `lies under the file ${at.path}`;
    throw new HarnessError('BAD_INPUT', `${flag} ${dir} ${what}, not a folder: ${fix}`);
  }
  try {
    rmdirSync(mkdtempSync(join(at.path, '.etcd-drill-probe-')));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const where = at.path === abs ? 'in it' : `in ${at.path}`;
    throw new HarnessError('BAD_INPUT', `${flag} ${dir}: cannot create a folder ${where} (${code}): ${fix}`);
  }
}
