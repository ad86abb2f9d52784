/** Reading what Kubernetes components log (klog: 'F1124 06:08:01.960585 9519 file.go:294] message'). */

const KLOG = /^([FEWI])\d{4} [\d:.]+\s+\d+ [^\]]+\] (.*)$/;

/**
 * The line that says why a component stopped: its last klog fatal, else its last error, else its
 * last line. A Go component that dies prints goroutine dumps after the fatal line, so "the last
 * lines" alone would quote stack frames.
 */
export function lastWord(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim());
  let error: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = KLOG.exec(lines[i] as string);
    if (m?.[1] === 'F') return m[2] as string;
    if (m?.[1] === 'E' && error === undefined) error = m[2];
  }
  return error ?? lines.at(-1)?.trim() ?? '';
}
