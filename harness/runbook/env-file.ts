import { readFile, writeFile } from 'node:fs/promises';
import { HarnessError } from '../errors.ts';

/**
 * A member's unit configuration: `KEY=value` lines as systemd's EnvironmentFile and kubespray's
 * /etc/etcd.env hold them. Comments (#), blank lines and an `export ` prefix are allowed; a value may
 * be in double or single quotes (what `etcdctl member add` prints, appended as it is).
 */
export function parseEnvFile(text: string, file = 'env file'): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m?.[1]) {
      throw new HarnessError('BAD_INPUT', `${file}:${i + 1}: not a KEY=value line: ${line.slice(0, 80)}`);
    }
    vars[m[1]] = unquote(m[2] ?? '');
  });
  return vars;
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
  }
  // Unquoted: a trailing comment goes, as in a shell.
  return v.replace(/\s+#.*$/, '');
}

/** One variable a line, in the given order; values quoted only when they need it. */
export function formatEnvFile(vars: Readonly<Record<string, string>>, header?: string): string {
  const lines = Object.entries(vars).map(([k, v]) =>
    /^[A-Za-z0-9_@%+=:,./-]*$/.test(v) ? `${k}=${v}` : `${k}="${v.replace(/(["\\$`])/g, '\\$1')}"`,
  );
  return `${header ? `# ${header}\n` : ''}${lines.join('\n')}\n`;
}

/**
 * etcd's command-line flags as the ETCD_* variables etcd reads in their place (`--data-dir x` →
 * ETCD_DATA_DIR=x; a flag without a value → true). The harness's own flags become the env file, so
 * a unit runs with exactly the configuration a flag-started member would.
 */
export function flagsToEnv(args: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) throw new HarnessError('STRATEGY', `not an etcd flag: ${a}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (i + 1 < args.length && !String(args[i + 1]).startsWith('--')) value = String(args[++i]);
    else value = 'true';
    vars[`ETCD_${name.toUpperCase().replace(/-/g, '_')}`] = value;
  }
  return vars;
}

/**
 * A unit's env file as etcd would get it. Its failures carry `details.envFile`: the file is the
 * runbook's to keep, so a start it breaks is the procedure's failure, not the harness's.
 */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  try {
    return parseEnvFile(await readFile(file, 'utf8'), file);
  } catch (err) {
    const why =
      err instanceof HarnessError
        ? err.message
        : `cannot read the unit's env file ${file}: ${(err as Error).message}`;
    throw new HarnessError('PROVIDER_START', why, {
      cause: err,
      details: { envFile: file },
    });
  }
}

export async function writeEnvFile(
  file: string,
  vars: Readonly<Record<string, string>>,
  header?: string,
): Promise<void> {
  await writeFile(file, formatEnvFile(vars, header));
}
