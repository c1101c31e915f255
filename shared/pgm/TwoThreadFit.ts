// TwoThreadFit: the per-iteration work of a mirror-descent fit (potential update, belief propagation,
// the loss's clique projections and gradient gather) split between two threads, bit-identical to one thread.
import { Domain } from './Domain.js';
import { JunctionTree } from './JunctionTree.js';
import { indexMap } from './IndexMap.js';
import { partialBelief } from './BeliefPropagation.js';
import { gatherSumRange, sumIntoEachRange } from './fusedProjection.js';
import type { MeasurementLoss } from './MeasurementLoss.js';
import { ThreadBarrier } from './ThreadBarrier.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

type Buffers = SharedArrayBuffer[];

/** Everything the helper thread builds its half of the kernel from (structured-cloneable; buffers shared). */
export interface TwoThreadFitLayout {
  readonly attrs: readonly string[];
  readonly shape: readonly number[];
  readonly cliques: readonly (readonly string[])[];
  readonly edges: readonly (readonly [number, number])[];
  /** MeasurementLoss.topGroups: per clique with measurements, its groups' attributes, projections and reversed gradients. */
  readonly groups: readonly { readonly clique: number; readonly attrs: readonly (readonly string[])[]; readonly proj: Buffers; readonly gradsReversed: Buffers }[];
  readonly theta: readonly [Buffers, Buffers];
  readonly grad: readonly [Buffers, Buffers];
  readonly mu: Buffers;
  readonly work: Buffers;
  readonly up: Buffers;
  readonly sliceSum: Buffers;
  readonly sepMarg: Buffers;
  readonly sliceMax: Buffers;
  readonly sliceMaxHalf: readonly [Buffers, Buffers];
  /** [op, alpha, total, theta set, grad set] then the results [log Z, root sum]. */
  readonly params: SharedArrayBuffer;
  readonly barrier: SharedArrayBuffer;
}

const OP = 0;
const ALPHA = 1;
const TOTAL = 2;
const THETA_SET = 3;
const GRAD_SET = 4;
const LOG_Z = 5;
const ROOT_SUM = 6;
const PARAMS = 7;

const OP_PROPAGATE = 1;
const OP_STEP = 2;
const OP_GATHER = 3;

/**
 * A second thread that serves a TwoThreadFit (`TwoThreadFit.helper(fit.layout).serve()` there).
 * `attach` hands it the fit and waits until it serves; false: unavailable (the fit runs on one thread).
 */
export interface FitHelper {
  attach(fit: TwoThreadFit): boolean;
}

/** Cliques below this many cells are not split: one thread takes each whole. */
const SOLO_CELLS = 4096;

/** Trees below this many cells fit on one thread (the two threads meet ~20 times an iteration). */
export const TWO_THREAD_MIN_CELLS = 20_000;

/**
 * A sum of a clique's cells into output tables: per thread, the runs of clique cells it reads
 * (ascending, flattened [lo, hi) pairs) and, per output, the cells it writes (flattened [lo, hi)
 * pairs). Each output cell gets its terms from one thread only, in ascending cell order.
 */
interface Scatter {
  readonly clique: number;
  readonly maps: Int32Array[];
  readonly outs: Float64Array[];
  readonly runs: readonly [readonly number[], readonly number[]];
  readonly outRange: readonly [readonly number[], readonly number[]];
  /** Scatters of one clique over the same runs share a key (fused into one pass). */
  readonly key: string;
}

/** A thread's share of a sum: the runs of clique cells it reads and the output cells [lo, hi) it writes. */
interface Share {
  readonly runs: readonly number[];
  readonly out: readonly [number, number];
}

/** Runs shorter than this make a sum split by an attribute of its output not worth it (one thread sums it whole). */
const MIN_RUN = 64;

/**
 * Each clique's cells are cut at a boundary of its first attribute's values (row-major, so the
 * cut is one index h: thread 0 takes [0, h), thread 1 [h, n)). Cell-wise work (the potential
 * update, partial beliefs, exponentials, marginals, the gradient gather) splits at h. A sum into
 * a table whose attributes contain that first attribute (a separator, a measured marginal) gets
 * each output cell's terms from one half only, still in ascending cell order, so both halves run
 * at once. Any other sum (into a table without that attribute) runs after a meeting, split by
 * its output's first attribute instead: each thread sums the runs of clique cells whose value of
 * that attribute is in its part (all of an output cell's terms, in ascending cell order); a sum
 * whose runs would be short, or into a table without attributes (the root's normaliser), is
 * computed whole by one thread. Slice maxima are exact and combined in cell order. Hence every
 * float is the one `BeliefPropagator.run`, `MeasurementLoss.projectTop` and `gatherTop` compute. The tree is processed level by level (all cliques of one depth between
 * two meetings): a clique's collect needs its children's messages, its distribute its parent's.
 */
export class TwoThreadFit {
  readonly barrier: ThreadBarrier;
  readonly theta: readonly [Float64Array[], Float64Array[]];
  readonly grad: readonly [Float64Array[], Float64Array[]];
  readonly mu: Float64Array[];
  private readonly params: Float64Array;
  private readonly tree: JunctionTree;
  private readonly work: Float64Array[];
  private readonly up: Float64Array[];
  private readonly sliceSum: Float64Array[];
  private readonly sepMarg: Float64Array[];
  private readonly sliceMax: Float64Array[];
  private readonly sliceMaxHalf: readonly [Float64Array[], Float64Array[]];
  private readonly ownSep: Int32Array[];
  private readonly childUp: Float64Array[][];
  private readonly childMap: Int32Array[][];
  /** Per thread and clique: its cells, and its slices of the clique's own separator (null: slices span both halves). */
  private readonly cells: [number, number][][];
  private readonly slices: ([number, number] | null)[][];
  /** Cliques by depth (root first). */
  private readonly levels: number[][];
  /** Per level: the scatters into children's separators over each thread's own cells, and the ones after a meeting. */
  private readonly childSplit: Scatter[][];
  private readonly childAfter: Scatter[][];
  /** Per level: the cliques whose slice sums run after a meeting (their separator lacks the first attribute; the root), each thread's share. */
  private readonly lateSums: { clique: number; share: readonly [Share, Share] }[][];
  private readonly projSplit: Scatter[];
  private readonly projAfter: Scatter[];
  private readonly gatherOf: { clique: number; srcs: Float64Array[]; maps: Int32Array[] }[];
  private readonly ratio: Float64Array;
  private readonly maxCombined: Float64Array;
  private readonly propagatePhases: ((t: number) => void)[];
  /** Per propagate phase: the clique cells each thread reads (the split's cost model, `workPlan`). */
  private readonly propagateCost: [number, number][];
  private readonly gatherPhases: ((t: number) => void)[];
  private serial = false;
  /** Main thread: the phases opened so far (the barrier's phase numbers). */
  private opened = 0;
  private serialTimer: ((phase: number, t: number, ms: number) => void) | null = null;

  private constructor(
    readonly layout: TwoThreadFitLayout,
    thread: 0 | 1,
  ) {
    const domain = new Domain(layout.attrs, layout.shape);
    const tree = JunctionTree.fromStructure(domain, layout.cliques, layout.edges);
    this.tree = tree;
    const f64 = (bs: Buffers): Float64Array[] => bs.map((b) => new Float64Array(b));
    this.barrier = new ThreadBarrier(new Int32Array(layout.barrier), thread);
    this.params = new Float64Array(layout.params);
    this.theta = [f64(layout.theta[0]), f64(layout.theta[1])];
    this.grad = [f64(layout.grad[0]), f64(layout.grad[1])];
    this.mu = f64(layout.mu);
    this.work = f64(layout.work);
    this.up = f64(layout.up);
    this.sliceSum = f64(layout.sliceSum);
    this.sepMarg = f64(layout.sepMarg);
    this.sliceMax = f64(layout.sliceMax);
    this.sliceMaxHalf = [f64(layout.sliceMaxHalf[0]), f64(layout.sliceMaxHalf[1])];
    const m = tree.cliques.length;
    const cl = tree.cliques;
    this.ownSep = cl.map((c, i) => indexMap(domain, c, tree.parent[i] >= 0 ? tree.separator[i] : []));
    this.childUp = tree.children.map((cs) => cs.map((c) => this.up[c]));
    this.childMap = tree.children.map((cs, i) => cs.map((c) => indexMap(domain, cl[i], tree.separator[c])));
    // Depths, and per depth the cut of each clique at its first attribute, alternating the larger
    // part between the threads so that each level's halves are about equal; a small clique goes
    // whole to the thread with fewer cells in its level (solo).
    const depth = new Array<number>(m).fill(0);
    for (const i of tree.order) if (tree.parent[i] >= 0) depth[i] = depth[tree.parent[i]] + 1;
    const levels: number[][] = [];
    for (const i of tree.order) (levels[depth[i]] ??= []).push(i);
    this.levels = levels;
    const firstSize = (i: number): number => domain.size([cl[i][0]]);
    /** Per clique: thread 0's first-attribute values [0, v), or the solo owner (-1: split). */
    const split = new Array<number>(m).fill(0);
    const solo = new Array<number>(m).fill(-1);
    for (const level of levels) {
      const load: [number, number] = [0, 0];
      for (const i of [...level].sort((a, b) => domain.size(cl[b]) - domain.size(cl[a]) || a - b)) {
        const n = domain.size(cl[i]);
        const s = firstSize(i);
        if (n < SOLO_CELLS || s < 2) {
          solo[i] = load[0] <= load[1] ? 0 : 1;
          load[solo[i]] += n;
          continue;
        }
        const inner = n / s;
        const low = Math.floor(s / 2);
        // Thread 0 takes the larger part when it has fewer cells so far, else thread 1.
        split[i] = load[0] <= load[1] ? s - low : low;
        load[0] += split[i] * inner;
        load[1] += (s - split[i]) * inner;
      }
    }
    // A table over attrs ⊆ clique i holding its first attribute has that attribute first too:
    // each thread's cells of it are one range. A solo clique's tables are its owner's whole.
    const rangeOf = (i: number, t: number, attrs: readonly string[]): [number, number] | null => {
      const size = domain.size(attrs);
      if (solo[i] >= 0) return solo[i] === t ? [0, size] : [0, 0];
      if (attrs.length === 0 || attrs[0] !== cl[i][0]) return null;
      const per = size / firstSize(i);
      return t === 0 ? [0, split[i] * per] : [split[i] * per, size];
    };
    this.cells = [0, 1].map((t) => cl.map((c, i) => rangeOf(i, t, c)!));
    this.slices = [0, 1].map((t) => cl.map((_, i) => (tree.parent[i] >= 0 || solo[i] >= 0 ? rangeOf(i, t, tree.separator[i]) : null)));
    const loads = (): [number, number] => [0, 0];
    const take = (load: [number, number], cost: number): number => {
      const t = load[0] <= load[1] ? 0 : 1;
      load[t] += cost;
      return t;
    };
    /**
     * Each thread's share of a sum of clique i's cells into a table over `attrs`: its own cells
     * when the table holds the first attribute (`own`); else, after a meeting, the runs of cells
     * whose value of the table's first attribute is in the thread's part (the larger part to the
     * thread with less `load`; a clique's sums split by the same attribute within one phase share
     * the cut, `cuts`, so they fuse into one pass), or all cells to one thread (short runs, no attributes).
     */
    const shareOf = (i: number, attrs: readonly string[], load: [number, number], cuts = new Map<string, number>()): { share: [Share, Share]; own: boolean; key: string } => {
      const n = domain.size(cl[i]);
      const size = domain.size(attrs);
      const r0 = rangeOf(i, 0, attrs);
      const r1 = rangeOf(i, 1, attrs);
      if (r0 !== null && r1 !== null) {
        const own = (t: number, out: [number, number]): Share => ({ runs: this.cells[t][i][1] > this.cells[t][i][0] ? [...this.cells[t][i]] : [], out });
        const share: [Share, Share] = [own(0, r0), own(1, r1)];
        load[0] += cellsIn(share[0].runs);
        load[1] += cellsIn(share[1].runs);
        return { share, own: true, key: `${i}/own` };
      }
      if (attrs.length > 0) {
        const a = attrs[0];
        const na = domain.size([a]);
        const block = domain.size(cl[i].slice(cl[i].indexOf(a) + 1));
        const low = Math.floor(na / 2);
        if (low >= 1 && low * block >= MIN_RUN) {
          const key = `${i}/${a}`;
          const cut = cuts.get(key);
          const v = cut ?? (load[0] <= load[1] ? na - low : low);
          const per = size / na;
          const share: [Share, Share] = [
            { runs: runsOf(n, na, block, 0, v), out: [0, v * per] },
            { runs: runsOf(n, na, block, v, na), out: [v * per, size] },
          ];
          if (cut === undefined) {
            cuts.set(key, v);
            load[0] += cellsIn(share[0].runs);
            load[1] += cellsIn(share[1].runs);
          }
          return { share, own: false, key };
        }
      }
      const owner = take(load, n);
      const all: Share = { runs: [0, n], out: [0, size] };
      const none: Share = { runs: [], out: [0, 0] };
      return { share: owner === 0 ? [all, none] : [none, all], own: false, key: `${i}/whole${owner}` };
    };
    const scatter = (i: number, attrs: readonly string[], map: Int32Array, out: Float64Array, load: [number, number], cuts: Map<string, number>): Scatter & { own: boolean } => {
      const { share, own, key } = shareOf(i, attrs, load, cuts);
      return { clique: i, maps: [map], outs: [out], runs: [share[0].runs, share[1].runs], outRange: [share[0].out, share[1].out], key, own };
    };
    this.lateSums = levels.map((level) => {
      const load = loads();
      return level.filter((i) => this.slices[0][i] === null).map((clique) => ({ clique, share: shareOf(clique, tree.parent[clique] >= 0 ? tree.separator[clique] : [], load).share }));
    });
    this.childSplit = [];
    this.childAfter = [];
    for (const level of levels) {
      const load = loads();
      const cuts = new Map<string, number>();
      const all = level.flatMap((i) => tree.children[i].map((c, q) => scatter(i, tree.separator[c], this.childMap[i][q], this.sepMarg[c], load, cuts)));
      this.childSplit.push(fuse(all.filter((s) => s.own)));
      this.childAfter.push(fuse(all.filter((s) => !s.own)));
    }
    // The projections run in one phase: the own ones first, the others balanced against them.
    const load = loads();
    const cuts = new Map<string, number>();
    const proj = layout.groups.flatMap((g) => g.attrs.map((attrs, q) => ({ attrs, q, g })));
    const projOwn = proj.filter(({ g, attrs }) => rangeOf(g.clique, 0, attrs) !== null);
    const projLate = proj.filter(({ g, attrs }) => rangeOf(g.clique, 0, attrs) === null);
    const make = ({ attrs, q, g }: (typeof proj)[number]) => scatter(g.clique, attrs, indexMap(domain, cl[g.clique], attrs), new Float64Array(g.proj[q]), load, cuts);
    this.projSplit = fuse(projOwn.map(make));
    this.projAfter = fuse(projLate.map(make));
    this.gatherOf = layout.groups.map((g) => ({
      clique: g.clique,
      srcs: g.gradsReversed.map((b) => new Float64Array(b)),
      maps: [...g.attrs].reverse().map((attrs) => indexMap(domain, cl[g.clique], attrs)),
    }));
    let maxSep = 1;
    for (const s of tree.separator) maxSep = Math.max(maxSep, domain.size(s));
    this.ratio = new Float64Array(maxSep);
    this.maxCombined = new Float64Array(maxSep);
    [this.propagatePhases, this.propagateCost] = this.buildPropagatePhases();
    this.gatherPhases = [(t) => this.gatherCells(t)];
  }

  /**
   * The main thread's kernel for `tree` and `loss` (whose buffers `sharedAlloc` made), or
   * undefined when this runtime has no SharedArrayBuffer. `helper()` then gives what the helper
   * thread needs (`TwoThreadFit.helper(layout)` there).
   */
  static forTree(tree: JunctionTree, loss: MeasurementLoss): TwoThreadFit | undefined {
    if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return undefined;
    const d = tree.domain;
    const sizes = tree.cliques.map((c) => d.size(c));
    const seps = tree.separator.map((s) => d.size(s));
    const sab = (n: number): SharedArrayBuffer => new SharedArrayBuffer(Math.max(1, n) * 8);
    const set = (ns: readonly number[]): Buffers => ns.map(sab);
    const bufferOf = (a: Float64Array): SharedArrayBuffer => {
      if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0) throw new FedsynthError(ErrorCode.Internal, 'two-thread fit: the loss buffers are not shared');
      return a.buffer;
    };
    return new TwoThreadFit({
      attrs: d.attrs,
      shape: d.shape,
      cliques: tree.cliques,
      edges: tree.edges,
      groups: loss.topGroups.map((g) => ({ clique: g.clique, attrs: g.attrs, proj: g.proj.map(bufferOf), gradsReversed: g.gradsReversed.map(bufferOf) })),
      theta: [set(sizes), set(sizes)],
      grad: [set(sizes), set(sizes)],
      mu: set(sizes),
      work: set(sizes),
      up: set(seps),
      sliceSum: set(seps),
      sepMarg: set(seps),
      sliceMax: set(seps),
      sliceMaxHalf: [set(seps), set(seps)],
      params: sab(PARAMS),
      barrier: ThreadBarrier.create().words.buffer as SharedArrayBuffer,
    }, 0);
  }

  /** The helper thread's kernel over the main thread's layout (same buffers). */
  static helper(layout: TwoThreadFitLayout): TwoThreadFit {
    return new TwoThreadFit(layout, 1);
  }

  /** Shared buffers for MeasurementLoss's groups (so the helper can project and gather them). */
  static sharedAlloc(n: number): Float64Array {
    return new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8), 0, n);
  }

  /**
   * Main thread: theta ← omega − alpha·dL when `alpha` is given (omega: the other theta set, dL:
   * grad set `dl`), then mu ← BP(theta) and the loss's top-level projections of mu; as
   * `BeliefPropagator.run` + `MeasurementLoss.projectTop` (which throws the same error for a
   * normaliser that is not finite).
   */
  propagate(thetaSet: number, total: number, step?: { alpha: number; dl: number }): void {
    const p = this.params;
    p[OP] = step ? OP_STEP : OP_PROPAGATE;
    p[THETA_SET] = thetaSet;
    p[TOTAL] = total;
    p[ALPHA] = step?.alpha ?? 0;
    p[GRAD_SET] = step?.dl ?? 0;
    this.start();
    const logZ = p[LOG_Z];
    if (!Number.isFinite(logZ) || !(p[ROOT_SUM] > 0)) throw new FedsynthError(ErrorCode.Internal, 'BeliefPropagation: normaliser is not finite', { logZ });
  }

  /** Main thread: `MeasurementLoss.gatherTop` into grad set `set`. */
  gather(set: number): void {
    this.params[OP] = OP_GATHER;
    this.params[GRAD_SET] = set;
    this.start();
  }

  /** Main thread: the command in params, with the helper (or both parts here, `playBoth`). */
  private start(): void {
    if (this.serial) return this.runSerially();
    const b = this.barrier;
    const phases = this.commandPhases();
    for (let q = 0; q < phases.length; q++) {
      const g = ++this.opened;
      b.open(g, q);
      phases[q](0);
      // The second part too, unless the helper has taken it (then wait for it).
      if (b.claim(g)) phases[q](1);
      else b.awaitDone(g);
    }
  }

  /** Main thread: lets the helper leave its loop (it then waits for the next fit's layout). */
  end(): void {
    if (this.serial) return;
    this.barrier.end();
  }

  /** Helper thread: serves the second parts of phases until `end` (or an abort); returns false on an abort. */
  serve(): boolean {
    const b = this.barrier;
    let seen = 0;
    for (;;) {
      const g = b.nextPhase(seen);
      if (g === 0) return true;
      if (b.aborted) return false;
      seen = g;
      // Parameters and the phase's index are read once the part is ours: the main thread cannot
      // move past phase g (or change them) before `done`.
      if (!b.claim(g)) continue;
      try {
        this.commandPhases()[b.index](1);
      } catch (e) {
        b.abort();
        throw e;
      }
      b.done(g);
    }
  }

  private commandPhases(): ((t: number) => void)[] {
    return this.params[OP] === OP_GATHER ? this.gatherPhases : this.propagatePhases;
  }

  /**
   * One thread playing both parts of every command, phase by phase (thread 0's part, then thread
   * 1's: the same floats, since the parts of one phase never touch the same cells); `timer` gets
   * each part's milliseconds. For tests and for measuring how evenly the work is split (the sum
   * over phases of the slower part is the two-thread critical path, meetings aside).
   */
  playBoth(timer?: (phase: number, t: number, ms: number) => void): void {
    this.serialTimer = timer ?? null;
    this.serial = true;
  }

  private runSerially(): void {
    const phases = this.commandPhases();
    const timer = this.serialTimer;
    phases.forEach((phase, q) => {
      for (let t = 0; t < 2; t++) {
        const t0 = timer ? performance.now() : 0;
        phase(t);
        if (timer) timer(q, t, performance.now() - t0);
      }
    });
  }

  private half(i: number, t: number): [number, number] {
    return this.cells[t][i];
  }

  /**
   * Per phase of a propagation, the clique cells each thread reads (cell-wise passes and sums, a
   * fused scatter counted once): the cost model of the split, whose slower part per phase bounds
   * the two-thread time (meetings aside).
   */
  workPlan(): readonly (readonly [number, number])[] {
    return this.propagateCost;
  }

  /** The phases of a propagate command (the theta update, collect level by level, distribute, projections), with their costs. */
  private buildPropagatePhases(): [((t: number) => void)[], [number, number][]] {
    const phases: ((t: number) => void)[] = [];
    const costs: [number, number][] = [];
    const cells = (t: number, cliques: readonly number[]): number => cliques.reduce((a, i) => a + this.cells[t][i][1] - this.cells[t][i][0], 0);
    const scattered = (t: number, list: readonly Scatter[]): number => list.reduce((a, s) => a + cellsIn(s.runs[t]), 0);
    const add = (run: (t: number) => void, cost: (t: number) => number): void => {
      phases.push(run);
      costs.push([cost(0), cost(1)]);
    };
    const all = this.levels.flat();
    const deepest = this.levels.length - 1;
    for (let l = deepest; l >= 0; l--) {
      add(
        l === deepest
          ? (t) => {
              if (this.params[OP] === OP_STEP) this.update(t);
              this.collect(l, t);
            }
          : (t) => this.collect(l, t),
        (t) => cells(t, this.levels[l]) + (l === deepest ? cells(t, all) : 0),
      );
      const late = this.lateSums[l];
      if (late.length > 0) {
        add((t) => this.collectExp(l, t), (t) => cells(t, late.map((s) => s.clique)));
        add((t) => this.collectLateSums(l, t), (t) => late.reduce((a, s) => a + cellsIn(s.share[t].runs), 0));
      }
    }
    for (let l = 0; l <= deepest; l++) {
      add((t) => this.distribute(l, t), (t) => cells(t, this.levels[l]) + scattered(t, this.childSplit[l]));
      if (this.childAfter[l].length > 0) add((t) => this.scatter(this.childAfter[l], t), (t) => scattered(t, this.childAfter[l]));
    }
    add(
      (t) => {
        this.scatter(this.projSplit, t);
        this.scatter(this.projAfter, t);
      },
      (t) => scattered(t, this.projSplit) + scattered(t, this.projAfter),
    );
    return [phases, costs];
  }

  /** theta ← omega − alpha·dL on thread t's cells. */
  private update(t: number): void {
    const p = this.params;
    const theta = this.theta[p[THETA_SET]];
    const omega = this.theta[1 - p[THETA_SET]];
    const dl = this.grad[p[GRAD_SET]];
    const alpha = p[ALPHA];
    for (let i = 0; i < theta.length; i++) {
      const [lo, hi] = this.half(i, t);
      const th = theta[i];
      const om = omega[i];
      const gi = dl[i];
      for (let k = lo; k < hi; k++) th[k] = om[k] - alpha * gi[k];
    }
  }

  /**
   * Collect on level l, thread t's cells: a clique whose slices it owns ends with its upward
   * message (or log Z); one whose slices span both halves gets only its partial belief and
   * slice maxima here (then `collectExp`, `collectWholeSums`).
   */
  private collect(l: number, t: number): void {
    const p = this.params;
    const theta = this.theta[p[THETA_SET]];
    for (const i of this.levels[l]) {
      const [lo, hi] = this.half(i, t);
      const b = this.work[i];
      const map = this.ownSep[i];
      const own = this.slices[t][i];
      if (own === null) {
        const mx = this.sliceMaxHalf[t][i];
        mx.fill(-Infinity);
        partialBelief(theta[i], this.childUp[i], this.childMap[i], b, map, mx, lo, hi);
        continue;
      }
      const [jlo, jhi] = own;
      const mx = this.sliceMax[i];
      const sm = this.sliceSum[i];
      const upm = this.up[i];
      mx.fill(-Infinity, jlo, jhi);
      partialBelief(theta[i], this.childUp[i], this.childMap[i], b, map, mx, lo, hi);
      for (let j = jlo; j < jhi; j++) if (mx[j] === -Infinity) mx[j] = 0;
      sm.fill(0, jlo, jhi);
      for (let k = lo; k < hi; k++) {
        const j = map[k];
        const e = Math.exp(b[k] - mx[j]);
        b[k] = e;
        sm[j] += e;
      }
      if (this.tree.parent[i] >= 0) {
        for (let j = jlo; j < jhi; j++) upm[j] = mx[j] + Math.log(sm[j]);
      } else if (jhi > jlo) {
        p[LOG_Z] = mx[0] + Math.log(sm[0]);
        p[ROOT_SUM] = sm[0];
      }
    }
  }

  /** Slices spanning both halves: maxima combined in cell order, exponentials on thread t's cells. */
  private collectExp(l: number, t: number): void {
    for (const { clique: i } of this.lateSums[l]) {
      const mx = this.combinedMax(i);
      const [lo, hi] = this.half(i, t);
      const b = this.work[i];
      const map = this.ownSep[i];
      for (let k = lo; k < hi; k++) b[k] = Math.exp(b[k] - mx[map[k]]);
    }
  }

  /** Slices spanning both halves: each thread's share of the slice sums (its runs, in cell order) and of the message (or log Z). */
  private collectLateSums(l: number, t: number): void {
    const p = this.params;
    for (const { clique: i, share } of this.lateSums[l]) {
      const { runs, out } = share[t];
      const [jlo, jhi] = out;
      if (jhi <= jlo) continue;
      const mx = this.combinedMax(i);
      const b = this.work[i];
      const sm = this.sliceSum[i];
      if (sm.length === 1) {
        // One slice (the root): the same additions in the same order, in a register.
        let acc = 0;
        for (let r = 0; r < runs.length; r += 2) for (let k = runs[r]; k < runs[r + 1]; k++) acc += b[k];
        sm[0] = acc;
      } else {
        const map = this.ownSep[i];
        sm.fill(0, jlo, jhi);
        for (let r = 0; r < runs.length; r += 2) for (let k = runs[r]; k < runs[r + 1]; k++) sm[map[k]] += b[k];
      }
      if (this.tree.parent[i] >= 0) {
        const upm = this.up[i];
        for (let j = jlo; j < jhi; j++) upm[j] = mx[j] + Math.log(sm[j]);
      } else {
        p[LOG_Z] = mx[0] + Math.log(sm[0]);
        p[ROOT_SUM] = sm[0];
      }
    }
  }

  /** Distribute on level l, thread t's cells: marginals, and the children's separator marginals it can split. */
  private distribute(l: number, t: number): void {
    const p = this.params;
    const total = p[TOTAL];
    for (const i of this.levels[l]) {
      const [lo, hi] = this.half(i, t);
      const e = this.work[i];
      const o = this.mu[i];
      if (this.tree.parent[i] < 0) {
        const scale = total / p[ROOT_SUM];
        for (let k = lo; k < hi; k++) o[k] = e[k] * scale;
        continue;
      }
      const sm = this.sliceSum[i];
      const sep = this.sepMarg[i];
      const ratio = this.ratio;
      const [jlo, jhi] = this.slices[t][i] ?? [0, sm.length];
      for (let j = jlo; j < jhi; j++) ratio[j] = sm[j] > 0 ? sep[j] / sm[j] : 0;
      const map = this.ownSep[i];
      for (let k = lo; k < hi; k++) o[k] = e[k] * ratio[map[k]];
    }
    this.scatter(this.childSplit[l], t);
  }

  /** Slice maxima of clique i's two halves combined in cell order (thread 0's cells first). */
  private combinedMax(i: number): Float64Array {
    const a = this.sliceMaxHalf[0][i];
    const b = this.sliceMaxHalf[1][i];
    const mx = this.maxCombined;
    for (let j = 0; j < a.length; j++) {
      let v = a[j];
      if (b[j] > v) v = b[j];
      mx[j] = v === -Infinity ? 0 : v;
    }
    return mx;
  }

  /** Thread t's share of each scatter: its output cells zeroed, then its runs of clique cells summed into them. */
  private scatter(list: readonly Scatter[], t: number): void {
    for (const s of list) {
      const runs = s.runs[t];
      if (runs.length === 0) continue;
      const range = s.outRange[t];
      for (let q = 0; q < s.outs.length; q++) s.outs[q].fill(0, range[2 * q], range[2 * q + 1]);
      const src = this.mu[s.clique];
      for (let r = 0; r < runs.length; r += 2) sumIntoEachRange(src, s.maps, s.outs, runs[r], runs[r + 1]);
    }
  }

  /** `MeasurementLoss.gatherTop` on thread t's cells. */
  private gatherCells(t: number): void {
    const out = this.grad[this.params[GRAD_SET]];
    for (let i = 0; i < out.length; i++) {
      const [lo, hi] = this.half(i, t);
      out[i].fill(0, lo, hi);
    }
    for (const g of this.gatherOf) {
      const [lo, hi] = this.half(g.clique, t);
      gatherSumRange(g.srcs, g.maps, this.grad[this.params[GRAD_SET]][g.clique], lo, hi);
    }
  }
}

/** The scatters of one clique over the same runs fused into one pass (outputs and their ranges side by side). */
function fuse(list: readonly Scatter[]): Scatter[] {
  const byKey = new Map<string, Scatter>();
  for (const s of list) {
    const f = byKey.get(s.key);
    if (f === undefined) {
      byKey.set(s.key, { clique: s.clique, maps: [...s.maps], outs: [...s.outs], runs: s.runs, outRange: [[...s.outRange[0]], [...s.outRange[1]]], key: s.key });
      continue;
    }
    f.maps.push(...s.maps);
    f.outs.push(...s.outs);
    (f.outRange[0] as number[]).push(...s.outRange[0]);
    (f.outRange[1] as number[]).push(...s.outRange[1]);
  }
  return [...byKey.values()];
}

/**
 * The runs of a row-major table of `n` cells whose value of one attribute (`values` values, each
 * spanning `block` consecutive cells) lies in [from, to), flattened [lo, hi) pairs in ascending order.
 */
function runsOf(n: number, values: number, block: number, from: number, to: number): number[] {
  if (from >= to) return [];
  if (from === 0 && to === values) return [0, n];
  const out: number[] = [];
  for (let base = 0; base < n; base += values * block) out.push(base + from * block, base + to * block);
  return out;
}

/** The cells of flattened [lo, hi) runs. */
function cellsIn(runs: readonly number[]): number {
  let n = 0;
  for (let r = 0; r < runs.length; r += 2) n += runs[r + 1] - runs[r];
  return n;
}
