import { describe, expect, it } from 'vitest';
import { unclosedBlock } from '../../../src/templating/unclosed-block.js';

describe('unclosedBlock', () => {
  it('finds the innermost block left open', () => {
    const src = '{% macro m() %}\n{% for x in xs %}\n{% if x %}1{% endif %}\n';
    expect(unclosedBlock(src)).toEqual({ tag: 'for', offset: src.indexOf('{% for') });
  });

  it('is undefined when every block is closed, and skips comments, raw blocks and inline sets', () => {
    expect(unclosedBlock('{% set a = 1 %}{# {% if %} #}{% raw %}{% for %}{% endraw %}{% if a %}{% endif %}')).toBeUndefined();
  });

  it('counts a block set as a block, and stops at the given offset', () => {
    const src = '{% set body %}\nselect 1\n{% endset %}\n{% if x %}';
    expect(unclosedBlock(src)).toEqual({ tag: 'if', offset: src.indexOf('{% if') });
    expect(unclosedBlock(src, src.indexOf('{% endset'))).toEqual({ tag: 'set', offset: 0 });
  });
});
