/**
 * Fan-out over SSH: a trivial step (`true`) on 20 nodes (20 real sshd on loopback, parallelism
 * 20) as one execution, against 20 executions of the same step one after another on one node.
 * Several rounds, medians; the ratio says what the fan-out buys. BENCH_NODES and
 * BENCH_NODES_ROUNDS size it.
 */
import {
  ADMIN,
  compare,
  median,
  printTable,
  progress,
  startInProcessServer,
  type Comparison,
} from './harness.js';
import { startSshdFleet } from './sshd.js';
import { TERMINAL_STATES } from '../src/automation/executions/model.js';
import { getExecution } from '../src/automation/executions/store.js';
import type { Baton } from '../src/app.js';

const NODES = Number(process.env.BENCH_NODES ?? 20);
const ROUNDS = Number(process.env.BENCH_NODES_ROUNDS ?? 5);

async function finished(baton: Baton, id: number): Promise<void> {
  for (;;) {
    const execution = await getExecution(baton.db, id);
    if (execution && TERMINAL_STATES.has(execution.state)) {
      if (execution.state !== 'succeeded')
        throw new Error(`execution ${id} ${execution.state}: ${execution.reason}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function benchNodes(): Promise<{ comparisons: Comparison[]; notes: string[] }> {
  const fleet = await startSshdFleet(NODES);
  const server = await startInProcessServer({ workerConcurrency: 4 });
  try {
    const { baton } = server;
    await baton.secrets.set(ADMIN, 'bench/ssh', { value: fleet.clientKey });
    const nodes = fleet.servers
      .map(
        (sshd, index) => `---
apiVersion: baton/v1
kind: Node
metadata: {name: node-${index}}
spec: {hostname: 127.0.0.1, port: ${sshd.port}, user: root, key: bench/ssh, hostKey: '${sshd.hostKey}', tags: [bench]}
`,
      )
      .join('');
    await server.applyJobs(`${nodes}---
apiVersion: baton/v1
kind: Job
metadata: {name: trivial, project: bench}
spec:
  nodes: {tags: [bench], parallelism: ${Math.min(NODES, 100)}, keepGoing: true}
  steps: [{name: main, command: ["true"]}]
`);
    const fanOut: number[] = [];
    const sequential: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      progress(`nodes: round ${round + 1}/${ROUNDS}`);
      let started = performance.now();
      await finished(baton, (await baton.executions.run(ADMIN, 'bench', 'trivial', {})).id);
      fanOut.push(performance.now() - started);
      started = performance.now();
      for (let index = 0; index < NODES; index++) {
        await finished(
          baton,
          (await baton.executions.run(ADMIN, 'bench', 'trivial', {}, { nodes: 'name=node-0' })).id,
        );
      }
      sequential.push(performance.now() - started);
    }
    const comparisons = [
      compare(
        `${NODES} nodes in one fan-out vs ${NODES} runs on one node, one after another`,
        'ms',
        median(sequential),
        median(fanOut),
      ),
    ];
    const notes = [
      `fan-out median ${median(fanOut).toFixed(0)} ms, sequential median ${median(sequential).toFixed(0)} ms ` +
        `(${ROUNDS} rounds); sequential / fan-out = ${(median(sequential) / median(fanOut)).toFixed(1)}x`,
    ];
    printTable('Fan-out to nodes over SSH', comparisons, notes);
    return { comparisons, notes };
  } finally {
    await server.stop();
    await fleet.stop();
  }
}
