/** GET /api/v1/nodes and /api/v1/node-sources as the UI reads them. */

// The contract's description of the answers, the CLI's and the server's too: one definition for all.
export type { NodeView as Node, NodeSourceView as NodeSource } from '../../../src/contract/nodes.js';

/** A job's `spec.nodes`, as applied (and a run request's `nodes` in structured form). */
export type { NodeFilter as NodeFilterSpec } from '../../../src/contract/nodes.js';
