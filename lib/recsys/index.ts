/**
 * The recommender layer's public surface: loading and cleaning interaction logs, splits, metrics, the
 * `Recommender` contract with its models, the evaluator, and the synthetic shop generator.
 */
export { IdMap, fromRows, makeInteractions, selectRows, compact, rowsByUser, itemsByUser, itemCounts, toCsr } from './interactions';
export type { Interactions, InteractionArrays, RawId, UserRows, UserItems, Csr } from './interactions';
export { loadInteractions, loadInteractionsSync, parseInteractions, parseInteractionsAsync } from './load';
export type { LoadOptions, LoadReport, LoadResult, MalformedRow, ColumnRole } from './load';
export { clean, dedupe, kCore } from './clean';
export type { CleanOptions, CleanReport, CleanResult, DedupeMode } from './clean';
export { leaveOneOut, ratioSplit, timeSplit, splitBySpec } from './split';
export type { Split, SplitKind } from './split';
export { METRIC_NAMES, metricLabel, topK, fullRankingMetrics, sampledMetrics, sampleNegatives, MetricAccumulator } from './metrics';
export type { MetricName, MetricValues } from './metrics';
export { RecommenderBase } from './model';
export type { Recommender, RecommendOptions, SimilarOptions, Recommendation, FitOptions, FitProgress, FitReport } from './model';
export { TopPop } from './toppop';
export { ItemKnn, UserKnn } from './knn';
export type { KnnOptions } from './knn';
export { Bpr, bprStep } from './bpr';
export type { BprOptions, BprFitOptions, BprConfig } from './bpr';
export { cosineNeighbours, twoHop } from './sparse-ops';
export { CFGAN } from './cfgan';
export type { CfganOptions, CfganFitOptions, Settings as CfganSettings } from './cfgan';
export { registerModel, modelNames, modelEntries, createModel, loadModel, PLANNED_MODELS } from './registry';
export type { ModelEntry } from './registry';
export { evaluate, evaluateModel, describeProtocol, sparsestUsers } from './evaluate';
export type { EvaluateOptions, Evaluation, ModelResult, Protocol, EvaluateProgress } from './evaluate';
export { Rng } from './prng';
export { generateShop, shopInteractions, shopToCsv, EVENT_TYPES, TIERS } from './synthetic-shop';
export type { Shop, ShopOptions, ShopItem, ShopUser, ShopSegment, ShopEvents, EventType, ShopInteractionOptions } from './synthetic-shop';
