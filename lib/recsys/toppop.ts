/**
 * TopPop: recommends the items with the most training interactions to everyone. The baseline every
 * personalised model must beat by a wide margin, and the cold-start fallback of all of them.
 */
import { readSafetensors } from '../safetensors';
import type { Interactions } from './interactions';
import { RecommenderBase, type FitOptions, type FitReport } from './model';

export class TopPop extends RecommenderBase {
  readonly name = 'toppop';

  /** Counts each item's training rows (after dedupe, that is its number of users). */
  async fit(train: Interactions, _options: FitOptions = {}): Promise<FitReport> {
    this.setBase(train);
    return { losses: [] };
  }

  /** Synchronous twin of {@link fit} (the count is one pass over the log). */
  fitSync(train: Interactions): FitReport {
    this.setBase(train);
    return { losses: [] };
  }

  protected scoreUserInto(_u: number, out: Float32Array): void {
    const pop = this.fittedState().popularity;
    for (let i = 0; i < out.length; i++) out[i] = pop[i];
  }

  /** TopPop has no notion of similarity: the "similar" items are the most popular other items. */
  protected similarInto(_i: number, out: Float32Array): void {
    this.scoreUserInto(0, out);
  }

  protected modelTensors(): Record<string, never> {
    return {};
  }

  /** Loads a model written by {@link save} / {@link toBuffer} (every tensor and id list checked). */
  static load(source: string | Uint8Array): TopPop {
    const model = new TopPop();
    model.restoreBase(readSafetensors(source), 'recsys.toppop');
    return model;
  }
}
