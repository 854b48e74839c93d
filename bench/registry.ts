/** Every bench suite `npx reckit bench [suite]` knows, in the order `bench` without a name runs them. */
import type { Suite } from './harness';
import { embeddingSuite } from './suites/embedding';
import { machineSuite } from './suites/machine';
import { qualitySuite } from './suites/quality';
import { recsysEvalSuite } from './suites/recsys-eval';

export const suites: Suite[] = [machineSuite, recsysEvalSuite, qualitySuite, embeddingSuite];
