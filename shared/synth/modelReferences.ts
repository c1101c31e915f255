// modelReferences: the public joints a `conditionalL1Scores` party derives from the fitted model
// it was sent (LocalQuery `model`), memoized per snapshot so that N in-process parties project once.
import type { Domain } from '../pgm/Domain.js';
import { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { ModelSnapshot } from '../pgm/ModelSnapshot.js';

interface Rebuilt {
  readonly domain: Domain;
  readonly model: GraphicalModel;
  readonly joints: Map<string, Float64Array>;
}

const rebuilt = new WeakMap<ModelSnapshot, Rebuilt>();

/** The model of `snapshot` over `domain` (GraphicalModel.fromSnapshot, validated once per snapshot object). */
export function snapshotModel(domain: Domain, snapshot: ModelSnapshot): GraphicalModel {
  return entry(domain, snapshot).model;
}

/**
 * The public joint q over `attrs` (canonical): max(0, model.project(attrs, anchor)) — every party
 * derives it from the same snapshot with the same code, so all hold it bit for bit. `anchor`: the
 * candidate's conditioning column, shared by most candidates of a release (GraphicalModel.marginal:
 * one cached message about it instead of a walk to its clique per candidate). Memoized per
 * snapshot and set.
 */
export function modelJoint(domain: Domain, snapshot: ModelSnapshot, attrs: readonly string[], anchor?: string): Float64Array {
  const e = entry(domain, snapshot);
  const key = attrs.join('\u0001');
  let q = e.joints.get(key);
  if (q === undefined) {
    q = clampedProjection(e.model, attrs, anchor);
    e.joints.set(key, q);
  }
  return q;
}

/** max(0, model.project(attrs, anchor)) elementwise: the reference of a candidate ∪ condition. */
export function clampedProjection(model: GraphicalModel, attrs: readonly string[], anchor?: string): Float64Array {
  const q = model.project(attrs, anchor);
  for (let i = 0; i < q.length; i++) q[i] = Math.max(0, q[i]);
  return q;
}

function entry(domain: Domain, snapshot: ModelSnapshot): Rebuilt {
  let e = rebuilt.get(snapshot);
  if (e === undefined || e.domain !== domain) {
    e = { domain, model: GraphicalModel.fromSnapshot(domain, snapshot), joints: new Map() };
    rebuilt.set(snapshot, e);
  }
  return e;
}
