/**
 * Typed wrappers of the recommenders' sparse native ops (cosine neighbours, two-hop scoring) and the
 * save/load of a CSR matrix as three safetensors tensors. The arithmetic is native; this file only names
 * arguments.
 */
import { reckitError } from '../errors';
import { native } from '../native';
import type { SafetensorsContent, SafetensorsTensor } from '../safetensors';
import type { Csr } from './interactions';

type CsrArgs = [Int32Array, Int32Array, Float32Array, number, number];

function args(m: Csr): CsrArgs {
  return [m.offsets, m.indices, m.values, m.rows, m.cols];
}

/** The `k` cosine neighbours (with shrinkage) of every row of `m`: a rows × rows CSR, best first per row. */
export function cosineNeighbours(m: Csr, k: number, shrink: number): Csr {
  return native().knnNeighbours(...args(m), k, shrink) as Csr;
}

/** {@link cosineNeighbours} off the event loop. */
export function cosineNeighboursAsync(m: Csr, k: number, shrink: number): Promise<Csr> {
  return native().knnNeighboursAsync(...args(m), k, shrink) as Promise<Csr>;
}

/** out[r][c] = Σ_{(m, w) in a[rows[r]]} w · b[m][c], as rows.length × b.cols floats. */
export function twoHop(a: Csr, b: Csr, rows: Int32Array): Float32Array {
  return native().twoHop(...args(a), ...args(b), rows) as Float32Array;
}

export function twoHopAsync(a: Csr, b: Csr, rows: Int32Array): Promise<Float32Array> {
  return native().twoHopAsync(...args(a), ...args(b), rows) as Promise<Float32Array>;
}

/** The transpose of a CSR matrix (each output row sorted by column). */
export function transposeCsr(m: Csr): Csr {
  const nnz = m.indices.length;
  const offsets = new Int32Array(m.cols + 1);
  for (let j = 0; j < nnz; j++) offsets[m.indices[j] + 1]++;
  for (let c = 0; c < m.cols; c++) offsets[c + 1] += offsets[c];
  const cursor = offsets.slice(0, m.cols);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  for (let r = 0; r < m.rows; r++) {
    for (let j = m.offsets[r]; j < m.offsets[r + 1]; j++) {
      const at = cursor[m.indices[j]]++;
      indices[at] = r;
      values[at] = m.values[j];
    }
  }
  return { rows: m.cols, cols: m.rows, offsets, indices, values };
}

/** A CSR matrix as tensors `<name>.offsets`, `.indices`, `.values` (shape in the offsets' length and metadata). */
export function csrTensors(name: string, m: Csr): Record<string, SafetensorsTensor> {
  return {
    [`${name}.offsets`]: { dtype: 'I32', shape: [m.offsets.length], data: m.offsets },
    [`${name}.indices`]: { dtype: 'I32', shape: [m.indices.length], data: m.indices },
    [`${name}.values`]: { dtype: 'F32', shape: [m.values.length], data: m.values },
  };
}

/** Reads a matrix written by {@link csrTensors}; the native ops validate its structure on every use. */
export function readCsr(content: SafetensorsContent, name: string, rows: number, cols: number): Csr {
  const get = (part: string, dtype: string) => {
    const t = content.tensors[`${name}.${part}`];
    if (!t || t.dtype !== dtype) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `tensor '${name}.${part}' is missing or not ${dtype}`);
    return t.data;
  };
  const offsets = get('offsets', 'I32') as Int32Array;
  const indices = get('indices', 'I32') as Int32Array;
  const values = get('values', 'F32') as Float32Array;
  if (offsets.length !== rows + 1 || indices.length !== values.length || offsets[0] !== 0 || offsets[rows] !== indices.length) {
    throw reckitError('ERR_RECKIT_CORRUPT_FILE', `tensors '${name}.*' do not form a ${rows} × ${cols} sparse matrix`);
  }
  for (let r = 0; r < rows; r++) {
    if (offsets[r + 1] < offsets[r]) throw reckitError('ERR_RECKIT_CORRUPT_FILE', `'${name}.offsets' are not monotone`);
  }
  for (let j = 0; j < indices.length; j++) {
    if (indices[j] < 0 || indices[j] >= cols || !Number.isFinite(values[j])) {
      throw reckitError('ERR_RECKIT_CORRUPT_FILE', `'${name}' entry ${j} is out of range or not finite`);
    }
  }
  return { rows, cols, offsets, indices, values };
}
