/**
 * A test file sits in the vitest project that provides what it uses: a file that runs
 * bin/baton.js in a project without the build would fail on a clean clone (or, worse, run
 * yesterday's dist/), and a pure file in a heavier project makes the unit run wait for nothing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createVitest } from 'vitest/node';
import { describe, expect, it } from 'vitest';
import { INTEGRATION_TESTS, SYSTEM_TESTS, testNeeds } from './projects.js';

describe('vitest projects', () => {
  it('puts every test file in the project that provides what it needs, and only there', async () => {
    const vitest = await createVitest('test', { watch: false, config: 'vitest.config.ts' });
    try {
      const placed = new Map<string, string[]>();
      for (const spec of await vitest.globTestSpecifications()) {
        const file = spec.moduleId.slice(vitest.config.root.length + 1);
        placed.set(file, [...(placed.get(file) ?? []), spec.project.name]);
      }
      const misplaced: string[] = [];
      for (const [file, projects] of placed) {
        const needs = testNeeds(await readFile(file, 'utf8'));
        if (projects.length !== 1 || projects[0] !== needs) {
          misplaced.push(`${file}: needs ${needs}, sits in ${projects.join(' and ')}`);
        }
      }
      expect(misplaced).toEqual([]);
      expect([...placed.values()].flat()).toEqual(expect.arrayContaining(['unit', 'integration', 'system']));
    } finally {
      await vitest.close();
    }
  });

  it('names no file that is not there (a moved test would otherwise fall back to unit)', () => {
    const literal = [...INTEGRATION_TESTS, ...SYSTEM_TESTS].filter((pattern) => !/[*{}]/.test(pattern));
    expect(literal.filter((file) => !existsSync(file))).toEqual([]);
  });
});
