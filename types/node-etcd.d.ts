// node-etcd ships no types; this covers the calls etcd-drill makes.
declare module 'node-etcd' {
  type Callback = (err: unknown, res: never) => void;
  export default class Etcd {
    constructor(hosts?: string | string[], options?: Record<string, unknown>);
    get(key: string, options: Record<string, unknown>, cb: Callback): void;
    set(key: string, value: string, options: Record<string, unknown>, cb: Callback): void;
    mkdir(dir: string, cb: Callback): void;
    del(key: string, options: Record<string, unknown>, cb: Callback): void;
  }
}
