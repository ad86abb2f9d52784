import { describe, expect, it } from 'vitest';
import { etcdArgs } from '../cluster/base.ts';
import { flagsToEnv, formatEnvFile, parseEnvFile } from './env-file.ts';

describe('env files', () => {
  it('reads what operators write: comments, blanks, export, quotes, what member add prints', () => {
    const text = [
      '# /etc/etcd.env',
      '',
      'ETCD_NAME=etcd1',
      'export ETCD_DATA_DIR=/var/lib/etcd',
      'ETCD_INITIAL_CLUSTER="etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380"',
      "ETCD_INITIAL_CLUSTER_TOKEN='k8s_etcd'",
      'ETCD_ELECTION_TIMEOUT=5000 # ms',
      'ETCD_EMPTY=',
    ].join('\n');
    expect(parseEnvFile(text)).toEqual({
      ETCD_NAME: 'etcd1',
      ETCD_DATA_DIR: '/var/lib/etcd',
      ETCD_INITIAL_CLUSTER: 'etcd1=https://10.0.0.1:2380,etcd2=https://10.0.0.2:2380',
      ETCD_INITIAL_CLUSTER_TOKEN: 'k8s_etcd',
      ETCD_ELECTION_TIMEOUT: '5000',
      ETCD_EMPTY: '',
    });
  });
  it('names the line that is not KEY=value', () => {
    expect(() => parseEnvFile('ETCD_NAME=a\nnot a line\n', '/x/etcd1.env')).toThrow(
      /\/x\/etcd1.env:2: not a KEY=value line: not a line/,
    );
  });
  it('writes what it reads back, quoting only where a value needs it', () => {
    const vars = { ETCD_NAME: 'etcd1', ETCD_X: 'a b "c" $d', ETCD_URLS: 'http://127.0.0.1:2379' };
    const text = formatEnvFile(vars, 'header');
    expect(text).toContain('ETCD_NAME=etcd1\n');
    expect(text).toContain('ETCD_URLS=http://127.0.0.1:2379\n');
    expect(text.startsWith('# header\n')).toBe(true);
    expect(parseEnvFile(text)).toEqual(vars);
  });
  it("turns the harness's etcd flags into etcd's own variables, one for one", () => {
    const urls = {
      listenClient: 'https://127.0.0.1:2379',
      advertiseClient: 'https://127.0.0.1:2379',
      listenPeer: 'https://127.0.0.1:2380',
      advertisePeer: 'https://127.0.0.1:2380',
    };
    const pki = {
      dir: '/p',
      caFile: '/p/ca.pem',
      members: { etcd1: { cert: '/p/etcd1.pem', key: '/p/etcd1-key.pem' } },
      client: { cert: '/p/client.pem', key: '/p/client-key.pem' },
      clientTls: { ca: '', cert: '', key: '' },
    };
    const spec = { size: 1, token: 'k8s_etcd', enableV2: true, extraArgs: [] };
    const args = etcdArgs(
      'etcd1',
      '/d/etcd1.data',
      urls,
      spec,
      pki,
      { state: 'new', extraArgs: ['--quota-backend-bytes=1024'] },
      'etcd1=https://127.0.0.1:2380',
    );
    expect(flagsToEnv(args)).toEqual({
      ETCD_NAME: 'etcd1',
      ETCD_DATA_DIR: '/d/etcd1.data',
      ETCD_LISTEN_CLIENT_URLS: 'https://127.0.0.1:2379',
      ETCD_ADVERTISE_CLIENT_URLS: 'https://127.0.0.1:2379',
      ETCD_LISTEN_PEER_URLS: 'https://127.0.0.1:2380',
      ETCD_INITIAL_ADVERTISE_PEER_URLS: 'https://127.0.0.1:2380',
      ETCD_INITIAL_CLUSTER: 'etcd1=https://127.0.0.1:2380',
      ETCD_INITIAL_CLUSTER_STATE: 'new',
      ETCD_INITIAL_CLUSTER_TOKEN: 'k8s_etcd',
      ETCD_ENABLE_V2: 'true',
      ETCD_CERT_FILE: '/p/etcd1.pem',
      ETCD_KEY_FILE: '/p/etcd1-key.pem',
      ETCD_CLIENT_CERT_AUTH: 'true',
      ETCD_TRUSTED_CA_FILE: '/p/ca.pem',
      ETCD_PEER_CERT_FILE: '/p/etcd1.pem',
      ETCD_PEER_KEY_FILE: '/p/etcd1-key.pem',
      ETCD_PEER_CLIENT_CERT_AUTH: 'true',
      ETCD_PEER_TRUSTED_CA_FILE: '/p/ca.pem',
      ETCD_QUOTA_BACKEND_BYTES: '1024',
    });
  });
});
