/** `baton nodes`: the nodes steps reach over SSH, and the sources that list them. */
import type { Command } from 'commander';
import type {
  NodeSourceResponse,
  NodeSourcesResponse,
  NodesResponse,
  NodeView,
} from '../../contract/nodes.js';
import { InputError } from '../../platform/errors.js';
import { parseNodeFilter } from '../../automation/nodes/filter.js';
import { usageError } from '../errors.js';
import {
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

/** Checks a run-time node filter before any request: a typo is a usage error (exit 2) with one line. */
export function checkNodeFilter(text: string): string {
  try {
    parseNodeFilter(text);
  } catch (error) {
    if (error instanceof InputError) throw usageError(`--nodes: ${error.message}`);
    throw error;
  }
  return text;
}

function hostKeyText(node: NodeView): string {
  if (node.hostKey.length > 0) return 'pinned';
  if (node.learnedHostKey) return 'pinned on first use';
  return node.trustOnFirstUse ? 'trust on first use' : 'NOT PINNED';
}

export function registerNodesCommand(program: Command): void {
  const nodes = program
    .command('nodes')
    .description('list nodes (name, address, tags, attributes, host key, source)')
    .option('--filter <filter>', "only nodes this filter matches, e.g. 'tags=web name=web-* attr.env=prod'")
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { filter?: string; output: OutputFormat }, command: Command) => {
      if (options.filter !== undefined) checkNodeFilter(options.filter);
      const client = await connect(command);
      const query = options.filter === undefined ? '' : `?filter=${encodeURIComponent(options.filter)}`;
      const answer = await client.get<NodesResponse>(`/api/v1/nodes${query}`);
      if (options.output === 'json') return printJson(answer);
      if (answer.nodes.length === 0) {
        return void process.stderr.write(
          options.filter === undefined ? 'no nodes found\n' : `no node matches ${options.filter}\n`,
        );
      }
      printTable(
        ['NODE', 'ADDRESS', 'TAGS', 'ATTRIBUTES', 'HOST KEY', 'SOURCE'],
        answer.nodes.map((node) => [
          node.name,
          `${node.user}@${node.hostname}:${node.port}`,
          node.tags.join(',') || '-',
          Object.entries(node.attributes)
            .map(([key, value]) => `${key}=${value}`)
            .join(',') || '-',
          hostKeyText(node),
          node.source ?? 'document',
        ]),
      );
    });

  nodes
    .command('sources')
    .description('list node sources: where they read, how many nodes, the last refresh and its error')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<NodeSourcesResponse>('/api/v1/node-sources');
      if (options.output === 'json') return printJson(answer);
      if (answer.sources.length === 0) return void process.stderr.write('no node sources found\n');
      printTable(
        ['SOURCE', 'FROM', 'REFRESH', 'NODES', 'LAST GOOD REFRESH', 'ERROR'],
        answer.sources.map((source) => [
          source.name,
          source.file ?? source.url ?? '',
          source.refresh,
          String(source.nodeCount),
          source.lastSuccessAt ? formatTime(source.lastSuccessAt) : 'never',
          source.lastError ?? '-',
        ]),
      );
    });

  nodes
    .command('refresh')
    .description('fetch a node source now')
    .argument('<source>', 'the NodeSource name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = await connect(command);
      const { source } = await client.post<NodeSourceResponse>(
        `/api/v1/node-sources/${encodeURIComponent(name)}/refresh`,
        {},
      );
      process.stdout.write(
        `node source ${source.name}: ${source.nodeCount} nodes${source.lastError ? `; ${source.lastError}` : ''}\n`,
      );
    });

  nodes
    .command('forget-host-key')
    .description('forget the host key a node pinned on first use (after the machine was re-keyed)')
    .argument('<node>', 'the node name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const client = await connect(command);
      await client.delete(`/api/v1/nodes/${encodeURIComponent(name)}/learned-host-key`);
      process.stdout.write(
        `forgot the host key of ${name}; the next connection pins the key it presents (trustOnFirstUse)\n`,
      );
    });
}
