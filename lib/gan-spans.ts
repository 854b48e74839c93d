/**
 * The Gan's per-span output activations as standalone functions (the same native code the training
 * step runs), for checking them against references and for tools that post-process generator logits.
 */
import { native } from './native';
import type { ConditionLink, OutputSpan } from './gan';
import { requireFloat32Array, requireInteger, requireNumber, requireSeed } from './validate';

/** spans(logits) row by row; `gumbel` (same length as logits) is the noise Gumbel spans add (default none). */
export function spanForward(logits: Float32Array, spans: OutputSpan[], tau = 0.2, gumbel?: Float32Array): Float32Array {
  return native().ganSpansForward(
    requireFloat32Array(logits, 'logits'),
    spans,
    requireNumber(tau, 'tau'),
    gumbel === undefined ? undefined : requireFloat32Array(gumbel, 'gumbel'),
  );
}

/** dL/dlogits from the forward's output and dL/dout. */
export function spanBackward(out: Float32Array, gradOut: Float32Array, spans: OutputSpan[], tau = 0.2): Float32Array {
  return native().ganSpansBackward(requireFloat32Array(out, 'out'), requireFloat32Array(gradOut, 'gradOut'), spans, requireNumber(tau, 'tau'));
}

/** Standard Gumbel noise from Philox (seed, stream), as the Gan draws it. */
export function gumbelNoise(n: number, seed: number | bigint, stream: number | bigint): Float32Array {
  return native().gumbelNoise(requireInteger(n, 'n', 1, 2 ** 31), requireSeed(seed, 'seed'), requireSeed(stream, 'stream'));
}

/** The conditional-generator loss and its gradient with respect to the logits. */
export function conditionLoss(
  logits: Float32Array,
  conditions: Float32Array,
  spans: OutputSpan[],
  conditionDim: number,
  links: ConditionLink[],
  weight = 1,
): { loss: number; grad: Float32Array } {
  return native().ganConditionLoss(
    requireFloat32Array(logits, 'logits'),
    requireFloat32Array(conditions, 'conditions'),
    spans,
    requireInteger(conditionDim, 'conditionDim', 1, 2 ** 20),
    links,
    requireNumber(weight, 'weight'),
  );
}
