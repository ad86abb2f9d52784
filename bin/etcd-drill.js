#!/usr/bin/env node
// Which code runs: a git checkout (a .git beside package.json) or a copy without dist/ runs the TypeScript
// sources through tsx, so developers and tests always run the source as it is now, never a stale build;
// an installed package runs the compiled dist/ (built by `npm pack`), without tsx.
// ETCD_DRILL_FROM=source|dist overrides the choice (the bench times the compiled CLI from a checkout).
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/harness/cli.js', root);
const from =
  process.env.ETCD_DRILL_FROM || (existsSync(new URL('.git', root)) || !existsSync(dist) ? 'source' : 'dist');
if (from !== 'source' && from !== 'dist') {
  process.stderr.write(
    `etcd-drill: ETCD_DRILL_FROM=${from} is neither "source" nor "dist"; unset it or say which\n`,
  );
  process.exit(2);
}
if (from === 'dist' && !existsSync(dist)) {
  process.stderr.write(
    'etcd-drill: ETCD_DRILL_FROM=dist but dist/ is not built: run `npm run build` first\n',
  );
  process.exit(2);
}

// node-etcd's HTTP client names 127.0.0.1 as the TLS server name; Node warns on every --tls request.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (rest.includes('DEP0123') || rest[0]?.code === 'DEP0123') return;
  emitWarning.call(process, warning, ...rest);
};

if (from === 'dist') {
  await import(dist.href);
} else {
  const tsx = await import('tsx/esm/api').catch(() => {
    process.stderr.write(
      'etcd-drill: running the TypeScript sources needs tsx, a dev dependency: run `npm ci`\n',
    );
    process.exit(2);
  });
  tsx.register();
  await import('../harness/cli.ts');
}
