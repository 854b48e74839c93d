/**
 * The worker-thread side of qualityReportAsync: receives the two tables and the options, computes the
 * report off the main event loop, and posts it (or the error with its code) back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { qualityReport } from './report';

try {
  const { real, synthetic, options } = workerData;
  parentPort!.postMessage({ ok: true, report: qualityReport(real, synthetic, options) });
} catch (error) {
  const e = error as Error & { code?: string };
  parentPort!.postMessage({ ok: false, name: e.name, message: e.message, code: e.code });
}
