#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx: `npm ci` is the only install step.
import { register } from 'tsx/esm/api';

// node-etcd's HTTP client names 127.0.0.1 as the TLS server name; Node warns on every --tls request.
const emitWarning = process.emitWarning;
process.emitWarning = (warning, ...rest) => {
  if (rest.includes('DEP0123') || rest[0]?.code === 'DEP0123') return;
  emitWarning.call(process, warning, ...rest);
};

register();
await import('../harness/cli.ts');
