#!/usr/bin/env node
// The installed entry point: the CLI is compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/src/cli/main.js';

main(process.argv).catch((error) => {
  console.error(`baton: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
