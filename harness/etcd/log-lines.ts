/** Reading etcd's own words out of its tools' stderr and its logs (zap console or JSON lines). */

// etcd's words for a snapshot it will not restore: a missing or wrong sha256 trailer, a broken bolt file.
export const CORRUPT_SNAPSHOT =
  /snapshot missing hash|expected sha256|invalid database|file size too small|unexpected EOF/i;

// A zap log line at a failing level, console (`<ts>\tfatal\t<caller>\t<msg>\t{fields}`) or JSON.
const ZAP_CONSOLE = /^\S+\t(?:fatal|panic|error)\t\S+\t(.*)$/;
const ZAP_JSON_LEVEL = /"level":"(?:fatal|panic|error)"/;
const ZAP_META = new Set(['level', 'ts', 'caller', 'msg', 'stacktrace']);

/** A zap JSON log line's message and its own fields (time, level, caller and stack left out). */
export function zapEntry(line: string): { msg: string; fields: Record<string, unknown> } | undefined {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(entry).filter(([k]) => !ZAP_META.has(k)));
    return { msg: String(entry.msg ?? ''), fields };
  } catch {
    return undefined;
  }
}

/** A zap error line as etcd's words: message and fields, without time, level and caller. */
function zapMessage(line: string): string | undefined {
  const c = ZAP_CONSOLE.exec(line);
  if (c?.[1]) return c[1].replace(/\t/g, ' ');
  if (!ZAP_JSON_LEVEL.test(line)) return undefined;
  const e = zapEntry(line);
  if (!e) return undefined;
  return Object.keys(e.fields).length ? `${e.msg} ${JSON.stringify(e.fields)}` : e.msg;
}

/**
 * The line of a tool's stderr that carries its error: `Error: …`, a corrupt-snapshot message, a
 * fatal/error log line (3.4+ log in zap format before it, 3.5's etcdutl fails with one), else the first.
 */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => l.startsWith('Error:'));
  const zap = (level: RegExp) =>
    lines
      .filter((l) => level.test(l))
      .map(zapMessage)
      .find((m) => m !== undefined);
  return (
    error ??
    lines.find((l) => CORRUPT_SNAPSHOT.test(l)) ??
    zap(/\b(fatal|panic)\b/) ??
    zap(/\berror\b/) ??
    lines[0] ??
    ''
  )
    .replace(/^Error:\s*/, '')
    .slice(0, 300);
}
