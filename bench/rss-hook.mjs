// Preloaded by the bench into `etcd-drill verify` (node --import): on exit, writes the process's own
// peak RSS (bytes; getrusage of this process only, not of the etcd members it starts) to
// $ETCD_DRILL_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.ETCD_DRILL_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
