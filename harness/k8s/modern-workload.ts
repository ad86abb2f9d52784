/**
 * The 1.36 stage's workload: custom objects of two CRDs in one group, created through the API before
 * the backup, and more after it (which a restore must remove). Labelled so each can be told apart.
 */
import { HarnessError, oneLine } from '../errors.ts';
import { type Access, withV3 } from '../etcd/api.ts';
import {
  type KubeJson,
  MODERN_ETCD_PREFIX,
  type ModernApi,
  type ResourceRef,
  simpleCrd,
} from './modern-apiserver.ts';

export const MODERN_GROUP = 'drill.etcd-drill.io';
export const MODERN_NS = 'default';
/** Every workload object carries it: `seed` before the backup, `late` after it, `check` from a check. */
export const MODERN_LABEL = 'etcd-drill.io/workload';

export const MODERN_KINDS = [
  { kind: 'Widget', plural: 'widgets' },
  { kind: 'Gadget', plural: 'gadgets' },
] as const;

export const MODERN_REFS: readonly ResourceRef[] = MODERN_KINDS.map((k) => ({
  group: MODERN_GROUP,
  version: 'v1',
  plural: k.plural,
  namespace: MODERN_NS,
}));

const KIND_OF = new Map<string, string>(MODERN_KINDS.map((k) => [k.plural, k.kind]));

/** A custom object of `ref`'s kind, labelled with its phase. */
export function modernObject(ref: ResourceRef, name: string, phase: 'seed' | 'late' | 'check'): KubeJson {
  return {
    apiVersion: `${ref.group}/${ref.version}`,
    kind: KIND_OF.get(ref.plural) ?? 'Widget',
    metadata: { name, namespace: ref.namespace ?? MODERN_NS, labels: { [MODERN_LABEL]: phase } },
    spec: { phase, size: name.length },
  };
}

/** Objects before the backup: three of each kind. */
export function seedObjects(): { ref: ResourceRef; name: string }[] {
  return MODERN_REFS.flatMap((ref) => [1, 2, 3].map((i) => ({ ref, name: `${ref.plural}-${i}` })));
}

/** Objects after the backup: two of each kind, which the restore must remove. */
export function lateObjects(): { ref: ResourceRef; name: string }[] {
  return MODERN_REFS.flatMap((ref) => [1, 2].map((i) => ({ ref, name: `${ref.plural}-late-${i}` })));
}

/** The CRDs, Established, then the seed objects; returns how many objects were created. */
export async function createSeed(api: ModernApi): Promise<number> {
  for (const k of MODERN_KINDS) await api.createCrd(simpleCrd({ group: MODERN_GROUP, ...k }));
  for (const k of MODERN_KINDS) await api.waitEstablished(`${k.plural}.${MODERN_GROUP}`);
  return createAll(api, seedObjects(), 'seed');
}

export async function createLate(api: ModernApi): Promise<number> {
  return createAll(api, lateObjects(), 'late');
}

async function createAll(
  api: ModernApi,
  objs: { ref: ResourceRef; name: string }[],
  phase: 'seed' | 'late',
): Promise<number> {
  for (const o of objs) await api.create(o.ref, modernObject(o.ref, o.name, phase));
  return objs.length;
}

/** An object's name in comparisons: `<plural>/<namespace>/<name>`, as its etcd key ends. */
export function objectId(plural: string, o: KubeJson): string {
  return `${plural}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** The custom objects' etcd keys start with this. */
export const MODERN_KEY_PREFIX = `${MODERN_ETCD_PREFIX}/${MODERN_GROUP}/`;

/** A workload key: the custom objects (and the harness's markers), not the CRDs or anything else. */
export function modernKey(key: string): boolean {
  return key.startsWith('/etcd-drill/') || key.startsWith(MODERN_KEY_PREFIX);
}

export interface EtcdObjects {
  /** id → mod_revision (what the API serves as metadata.resourceVersion). */
  readonly objects: Map<string, string>;
  readonly revision: number;
}

/** The custom objects straight from etcd, with their mod_revisions; throws when etcd cannot be read. */
export async function etcdModernObjects(etcd: Access): Promise<EtcdObjects> {
  // dumpV3 keeps value digests, not mod_revisions: one prefix range through the v3 client instead.
  const res = await withV3(etcd, (c) => c.getAll().prefix(MODERN_KEY_PREFIX).exec()).catch((err: unknown) => {
    throw new HarnessError('CLUSTER_UNHEALTHY', `could not read etcd's custom objects: ${oneLine(err)}`, {
      cause: err,
    });
  });
  const objects = new Map<string, string>();
  for (const kv of res.kvs)
    objects.set(kv.key.toString('utf8').slice(MODERN_KEY_PREFIX.length), kv.mod_revision);
  return { objects, revision: Number(res.header.revision) };
}
