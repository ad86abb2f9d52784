import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { BackupKind } from './types.ts';

const FIX = 'give a snapshot.db from `etcdctl snapshot save` or a v2 backup dir from `etcdctl backup`';

/** What the path holds, or BAD_INPUT naming what is wrong with it. Reads nothing but metadata. */
export function backupKind(path: string): BackupKind {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
    throw new HarnessError('BAD_INPUT', `${path} ${what}: ${FIX}`);
  }
  if (st.isFile()) return 'v3-snapshot';
  if (st.isDirectory() && existsSync(join(path, 'member', 'wal'))) return 'v2-backup-dir';
  throw new HarnessError('BAD_INPUT', `${path} is neither a file nor a folder holding member/wal: ${FIX}`);
}

/** --against: comma-separated client URLs (host:port gets http://). */
export function parseEndpoints(text: string): string[] {
  const eps = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`));
  for (const e of eps) {
    let ok = false;
    try {
      ok = new URL(e).port !== '';
    } catch {
      ok = false;
    }
    if (!ok)
      throw new HarnessError(
        'BAD_INPUT',
        `--against ${text}: "${e}" is not a client URL with a port: give e.g. http://10.0.0.1:2379,10.0.0.2:2379`,
      );
  }
  if (eps.length === 0)
    throw new HarnessError('BAD_INPUT', '--against names no endpoint: give e.g. http://127.0.0.1:2379');
  return eps;
}
