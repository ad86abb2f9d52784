import type { Extension } from '../engine/extension.ts';
import type { ModernK8sDist } from '../k8s/modern-dist.ts';

/** Placeholder until the storage-layer stage lands: the wiring compiles and tests against this signature. */
export function k8sModernExtension(dist: ModernK8sDist): Extension {
  return {
    name: 'k8s-1.36',
    hooks: {
      async start() {
        throw new Error(`the Kubernetes ${dist.version} storage-layer extension is not built yet`);
      },
    },
  };
}
