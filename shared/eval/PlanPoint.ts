// PlanPoint: one point of the privacy-utility plan (`fedsynth plan`): the fidelity, utility and risk
// of what the mechanism made from stand-in data at one epsilon.

/** The figures of one epsilon; risks are Anonymeter risks (null when the attack found nothing to attack). */
export interface PlanPoint {
  readonly epsilon: number;
  readonly delta: number;
  readonly rho: number;
  readonly mechanism: 'mst' | 'aim';
  readonly tv1: number;
  readonly tv2: number;
  readonly tv3: number | null;
  readonly utility: { readonly target: string; readonly tstrAccuracy: number; readonly tstrAuc: number | null; readonly trtrAccuracy: number; readonly trtrAuc: number | null } | null;
  readonly risk: {
    readonly singlingOut: number | null;
    readonly linkability: number | null;
    readonly inference: number | null;
    readonly miaAuc: number | null;
    /** Share of synthetic rows equal to a training row, and to a control row (its reference). */
    readonly exactMatchTrain: number;
    readonly exactMatchControl: number;
  };
  readonly rows: { readonly train: number; readonly control: number; readonly synth: number };
  readonly seconds: number;
}
