// reflectMetadataShim: the few Reflect metadata functions tsyringe (a dependency of @peculiar/x509)
// insists on at load time, installed only when no `reflect-metadata` polyfill is present.
// @peculiar/x509 only registers classes; it never relies on decorator metadata values.

type MetaTarget = object;
const store = new WeakMap<MetaTarget, Map<unknown, unknown>>();

function bag(target: MetaTarget, create: boolean): Map<unknown, unknown> | undefined {
  let m = store.get(target);
  if (m === undefined && create) {
    m = new Map();
    store.set(target, m);
  }
  return m;
}

interface ReflectMetadataApi {
  defineMetadata?: (key: unknown, value: unknown, target: MetaTarget) => void;
  getOwnMetadata?: (key: unknown, target: MetaTarget) => unknown;
  getMetadata?: (key: unknown, target: MetaTarget) => unknown;
  hasMetadata?: (key: unknown, target: MetaTarget) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: MetaTarget) => void;
}

const R = Reflect as unknown as ReflectMetadataApi;
if (typeof R.getMetadata !== 'function') {
  R.defineMetadata = (key, value, target) => {
    bag(target, true)!.set(key, value);
  };
  R.getOwnMetadata = (key, target) => bag(target, false)?.get(key);
  R.getMetadata = (key, target) => {
    for (let o: MetaTarget | null = target; o !== null; o = Object.getPrototypeOf(o) as MetaTarget | null) {
      const m = bag(o, false);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
  R.hasMetadata = (key, target) => R.getMetadata!(key, target) !== undefined;
  R.metadata = (key, value) => (target) => R.defineMetadata!(key, value, target);
}

export {};
