import { describe, expect, it } from 'vitest';
import { adminAccess } from './controlplane.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe("kind: the admin kubeconfig's access", () => {
  it('reads the server, CA and client certificate kind wrote', () => {
    const kc = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64('CA PEM')}
    server: https://127.0.0.1:39021
  name: kind-x
users:
- name: kind-x
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
`;
    expect(adminAccess(kc)).toEqual({
      server: 'https://127.0.0.1:39021',
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
    });
  });
  it('says so when the kubeconfig has no client certificate', () => {
    expect(() => adminAccess('clusters: []\n')).toThrow(/no server or client certificate/);
  });
});
