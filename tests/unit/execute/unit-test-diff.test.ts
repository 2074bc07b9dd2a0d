import { describe, expect, it } from 'vitest';
import { diffRows } from '../../../src/execute/run-unit-test.js';

// dbt-core core/dbt/task/test.py (_get_daff_diff): both sides sorted, so order does not matter; daff marks rows +++ / ---.
describe('diffRows', () => {
  it('is undefined when both sides hold the same rows in any order', () => {
    expect(
      diffRows(
        ['id', 'name'],
        [
          [1, 'a'],
          [2, null],
        ],
        [
          [2, null],
          [1, 'a'],
        ],
      ),
    ).toBeUndefined();
  });

  it('counts duplicates: one row twice is not the same as once', () => {
    expect(diffRows(['id'], [[1], [1]], [[1]])).toEqual(['@@ ,id', '   ,1', '---,1']);
  });

  it('marks rows only the model returned with +++, expected rows it missed with ---, shared rows blank, NULLs as empty cells', () => {
    expect(
      diffRows(
        ['id', 'name'],
        [
          [1, 'bob'],
          [2, null],
        ],
        [
          [1, 'ann'],
          [2, null],
        ],
      ),
    ).toEqual(['@@ ,id,name', '+++,1 ,ann', '---,1 ,bob', '   ,2 ,']);
  });
});
