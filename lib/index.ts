/**
 * reckit: recommender-system compute for Node.js. Exact cosine top-k retrieval, embedding tables and
 * GANs on a hand-written C++ (and optional CUDA) core.
 * @packageDocumentation
 */
export { info, backends, setThreads, getThreads } from './info';
export type { Info, BackendInfo, CudaInfo, Isa } from './info';
export * as ops from './ops';
export type { KernelOptions } from './ops';
export type { GemmOptions, Activation } from './ops-gemm';
export * as random from './random';
export type { Device, RandomOptions, UniformOptions, NormalOptions } from './random';
export { isReckitError } from './errors';
export type { ReckitError, ReckitErrorCode } from './errors';
export { readSafetensors, writeSafetensors, xxh64 } from './safetensors';
export type { SafetensorsContent, SafetensorsTensor, SafetensorsDType, TensorData } from './safetensors';
export * from './recsys/index';
export * as tabular from './tabular';
export { qualityReport, qualityReportAsync, TableEncoder, TabularSynthesizer, readCsvTable, writeCsvTable } from './tabular';
export type { Table, QualityReport, QualityOptions, Span } from './tabular';
export { Mlp, computeLoss } from './mlp';
export type { MlpOptions, MlpDeviceOption, MlpTrainOptions, BackwardResult, LossName, ActivationName, LayerSpec, OptimizerOptions } from './mlp';
export { Gan } from './gan';
export type { GanOptions, GanFitOptions, GanProgress, GanSampleOptions, OutputSpan, ConditionLink, SpanKind, Description as GanDescription } from './gan';
export { CosineIndex } from './cosine-index';
export type {
  CosineIndexOptions, FromTableOptions, Metric, Storage, Ids, Id, Exclusions, SearchOptions, SearchResult, MemoryUsage,
  LoadOptions as CosineIndexLoadOptions,
} from './cosine-index';
export { mergeTopK } from './merge-topk';
export type { ShardResult } from './merge-topk';
export { EmbeddingTable } from './embedding-table';
export type {
  Ids as RowIds,
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
  SaveOptions as EmbeddingSaveOptions,
  LoadOptions as EmbeddingLoadOptions,
} from './embedding-table';
