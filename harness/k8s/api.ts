/**
 * The harness's Kubernetes API client: a small interface over @kubernetes/client-node (1.4.x: 2.x
 * needs undici 8, which needs Node >= 22.19). Objects are generic (kind + plain JSON), because the
 * checks compare sets of objects of several kinds with etcd's keys, not typed fields.
 */
import { request } from 'node:https';
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  ServerConfiguration,
} from '@kubernetes/client-node';
// Not re-exported by the package's index; the generated calls use it to map JSON to models and back.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { HarnessError } from '../errors.ts';
import { KINDS, type Kind, type KObject, type ObjectRef, refOf, refString, statusOf } from './objects.ts';

export * from './objects.ts';

export interface ListOptions {
  /** Omit for all namespaces (or for cluster-scoped kinds). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Unset: a quorum read from etcd. '0': whatever the apiserver's watch cache holds (how informers
   * start), which is what can go stale after a restore.
   */
  readonly resourceVersion?: string;
}

export interface ListResult {
  readonly items: KObject[];
  /** The list's resourceVersion (etcd's revision for a quorum read; the cache's for '0'). */
  readonly resourceVersion: string;
}

/** What the harness needs from the Kubernetes API; every call fails after `timeoutMs`. */
export interface KubeApi {
  readonly server: string;
  list(kind: Kind, opts?: ListOptions): Promise<ListResult>;
  /** undefined when the API answers 404. */
  get(ref: ObjectRef): Promise<KObject | undefined>;
  create(kind: Kind, obj: KObject): Promise<KObject>;
  /** PUT; fails on a stale resourceVersion (409), as a controller's update would. */
  replace(kind: Kind, obj: KObject): Promise<KObject>;
  /** PUT of a Node's status subresource (conditions), as a kubelet does. */
  replaceNodeStatus(obj: KObject): Promise<KObject>;
  /** false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** GET of a raw path, e.g. '/readyz?verbose'. Never throws on HTTP status; throws on no answer. */
  raw(path: string): Promise<{ status: number; body: string }>;
}

export interface KubeApiOptions {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The CA that signed the apiserver's serving certificate (PEM). */
  readonly ca: string;
  /** A bearer token, or a client certificate (PEM) as kind's admin kubeconfig has. */
  readonly token?: string;
  readonly clientCert?: { readonly cert: string; readonly key: string };
  /** Per request. @default 10000 */
  readonly timeoutMs?: number;
}

type Call = (params: Record<string, unknown>) => Promise<unknown>;

/** Why the API refused, in the apiserver's words (its Status message). */
function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as unknown;
    try {
      const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : body;
      const msg = (parsed as { message?: string } | undefined)?.message;
      if (msg) return `${err.code}: ${msg}`;
    } catch {
      // not JSON
    }
    return `${err.code}: ${String(body).slice(0, 200)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function createKubeApi(o: KubeApiOptions): KubeApi {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'drill', server: o.server, caData: Buffer.from(o.ca).toString('base64') }],
    users: [
      o.clientCert
        ? {
            name: 'drill',
            certData: Buffer.from(o.clientCert.cert).toString('base64'),
            keyData: Buffer.from(o.clientCert.key).toString('base64'),
          }
        : { name: 'drill', token: o.token },
    ],
    contexts: [{ name: 'drill', cluster: 'drill', user: 'drill' }],
    currentContext: 'drill',
  });
  const config = createConfiguration({
    baseServer: new ServerConfiguration(o.server, {}),
    authMethods: { default: kc },
    // client-node sets no timeout: a request to an apiserver whose etcd is gone would hang a check.
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          // Names the harness in managedFields and the apiserver's logs.
          ctx.setHeaderParam('User-Agent', 'etcd-drill');
          return ctx;
        },
        post: async (res) => res,
      },
    ],
  });
  const apis = {
    core: new CoreV1Api(config),
    apps: new AppsV1Api(config),
    coordination: new CoordinationV1Api(config),
  };
  // Generated method names follow one pattern: listNamespacedPod, listPodForAllNamespaces, readNode, …
  const method = (kind: Kind, verb: string, allNamespaces = false): Call => {
    const k = KINDS[kind];
    const name = !k.namespaced
      ? `${verb}${kind}`
      : allNamespaces
        ? `${verb}${kind}ForAllNamespaces`
        : `${verb}Namespaced${kind}`;
    const api = apis[k.api] as unknown as Record<string, Call>;
    const fn = api[name];
    if (!fn) throw new HarnessError('BAD_INPUT', `the Kubernetes client has no ${name}`);
    return fn.bind(api);
  };
  const model = (kind: Kind): string => {
    const k = KINDS[kind];
    return 'model' in k ? k.model : `V1${kind}`;
  };
  // The client's models turn dates into Date objects; plain JSON keeps evidence and comparisons simple.
  const plain = (kind: Kind, obj: unknown): KObject =>
    JSON.parse(JSON.stringify(ObjectSerializer.serialize(obj, model(kind), ''))) as KObject;
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const status = statusOf(err);
      throw new HarnessError('CLUSTER_UNHEALTHY', `Kubernetes API ${what}: ${apiMessage(err)}`, {
        cause: err,
        details: status !== undefined ? { status } : {},
      });
    }
  };
  const body = (kind: Kind, obj: KObject): unknown =>
    ObjectSerializer.deserialize({ apiVersion: KINDS[kind].apiVersion, kind, ...obj }, model(kind), '');

  return {
    server: o.server,
    async list(kind, opts = {}) {
      const k = KINDS[kind];
      const call = method(kind, 'list', !opts.namespace);
      const res = (await wrap(`list ${kind}${opts.namespace ? ` in ${opts.namespace}` : ''}`, () =>
        call({
          ...(opts.namespace && k.namespaced ? { namespace: opts.namespace } : {}),
          ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
          ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
          ...(opts.resourceVersion !== undefined ? { resourceVersion: opts.resourceVersion } : {}),
        }),
      )) as { items: unknown[]; metadata?: { resourceVersion?: string } };
      return {
        items: res.items.map((i) => plain(kind, i)),
        resourceVersion: res.metadata?.resourceVersion ?? '',
      };
    },
    async get(ref) {
      try {
        const res = await method(
          ref.kind,
          'read',
        )({
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
        });
        return plain(ref.kind, res);
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new HarnessError(
          'CLUSTER_UNHEALTHY',
          `Kubernetes API get ${refString(ref)}: ${apiMessage(err)}`,
          {
            cause: err,
            details: { status: statusOf(err) },
          },
        );
      }
    },
    async create(kind, obj) {
      const ns = obj.metadata.namespace;
      const res = await wrap(`create ${refString(refOf(kind, obj))}`, () =>
        method(kind, 'create')({ ...(ns ? { namespace: ns } : {}), body: body(kind, obj) }),
      );
      return plain(kind, res);
    },
    async replace(kind, obj) {
      const ns = obj.metadata.namespace;
      const res = await wrap(`replace ${refString(refOf(kind, obj))}`, () =>
        method(
          kind,
          'replace',
        )({
          name: obj.metadata.name,
          ...(ns ? { namespace: ns } : {}),
          body: body(kind, obj),
        }),
      );
      return plain(kind, res);
    },
    async replaceNodeStatus(obj) {
      const res = await wrap(`replace status of Node ${obj.metadata.name}`, () =>
        apis.core.replaceNodeStatus({ name: obj.metadata.name, body: body('Node', obj) as never }),
      );
      return plain('Node', res);
    },
    async delete(ref) {
      try {
        await method(
          ref.kind,
          'delete',
        )({
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
          // Background: the call returns at once and the garbage collector removes dependants.
          propagationPolicy: 'Background',
        });
        return true;
      } catch (err) {
        if (statusOf(err) === 404) return false;
        throw new HarnessError(
          'CLUSTER_UNHEALTHY',
          `Kubernetes API delete ${refString(ref)}: ${apiMessage(err)}`,
          { cause: err, details: { status: statusOf(err) } },
        );
      }
    },
    raw(path) {
      return httpsGet(`${o.server}${path}`, { ca: o.ca, token: o.token, timeoutMs });
    },
  };
}

/**
 * A plain HTTPS GET (health endpoints answer text, not objects). No `token` for components'
 * /healthz, which is always allowed; `insecure` for their self-signed serving certificates.
 */
export function httpsGet(
  url: string,
  o: { ca?: string; token?: string; timeoutMs?: number; insecure?: boolean },
): Promise<{ status: number; body: string }> {
  const timeoutMs = o.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        timeout: timeoutMs,
        ...(o.ca ? { ca: o.ca } : {}),
        ...(o.insecure ? { rejectUnauthorized: false } : {}),
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
