import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from './errors.ts';
import type { ClientTls } from './etcd/http.ts';
import { execa } from './util/exec.ts';

/** Paths of one certificate and its key. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** A throwaway PKI for one cluster: a CA, a server+peer cert per member, and a client cert. */
export interface ClusterPki {
  readonly dir: string;
  readonly caFile: string;
  readonly members: Readonly<Record<string, CertFiles>>;
  readonly client: CertFiles;
  /** PEM contents for the harness's own clients. */
  readonly clientTls: ClientTls;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const res = await execa('openssl', args, { cwd, reject: false });
  if (res.failed) {
    throw new HarnessError(
      'PROVIDER_START',
      `openssl ${args[0]} failed while making TLS certificates: ${String(res.stderr).slice(0, 300)}`,
    );
  }
}

/**
 * Generates the PKI with openssl (present on Debian; no key material in the repo). Member certs carry
 * the member's name (container DNS), localhost and 127.0.0.1, and serve both client and peer TLS,
 * as the write-up's kubespray certificates did.
 */
export async function createPki(
  dir: string,
  memberNames: readonly string[],
  /** A member's own address when it has one (a network namespace of its own). */
  addresses: Readonly<Record<string, string>> = {},
  /** The client certificate's subject: a Kubernetes apiserver reads groups from O=. @default '/CN=client' */
  clientSubject = '/CN=client',
): Promise<ClusterPki> {
  await mkdir(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=etcd-drill-ca',
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  const issue = async (
    name: string,
    san: string,
    usage: string,
    subject = `/CN=${name}`,
  ): Promise<CertFiles> => {
    const ext = join(dir, `${name}.ext`);
    await writeFile(
      ext,
      `subjectAltName=${san}\nextendedKeyUsage=${usage}\nkeyUsage=digitalSignature,keyEncipherment\n`,
    );
    await openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        `${name}-key.pem`,
        '-out',
        `${name}.csr`,
      ],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
    return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
  };
  const members: Record<string, CertFiles> = {};
  for (const m of memberNames) {
    const own = addresses[m] ? `,IP:${addresses[m]}` : '';
    members[m] = await issue(m, `DNS:${m},DNS:localhost,IP:127.0.0.1${own}`, 'serverAuth,clientAuth');
  }
  const client = await issue('client', 'DNS:etcd-drill-client', 'clientAuth', clientSubject);
  const caFile = join(dir, 'ca.pem');
  const [ca, cert, key] = await Promise.all([
    readFile(caFile, 'utf8'),
    readFile(client.cert, 'utf8'),
    readFile(client.key, 'utf8'),
  ]);
  return { dir, caFile, members, client, clientTls: { ca, cert, key } };
}

/** etcd flags for a member: HTTPS on client and peer URLs, client certificates required on both. */
export function memberTlsFlags(pki: ClusterPki, member: string): string[] {
  const c = pki.members[member];
  if (!c) throw new HarnessError('PROVIDER_START', `no certificate for member ${member}`);
  return [
    '--cert-file',
    c.cert,
    '--key-file',
    c.key,
    '--client-cert-auth',
    '--trusted-ca-file',
    pki.caFile,
    '--peer-cert-file',
    c.cert,
    '--peer-key-file',
    c.key,
    '--peer-client-cert-auth',
    '--peer-trusted-ca-file',
    pki.caFile,
  ];
}

/** etcdctl (v3) flags for the client certificate. */
export function ctlTlsFlags(pki: ClusterPki): string[] {
  return ['--cacert', pki.caFile, '--cert', pki.client.cert, '--key', pki.client.key];
}
