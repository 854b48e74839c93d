/**
 * reckit: recommender-system compute for Node.js. Exact cosine top-k retrieval, embedding tables and
 * GANs on a hand-written C++ (and optional CUDA) core.
 * @packageDocumentation
 */
export { info, backends, setThreads, getThreads } from './info';
export type { Info, BackendInfo, CudaInfo, Isa } from './info';
export * as ops from './ops';
export type { KernelOptions } from './ops';
export * as random from './random';
export type { Device, RandomOptions, UniformOptions, NormalOptions } from './random';
export { isReckitError } from './errors';
export type { ReckitError, ReckitErrorCode } from './errors';
export { readSafetensors, writeSafetensors, xxh64 } from './safetensors';
export type { SafetensorsContent, SafetensorsTensor, SafetensorsDType, TensorData } from './safetensors';
export * from './recsys/index';
export * as tabular from './tabular';
export { qualityReport, qualityReportAsync, TableEncoder, readCsvTable, writeCsvTable } from './tabular';
export type { Table, QualityReport, QualityOptions, Span } from './tabular';
export { EmbeddingTable } from './embedding-table';
export type {
  Ids,
  PoolMode,
  SparseOptimizerKind,
  EmbeddingInit,
  EmbeddingTableOptions,
  BagOptions,
  KernelChoice,
  OutputOption,
  SparseGradient,
  StepOptions,
  StepResult,
  EmbeddingMemoryUsage,
  SaveOptions,
  LoadOptions,
} from './embedding-table';
