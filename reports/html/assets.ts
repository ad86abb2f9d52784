import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fromRoot } from '../../harness/paths.ts';

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text or an attribute value, safe inside HTML. */
export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);

/**
 * JSON for a <script type="application/json">: every `<` as \u003c, so neither `</script` nor `<!--`
 * in the data (an etcd error line, a key name) can end or change the script block.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Code inlined into a <script>: refused rather than mangled if it could end the block early. */
export function inlineScript(name: string, code: string): string {
  if (/<\/script|<!--/i.test(code))
    throw new Error(`cannot inline ${name} into the HTML report: it contains </script or <!--`);
  return code;
}

/** chart.js's UMD build, found through node's resolution (its exports map does not list the file). */
function chartJsPath(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  return join(dirname(main), 'chart.umd.js');
}

// From the package root: the compiled package runs from dist/, and these files ship beside it.
const own = (file: string) => readFileSync(fromRoot('reports', 'html', file), 'utf8');

export interface Assets {
  readonly chartJs: string;
  readonly clientJs: string;
  readonly css: string;
}

let cached: Assets | undefined;

/** Read once per process: the report inlines them so it works offline from an artifact store. */
export function assets(): Assets {
  cached ??= {
    chartJs: inlineScript('chart.js', readFileSync(chartJsPath(), 'utf8')),
    clientJs: inlineScript('client.js', own('client.js')),
    css: own('page.css'),
  };
  return cached;
}
