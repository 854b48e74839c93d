/**
 * Neighbourhood recommenders over the user × item matrix X (binary by default, or the ratings):
 *   sim(a, b) = <x_a, x_b> / (|x_a| |x_b| + shrink), each row keeping its `neighbours` best (native).
 * ItemKNN: score(u, j) = Σ_{i ∈ items(u)} x_ui · sim(i, j) over the pairs where i is among j's top
 *   neighbours (`neighbourhood: 'candidate'`, Sarwar et al. 2001, the default) or j among i's (`'seen'`,
 *   Deshpande & Karypis 2004); similarItems(i) = i's neighbours.
 * UserKNN: score(u, j) = Σ_{v ∈ neighbours(u)} sim(u, v) · x_vj; similarItems uses item neighbours
 *   computed the same way.
 * Scoring is a native sparse two-hop product; fits and batch scoring run off the event loop.
 */
import { invalidArg, outOfRange, reckitError } from '../errors';
import { readSafetensors, type SafetensorsTensor } from '../safetensors';
import { requireInteger, requireNumber, requireObject, requireOneOf } from '../validate';
import { toCsr, type Csr, type Interactions } from './interactions';
import { checkInteractions, RecommenderBase, type FitOptions, type FitReport } from './model';
import { cosineNeighboursAsync, csrTensors, readCsr, transposeCsr, twoHop, twoHopAsync } from './sparse-ops';

export interface KnnOptions {
  /** Neighbours kept per item (ItemKNN) or user (UserKNN). */
  neighbours?: number;
  /** Shrinkage added to the norm product (damps pairs that share few users/items). Default 10. */
  shrink?: number;
  /** `binary` (default): every interaction counts 1; `rating`: the interaction's rating/weight. */
  weighting?: 'binary' | 'rating';
  /**
   * ItemKNN only: whose neighbourhood decides which pairs count. `'seen'`: a seen item i adds sim(i, j) to
   * its own top neighbours j (Deshpande & Karypis). `'candidate'`: a candidate j sums sim(i, j) over the
   * seen items among its own top neighbours (Sarwar et al.). Default `'candidate'`.
   */
  neighbourhood?: 'seen' | 'candidate';
}

interface KnnConfig {
  neighbours: number;
  shrink: number;
  weighting: 'binary' | 'rating';
  neighbourhood: 'seen' | 'candidate';
}

const WEIGHTINGS = ['binary', 'rating'] as const;
const NEIGHBOURHOODS = ['seen', 'candidate'] as const;

function knnConfig(options: unknown, defaultNeighbours: number): KnnConfig {
  const o = requireObject(options, 'options');
  return {
    neighbours: o.neighbours === undefined ? defaultNeighbours : requireInteger(o.neighbours, 'options.neighbours', 1, 2 ** 31 - 1),
    shrink: o.shrink === undefined ? 10 : nonNegative(o.shrink, 'options.shrink'),
    weighting: o.weighting === undefined ? 'binary' : requireOneOf(o.weighting, 'options.weighting', WEIGHTINGS),
    neighbourhood: o.neighbourhood === undefined ? 'candidate' : requireOneOf(o.neighbourhood, 'options.neighbourhood', NEIGHBOURHOODS),
  };
}

function nonNegative(v: unknown, name: string): number {
  const x = requireNumber(v, name);
  if (!(x >= 0) || !Number.isFinite(x)) throw outOfRange(`${name} must be a finite number >= 0`);
  return x;
}

interface KnnState {
  /** users × items. */
  x: Csr;
  /** items × items neighbours (both models: ItemKNN scores with it, UserKNN answers similarItems). */
  itemNeighbours: Csr;
  /** users × users neighbours (UserKNN only). */
  userNeighbours: Csr | null;
  /** ItemKNN scoring matrix: row i holds the candidates j that i scores, with sim(i, j). */
  itemScoring: Csr | null;
}

abstract class KnnRecommender extends RecommenderBase {
  protected config: KnnConfig;
  protected knn: KnnState | null = null;

  constructor(options: KnnOptions | undefined, defaultNeighbours: number) {
    super();
    this.config = knnConfig(options ?? {}, defaultNeighbours);
  }

  protected abstract readonly byUser: boolean;

  async fit(train: Interactions, options: FitOptions = {}): Promise<FitReport> {
    this.checkAlive();
    requireObject(options, 'options');
    // Build everything first: a failed fit leaves the previous model in place.
    checkInteractions(train);
    if (train.users.length === 0) throw invalidArg('train has no interactions');
    const binary = this.config.weighting === 'binary';
    const x = toCsr(train, { by: 'user', binary });
    const byItem = toCsr(train, { by: 'item', binary });
    const total = this.byUser ? 2 : 1;
    const itemNeighbours = await cosineNeighboursAsync(byItem, this.config.neighbours, this.config.shrink);
    options.onProgress?.({ phase: 'neighbours', done: 1, total });
    let userNeighbours: Csr | null = null;
    if (this.byUser) {
      userNeighbours = await cosineNeighboursAsync(x, this.config.neighbours, this.config.shrink);
      options.onProgress?.({ phase: 'neighbours', done: 2, total });
    }
    this.checkAlive();
    this.setBase(train);
    this.knn = { x, itemNeighbours, userNeighbours, itemScoring: this.itemScoring(itemNeighbours) };
    return { losses: [] };
  }

  /** ItemKNN's item → candidate matrix for the chosen neighbourhood (null for UserKNN). */
  private itemScoring(n: Csr): Csr | null {
    if (this.byUser) return null;
    // Neighbour lists are rows "i → its neighbours j"; the candidate side needs "i → every j that has i
    // among its neighbours", the transpose (cosine is symmetric, so the values carry over).
    return this.config.neighbourhood === 'seen' ? n : transposeCsr(n);
  }

  /** The (A, B) of the two-hop product that scores users. */
  protected abstract scoringPair(k: KnnState): [Csr, Csr];

  private knnState(): KnnState {
    this.fittedState();
    return this.knn as KnnState;
  }

  override scoreUsers(users: Int32Array): Promise<Float32Array> {
    try {
      const k = this.knnState();
      checkUsers(users, this.numUsers);
      const [a, b] = this.scoringPair(k);
      return twoHopAsync(a, b, users);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Scores of a batch of user indices on the calling thread (for small batches). */
  scoreUsersSync(users: Int32Array): Float32Array {
    const k = this.knnState();
    checkUsers(users, this.numUsers);
    const [a, b] = this.scoringPair(k);
    return twoHop(a, b, users);
  }

  protected scoreUserInto(u: number, out: Float32Array): void {
    const [a, b] = this.scoringPair(this.knnState());
    out.set(twoHop(a, b, Int32Array.of(u)));
  }

  protected similarInto(i: number, out: Float32Array): void {
    const n = this.knnState().itemNeighbours;
    out.fill(0);
    for (let p = n.offsets[i]; p < n.offsets[i + 1]; p++) out[n.indices[p]] = n.values[p];
  }

  /** The neighbour lists of item index `i` (ids are dense indices), best first. */
  itemNeighbours(i: number): { indices: Int32Array; values: Float32Array } {
    const n = this.knnState().itemNeighbours;
    requireInteger(i, 'item index', 0, n.rows - 1);
    return { indices: n.indices.slice(n.offsets[i], n.offsets[i + 1]), values: n.values.slice(n.offsets[i], n.offsets[i + 1]) };
  }

  protected modelTensors(): Record<string, SafetensorsTensor> {
    const k = this.knnState();
    return {
      ...csrTensors('x', k.x),
      ...csrTensors('itemNeighbours', k.itemNeighbours),
      ...(k.userNeighbours ? csrTensors('userNeighbours', k.userNeighbours) : {}),
    };
  }

  protected override modelConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  protected restore(source: string | Uint8Array): void {
    const content = readSafetensors(source);
    const saved = this.restoreBase(content, `recsys.${this.name}`);
    try {
      this.config = knnConfig(saved, this.config.neighbours);
    } catch {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `the saved ${this.name} settings are invalid`);
    }
    const users = this.numUsers;
    const items = this.numItems;
    this.knn = {
      x: readCsr(content, 'x', users, items),
      itemNeighbours: readCsr(content, 'itemNeighbours', items, items),
      userNeighbours: this.byUser ? readCsr(content, 'userNeighbours', users, users) : null,
      itemScoring: null,
    };
    this.knn.itemScoring = this.itemScoring(this.knn.itemNeighbours);
  }

  override dispose(): void {
    this.knn = null;
    super.dispose();
  }
}

function checkUsers(users: unknown, numUsers: number): asserts users is Int32Array {
  if (!(users instanceof Int32Array)) throw invalidArg('users must be an Int32Array of user indices');
  for (let j = 0; j < users.length; j++) {
    if (users[j] < 0 || users[j] >= numUsers) throw outOfRange(`users[${j}] = ${users[j]} is outside 0..${numUsers - 1}`);
  }
}

export class ItemKnn extends KnnRecommender {
  readonly name = 'itemknn';
  protected readonly byUser = false;

  /** Defaults: 100 neighbours per item, shrink 10, binary weighting. */
  constructor(options?: KnnOptions) {
    super(options, 100);
  }

  protected scoringPair(k: KnnState): [Csr, Csr] {
    return [k.x, k.itemScoring as Csr];
  }

  static load(source: string | Uint8Array): ItemKnn {
    const m = new ItemKnn();
    m.restore(source);
    return m;
  }
}

export class UserKnn extends KnnRecommender {
  readonly name = 'userknn';
  protected readonly byUser = true;

  /** Defaults: 100 neighbours per user, shrink 10, binary weighting. */
  constructor(options?: KnnOptions) {
    super(options, 100);
  }

  protected scoringPair(k: KnnState): [Csr, Csr] {
    return [k.userNeighbours as Csr, k.x];
  }

  static load(source: string | Uint8Array): UserKnn {
    const m = new UserKnn();
    m.restore(source);
    return m;
  }
}
