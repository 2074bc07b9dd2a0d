import type { Node } from '../parse/nodes.js';
import type { NodeResult, RunSummary } from './results.js';

/** Everything the runner says while it works; the CLI prints it, the API collects it. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  nodeStarted(node: Node, index: number, total: number): void;
  nodeFinished(result: NodeResult, index: number, total: number): void;
  runFinished?(summary: RunSummary): void;
}

export const silentReporter: Reporter = {
  info: () => undefined,
  warn: () => undefined,
  nodeStarted: () => undefined,
  nodeFinished: () => undefined,
};
