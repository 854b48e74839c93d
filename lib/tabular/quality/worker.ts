/**
 * The worker-thread side of the tabular async calls (qualityReportAsync, TableEncoder.fitAsync):
 * receives a job and its inputs, computes off the main event loop, and posts the result (or the error
 * with its code) back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TableEncoder } from '../encoder';
import { qualityReport } from './report';

try {
  const { job, real, synthetic, options, table } = workerData;
  const result = job === 'encoderFit' ? TableEncoder.fit(table, options).toJSON() : qualityReport(real, synthetic, options);
  parentPort!.postMessage({ ok: true, result });
} catch (error) {
  const e = error as Error & { code?: string };
  parentPort!.postMessage({ ok: false, name: e.name, message: e.message, code: e.code });
}
