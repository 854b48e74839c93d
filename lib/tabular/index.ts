/**
 * The tabular toolkit's public surface: tables and CSV, the reversible transforms and the encoder the
 * TabularSynthesizer builds on, and the synthetic-data quality report.
 */
export { tableFromRows, tableFromColumns, tableFromStrings, tableLike, tableToRows, selectRows, DEFAULT_MISSING } from './table';
export type { Table, Column, ContinuousColumn, CategoricalColumn, Cell, ColumnKind, ColumnSpec, TableOptions, CsvTableOptions } from './table';
export { parseCsv, readCsvTable, writeCsvTable, formatCsv } from './csv';
export type { CsvText, ReadCsvOptions } from './csv';
export { fitGmm } from './gmm';
export type { GmmModel, GmmOptions } from './gmm';
export { TableEncoder } from './encoder';
export { ConditionSampler } from './conditions';
export type { ConditionSpan, TrainingBatch } from './conditions';
export type { Span, EncoderOptions, EncoderState, TransformOptions, ColumnEncoding, ContinuousEncoding, CategoricalEncoding } from './encoder';
export type { ContinuousMethod, ScalerState, MinMaxState, StandardState, ModeState } from './transforms';
export { checkTable } from './checks';
export type { TableCheck } from './checks';
export { qualityReport } from './quality/report';
export { qualityReportAsync } from './quality/async';
export type { QualityReport, QualityOptions, TableInput } from './quality/report';
export { qualityHtml } from './quality/html';
export type { HtmlOptions } from './quality/html';
export { ksComplement, tvComplement } from './quality/column-shapes';
export type { ColumnShape } from './quality/column-shapes';
export { correlationSimilarity, contingencySimilarity } from './quality/pair-trends';
export type { PairTrend } from './quality/pair-trends';
export { detectionScore } from './quality/detection';
export type { DetectionOptions, DetectionResult } from './quality/detection';
export { efficacy } from './quality/efficacy';
export type { EfficacyOptions, EfficacyResult } from './quality/efficacy';
export { TabularSynthesizer } from './synthesizer';
export type { SynthesizerOptions, SynthesizerProgress, SynthesizerFitOptions, SynthesizerSampleOptions, SynthesizerInput } from './synthesizer';
