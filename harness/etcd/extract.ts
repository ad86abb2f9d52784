import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Copies the etcd binaries found under an extracted tree into `binDir`. Size tells them apart from
 * same-named scripts such as Debian's /etc/init.d/etcd.
 */
export async function collectBinaries(tree: string, binDir: string): Promise<void> {
  await mkdir(binDir, { recursive: true });
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (
        ['etcd', 'etcdctl', 'etcdutl'].includes(e.name) &&
        !found.has(e.name) &&
        (await stat(p)).size > 1 << 20
      ) {
        found.add(e.name);
        await copyFile(p, join(binDir, e.name));
      }
    }
  };
  await walk(tree);
}
