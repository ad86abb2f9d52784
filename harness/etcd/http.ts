import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Client TLS material for https endpoints (PEM contents, not paths). */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTP(S) request with a hard timeout. node:https rather than fetch: fetch cannot present a
 * client certificate without an extra dispatcher package, and etcd under --client-cert-auth wants one.
 */
export function httpCall(
  url: string,
  opts: { method?: string; body?: string; tls?: ClientTls | undefined; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      u,
      {
        method: opts.method ?? 'GET',
        agent: false,
        timeout: opts.timeoutMs ?? 3000,
        ...(isHttps && opts.tls ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key } : {}),
        headers: opts.body ? { 'content-type': 'application/json' } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${opts.timeoutMs ?? 3000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
