import { describe, expect, it } from 'vitest';
import { callSite } from '../../../src/templating/call-sites.js';

describe('callSite: where a template calls a function, from the template parser', () => {
  it('points at the name of the call, 1-based', () => {
    expect(callSite("select *\nfrom {{ ref('orders') }}", 'ref', 'orders')).toEqual({ line: 2, column: 9 });
  });

  it('skips text that only looks like a call: SQL strings and Jinja comments', () => {
    const source = ['select \'ref("orders")\' as note,', "{# ref('orders') #}", '  1 as x', "from {{ ref ( 'orders' ) }}"].join('\n');
    expect(callSite(source, 'ref', 'orders')).toEqual({ line: 4, column: 9 });
  });

  it('finds a call with a package, keyword arguments, or inside a block', () => {
    expect(callSite("{{ ref('pkg', 'orders', v=2) }}", 'ref', 'orders')).toEqual({ line: 1, column: 4 });
    expect(callSite("{% if true %}\n  {% set r = source('raw', 'events') %}\n{% endif %}", 'source', 'raw')).toEqual({ line: 2, column: 14 });
  });

  it('without a name, finds the first call of the function', () => {
    expect(callSite("-- config(x)\n{{ config(materialized='table') }}", 'config')).toEqual({ line: 2, column: 4 });
  });

  it('gives nothing for an absent call or a template that does not parse', () => {
    expect(callSite("{{ ref('a') }}", 'ref', 'b')).toBeUndefined();
    expect(callSite("{{ ref('a') ", 'ref', 'a')).toBeUndefined();
  });
});
