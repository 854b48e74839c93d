/** Every bench suite `npx reckit bench [suite]` knows, in the order `bench` without a name runs them. */
import type { Suite } from './harness';
import { ganSuite } from './suites/gan';
import { gemmSuite } from './suites/gemm';
import { embeddingSuite } from './suites/embedding';
import { machineSuite } from './suites/machine';
import { qualitySuite } from './suites/quality';
import { recsysEvalSuite } from './suites/recsys-eval';
import { recsysModelsSuite } from './suites/recsys-models';
import { synthSuite } from './suites/synth';
import { topkSuite } from './suites/topk';

export const suites: Suite[] = [machineSuite, topkSuite, embeddingSuite, gemmSuite, ganSuite, recsysEvalSuite, recsysModelsSuite, qualitySuite, synthSuite];
