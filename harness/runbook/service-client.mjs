// $ETCD_DRILL_SERVICE start|stop|restart|status|is-active <member>...: a systemctl-shaped client of
// the running harness, which owns every member process. Plain JavaScript: node runs it as it is.
import { appendFileSync } from 'node:fs';
import { request } from 'node:http';

const [socketPath, verb, ...units] = process.argv.slice(2);
const VERBS = ['start', 'stop', 'restart', 'status', 'is-active'];

function call(unit) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method: 'POST', path: `/${verb}/${encodeURIComponent(unit)}` },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch {
            reject(new Error(`unreadable answer from etcd-drill: ${body.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

if (!VERBS.includes(verb ?? '') || units.length === 0) {
  process.stderr.write(
    `usage: ${process.env.ETCD_DRILL_SERVICE ?? 'etcd-drill-service'} ${VERBS.join('|')} <member>...\n`,
  );
  process.exit(2);
}
let code = 0;
for (const unit of units) {
  try {
    const r = await call(unit);
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    code = Math.max(code, r.code);
  } catch (err) {
    // The harness's failure, not the unit's: left where the harness reads it after the script.
    try {
      appendFileSync(
        `${socketPath}.faults`,
        `${JSON.stringify({ verb, unit, error: { message: `cannot reach the harness: ${err.message}` } })}\n`,
      );
    } catch {
      // nowhere to leave it: the message below still says so
    }
    process.stderr.write(
      `etcd-drill service: cannot reach the harness (${err.message}): it only answers while it runs a runbook script\n`,
    );
    code = Math.max(code, 1);
  }
}
process.exit(code);
