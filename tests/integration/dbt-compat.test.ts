import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';

// ---- a classic dbt project: seeds, staging views, final tables, a Jinja loop, doc blocks, schema tests

const CUSTOMERS = [
  { id: 1, first_name: 'Ada', last_name: 'L.' },
  { id: 2, first_name: 'Brian', last_name: 'K.' },
  { id: 3, first_name: 'Cleo', last_name: 'P.' },
  { id: 4, first_name: 'Dov', last_name: 'S.' },
];
const ORDERS = [
  { id: 1, user_id: 1, order_date: '2024-01-02', status: 'completed' },
  { id: 2, user_id: 1, order_date: '2024-01-05', status: 'shipped' },
  { id: 3, user_id: 2, order_date: '2024-01-07', status: 'returned' },
  { id: 4, user_id: 3, order_date: '2024-02-01', status: 'placed' },
  { id: 5, user_id: 3, order_date: '2024-02-03', status: 'completed' },
  { id: 6, user_id: 2, order_date: '2024-02-10', status: 'return_pending' },
];
/** Amounts in cents, as raw exports often have them. Order 6 has no payment yet. */
const PAYMENTS = [
  { id: 1, order_id: 1, payment_method: 'card', amount: 1000 },
  { id: 2, order_id: 1, payment_method: 'voucher', amount: 250 },
  { id: 3, order_id: 2, payment_method: 'transfer', amount: 500 },
  { id: 4, order_id: 3, payment_method: 'gift', amount: 700 },
  { id: 5, order_id: 4, payment_method: 'card', amount: 300 },
  { id: 6, order_id: 5, payment_method: 'card', amount: 150 },
  { id: 7, order_id: 5, payment_method: 'voucher', amount: 50 },
];
const METHODS = ['card', 'voucher', 'transfer', 'gift'];

function csv(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0]!);
  return `${[cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n')}\n`;
}

/** What dbt produces for `orders`, computed here in plain JS. */
function expectedOrders() {
  return ORDERS.map((o) => {
    const pays = PAYMENTS.filter((p) => p.order_id === o.id);
    const byMethod = Object.fromEntries(
      METHODS.map((m) => [`${m}_amount`, pays.length ? pays.filter((p) => p.payment_method === m).reduce((s, p) => s + p.amount / 100, 0) : null]),
    );
    return {
      order_id: o.id,
      customer_id: o.user_id,
      order_date: o.order_date,
      status: o.status,
      ...byMethod,
      amount: pays.length ? pays.reduce((s, p) => s + p.amount / 100, 0) : null,
    };
  });
}

function expectedCustomers() {
  return CUSTOMERS.map((c) => {
    const orders = ORDERS.filter((o) => o.user_id === c.id);
    const pays = PAYMENTS.filter((p) => orders.some((o) => o.id === p.order_id));
    const dates = orders.map((o) => o.order_date).sort();
    return {
      customer_id: c.id,
      first_name: c.first_name,
      last_name: c.last_name,
      first_order: dates[0] ?? null,
      most_recent_order: dates[dates.length - 1] ?? null,
      number_of_orders: orders.length || null,
      customer_lifetime_value: pays.length ? pays.reduce((s, p) => s + p.amount / 100, 0) : null,
    };
  });
}

const BAKERY: Record<string, string> = {
  'dbt_project.yml': `name: 'bakery'
version: '1.0.0'
config-version: 2
profile: 'bakery'
require-dbt-version: [">=1.5.0", "<2.0.0"]
model-paths: ["models"]
seed-paths: ["seeds"]
test-paths: ["tests"]
macro-paths: ["macros"]
target-path: "target"
clean-targets: ["target", "dbt_packages"]

models:
  bakery:
    +materialized: table
    staging:
      materialized: view
`,
  'seeds/raw_customers.csv': csv(CUSTOMERS),
  'seeds/raw_orders.csv': csv(ORDERS),
  'seeds/raw_payments.csv': csv(PAYMENTS),
  'models/staging/stg_customers.sql': `with source as (
    select * from {{ ref('raw_customers') }}
),

renamed as (
    select
        id as customer_id,
        first_name,
        last_name
    from source
)

select * from renamed
`,
  'models/staging/stg_orders.sql': `select
    id as order_id,
    user_id as customer_id,
    order_date,
    status
from {{ ref('raw_orders') }}
`,
  'models/staging/stg_payments.sql': `{#- amounts arrive in cents -#}
select
    id as payment_id,
    order_id,
    payment_method,
    amount / 100 as amount
from {{ ref('raw_payments') }}
`,
  'models/orders.sql': `{% set payment_methods = ['card', 'voucher', 'transfer', 'gift'] %}

with orders as (
    select * from {{ ref('stg_orders') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

order_payments as (
    select
        order_id,
        {% for payment_method in payment_methods -%}
        sum(case when payment_method = '{{ payment_method }}' then amount else 0 end) as {{ payment_method }}_amount,
        {% endfor -%}
        sum(amount) as total_amount
    from payments
    group by order_id
)

select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    {% for payment_method in payment_methods -%}
    order_payments.{{ payment_method }}_amount,
    {% endfor -%}
    order_payments.total_amount as amount
from orders
left join order_payments on orders.order_id = order_payments.order_id
`,
  'models/customers.sql': `with customers as (
    select * from {{ ref('stg_customers') }}
),
orders as (
    select * from {{ ref('stg_orders') }}
),
payments as (
    select * from {{ ref('stg_payments') }}
),
customer_orders as (
    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(order_id) as number_of_orders
    from orders
    group by customer_id
),
customer_payments as (
    select
        orders.customer_id,
        sum(amount) as total_amount
    from payments
    left join orders on payments.order_id = orders.order_id
    group by orders.customer_id
),
final as (
    select
        customers.customer_id,
        customers.first_name,
        customers.last_name,
        customer_orders.first_order,
        customer_orders.most_recent_order,
        customer_orders.number_of_orders,
        customer_payments.total_amount as customer_lifetime_value
    from customers
    left join customer_orders on customers.customer_id = customer_orders.customer_id
    left join customer_payments on customers.customer_id = customer_payments.customer_id
)
select * from final
`,
  'models/docs.md': `{% docs orders_status %}
Orders can be one of the following statuses:

| status         | description                        |
|----------------|------------------------------------|
| placed         | not yet shipped                    |
| shipped        | on its way                         |
| completed      | received by the customer           |
| return_pending | the customer asked to return it    |
| returned       | back with us                       |
{% enddocs %}
`,
  'models/schema.yml': `version: 2

models:
  - name: customers
    description: One record per customer
    columns:
      - name: customer_id
        description: Primary key
        tests:
          - unique
          - not_null
      - name: first_order
        description: Date of the customer's first order

  - name: orders
    description: One record per order
    columns:
      - name: order_id
        data_tests:
          - unique
          - not_null
      - name: customer_id
        tests:
          - not_null
          - relationships:
              to: ref('customers')
              field: customer_id
      - name: status
        description: '{{ doc("orders_status") }}'
        tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed', 'return_pending', 'returned']
      - name: amount
        tests:
          - not_null:
              config:
                where: "status != 'return_pending'"
`,
  'models/staging/schema.yml': `version: 2

models:
  - name: stg_customers
    columns:
      - name: customer_id
        tests: [unique, not_null]
  - name: stg_orders
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: status
        tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed', 'return_pending', 'returned']
  - name: stg_payments
    columns:
      - name: payment_id
        tests: [unique, not_null]
      - name: payment_method
        tests:
          - accepted_values:
              values: ['card', 'voucher', 'transfer', 'gift']
`,
};

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('a classic dbt project runs unchanged on the embedded DuckDB', () => {
  it('builds seeds, staging views and final tables, passes every schema test, and holds the rows dbt would produce', async () => {
    const dir = writeProject(BAKERY);
    const r = await runModel(['build', '--project-dir', dir], { cwd: path.dirname(dir) });
    const text = out(r);
    expect(r.code, text).toBe(0);
    // No profile: the embedded target, said once, in one line.
    expect(count(text, 'No profiles.yml found: using the embedded DuckDB database')).toBe(1);
    // dbt_project.yml's bookkeeping keys are accepted without a word.
    expect(text).not.toMatch(/warning/i);
    const tests = 16;
    expect(text).toContain(`PASS=${3 + 3 + 2 + tests}`);
    expect(text).toContain('ERROR=0');

    const db = path.join(dir, 'target', 'bakery.duckdb');
    const kinds = await queryDuckDb(db, "select table_name, table_type from information_schema.tables where table_schema = 'main' order by 1");
    expect(Object.fromEntries(kinds.map((k) => [k.table_name, k.table_type]))).toEqual({
      customers: 'BASE TABLE',
      orders: 'BASE TABLE',
      raw_customers: 'BASE TABLE',
      raw_orders: 'BASE TABLE',
      raw_payments: 'BASE TABLE',
      stg_customers: 'VIEW',
      stg_orders: 'VIEW',
      stg_payments: 'VIEW',
    });

    const orders = await queryDuckDb(
      db,
      `select order_id::int as order_id, customer_id::int as customer_id, order_date::varchar as order_date, status,
         ${METHODS.map((m) => `${m}_amount::double as ${m}_amount`).join(', ')}, amount::double as amount
       from main.orders order by order_id`,
    );
    expect(orders).toEqual(expectedOrders());
    const customers = await queryDuckDb(
      db,
      `select customer_id::int as customer_id, first_name, last_name, first_order::varchar as first_order,
         most_recent_order::varchar as most_recent_order, number_of_orders::int as number_of_orders,
         customer_lifetime_value::double as customer_lifetime_value
       from main.customers order by customer_id`,
    );
    expect(customers).toEqual(expectedCustomers());

    // dbt's node ids in the manifest.
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, unknown> };
    for (const id of [
      'model.bakery.orders',
      'model.bakery.customers',
      'model.bakery.stg_orders',
      'seed.bakery.raw_payments',
      'test.bakery.unique_customers_customer_id',
    ]) {
      expect(
        Object.keys(manifest.nodes).some((k) => k === id || k.startsWith(`${id}.`)),
        id,
      ).toBe(true);
    }
    // doc() in a description is replaced by its {% docs %} block.
    const ordersNode = manifest.nodes['model.bakery.orders'] as { columns: Record<string, { description: string }> };
    expect(ordersNode.columns.status!.description).toMatch(/^Orders can be one of the following statuses:/);
  });
});

// ---- the Jinja dbt projects use, hooks, sources, schema naming

const SHOP: Record<string, string> = {
  'dbt_project.yml': `name: shop
profile: shop
config-version: 2
vars:
  min_amount: 2
on-run-start:
  - "create schema if not exists raw"
  - "create or replace table raw.events as select * from (values (1, 'view', 3), (2, 'buy', 9), (3, 'buy', 1)) t(id, kind, amount)"
  - "create table if not exists main.audit (step varchar, detail varchar)"
on-run-end: "insert into main.audit select 'end', '{{ schemas | sort | join(',') }} {{ results | length }}'"
models:
  shop:
    marts:
      +schema: finance
      +materialized: table
      +post-hook:
        - "insert into main.audit values ('post', '{{ this.identifier }}')"
seeds:
  shop:
    +column_types:
      amount: integer
`,
  'seeds/raw_payments.csv': csv(PAYMENTS),
  'models/sources.yml': `version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: events
        columns:
          - name: id
            data_tests: [unique, not_null]
`,
  'macros/helpers.sql': `{% macro get_values(relation, column) %}
  {%- set q -%} select distinct {{ column }} from {{ relation }} order by 1 {%- endset -%}
  {%- set results = run_query(q) -%}
  {%- if execute -%}
    {%- do return(results.columns[0].values()) -%}
  {%- else -%}
    {%- do return([]) -%}
  {%- endif -%}
{% endmacro %}

{% macro cents_to_dollars(col) -%}
  {{ return(adapter.dispatch('cents_to_dollars', 'shop')(col)) }}
{%- endmacro %}
{% macro default__cents_to_dollars(col) %}({{ col }} / 100)::numeric(16, 2){% endmacro %}
{% macro duckdb__cents_to_dollars(col) %}round({{ col }} / 100.0, 2){% endmacro %}

{% macro row_count(relation) %}
  {%- call statement('n', fetch_result=True) -%} select count(*) from {{ relation }} {%- endcall -%}
  {%- if execute -%}{{ return(load_result('n')['data'][0][0]) }}{%- endif -%}
{% endmacro %}
`,
  'models/marts/payment_pivot.sql': `{%- set methods = get_values(ref('raw_payments'), 'payment_method') -%}
{{ log('pivoting ' ~ methods | length ~ ' methods', info=True) }}
select
    order_id,
    {%- for m in methods %}
    sum(case when payment_method = '{{ m }}' then {{ cents_to_dollars('amount') }} else 0 end) as {{ m | lower }}_amount{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('raw_payments') }}
group by order_id
`,
  'models/jinja_bits.sql': `{{ config(materialized='table', tags=['bits']) }}
{#- Jinja features, each rendered into a column -#}
{%- set d = {'b': 2, 'a': 1} -%}
{%- set words = ['Alpha', 'beta', '  Gamma  '] -%}
{%- set ns = namespace(total=0) -%}
{%- for k, v in d.items() -%}{%- set ns.total = ns.total + v -%}{%- endfor -%}
select
    '{{ words | map('trim') | map('lower') | join('|') }}' as joined,
    '{{ 'a-b' | replace('-', '_') | upper }}' as replaced,
    '{{ not_defined_anywhere | default('fallback') }}' as defaulted,
    {{ words | length }} as n_words,
    {{ ns.total }} as total,
    '{% for w in words %}{{ loop.index }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{% endfor %}' as loop_marks,
    '{{ this.identifier }}' as me,
    '{{ this.schema }}' as my_schema,
    {{ row_count(ref('raw_payments')) }} as payment_rows,
    '{{ target.name }}/{{ target.type }}' as target_info,
    {{ var('min_amount') }} as min_amount
`,
  'models/big_events.sql': `{{ config(materialized='incremental', unique_key='id') }}
select id, kind, amount from {{ source('raw', 'events') }}
where amount >= {{ var('min_amount') }}
{% if is_incremental() %}
  and id > (select coalesce(max(id), 0) from {{ this }})
{% endif %}
`,
  'models/schema.yml': `version: 2
models:
  - name: big_events
    config:
      pre-hook: "insert into main.audit values ('pre', '{{ this.identifier }}')"
    columns:
      - name: id
        data_tests: [unique, not_null]
      - name: kind
        tests:
          - accepted_values:
              values: [view, buy]
`,
};

describe('dbt Jinja, hooks and sources', () => {
  it('renders dbt Jinja (set, loops, filters, namespace, dispatch, return, run_query, statement) and runs hooks in order', async () => {
    const dir = writeProject(SHOP);
    const r1 = await runModel(['build', '--project-dir', dir], { cwd: dir });
    const text = out(r1);
    expect(r1.code, text).toBe(0);
    expect(text).toContain('pivoting 4 methods');
    const db = path.join(dir, 'target', 'shop.duckdb');

    // +schema: finance goes to <target schema>_finance, as dbt's generate_schema_name does.
    const pivot = await queryDuckDb(
      db,
      'select order_id::int as order_id, card_amount::double as card, gift_amount::double as gift, transfer_amount::double as transfer, voucher_amount::double as voucher from main_finance.payment_pivot order by 1',
    );
    const expected = [...new Set(PAYMENTS.map((p) => p.order_id))].map((id) => {
      const sum = (m: string) => PAYMENTS.filter((p) => p.order_id === id && p.payment_method === m).reduce((s, p) => s + p.amount / 100, 0);
      return { order_id: id, card: sum('card'), gift: sum('gift'), transfer: sum('transfer'), voucher: sum('voucher') };
    });
    expect(pivot).toEqual(expected);

    const [bits] = await queryDuckDb(
      db,
      'select * exclude (n_words, total, payment_rows, min_amount), n_words::int as n_words, total::int as total, payment_rows::int as payment_rows, min_amount::int as min_amount from main.jinja_bits',
    );
    expect(bits).toEqual({
      joined: 'alpha|beta|gamma',
      replaced: 'A_B',
      defaulted: 'fallback',
      loop_marks: '1F23L',
      me: 'jinja_bits',
      my_schema: 'main',
      target_info: 'dev/duckdb',
      n_words: 3,
      total: 3,
      payment_rows: PAYMENTS.length,
      min_amount: 2,
    });

    // A source whose table an on-run-start hook creates; an incremental model over it.
    const events = await queryDuckDb(db, 'select id::int as id from main.big_events order by id');
    expect(events).toEqual([{ id: 1 }, { id: 2 }]);
    const audit1 = await queryDuckDb(db, 'select step, detail from main.audit');
    expect(audit1).toEqual([
      { step: 'pre', detail: 'big_events' },
      { step: 'post', detail: 'payment_pivot' },
      { step: 'end', detail: expect.stringMatching(/^main,main_finance \d+$/) },
    ]);

    // Second build: is_incremental() is true, and on-run-start's table has a new qualifying row.
    const r2 = await runModel(['build', '--project-dir', dir, '--vars', '{min_amount: 1}'], { cwd: dir });
    expect(r2.code, out(r2)).toBe(0);
    const compiled = readFileSync(path.join(dir, 'target', 'compiled', 'shop', 'models', 'big_events.sql'), 'utf8');
    expect(compiled).toMatch(/and id > \(select coalesce\(max\(id\), 0\) from "shop"\."main"\."big_events"\)/);
    expect(await queryDuckDb(db, 'select id::int as id from main.big_events order by id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('a source disabled in dbt_project.yml or its properties is left out, with its tests', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: off\nsources:\n  off:\n    legacy:\n      +enabled: false\n',
      'models/sources.yml':
        'version: 2\nsources:\n  - name: legacy\n    tables:\n      - name: t\n        columns:\n          - name: id\n            data_tests: [unique]\n  - name: other\n    config:\n      enabled: false\n    tables:\n      - name: u\n  - name: live\n    tables:\n      - name: v\n',
      'models/m.sql': 'select 1 as x\n',
    });
    const ls = await runModel(['ls', '--project-dir', dir], { cwd: dir });
    expect(ls.code, out(ls)).toBe(0);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['off.m', 'source:off.live.v']);
    writeProject({ 'models/n.sql': "select * from {{ source('legacy', 't') }}\n" }, dir);
    const r = await runModel(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(/models\/n\.sql:1:\d+: error \[graph\]: source\('legacy', 't'\) is disabled \(enabled: false\)/);
  });

  // dbt's `graph` (docs.getdbt.com/reference/dbt-jinja-functions/graph: nodes and sources keyed by
  // unique id, as the manifest holds them), read as dbt-project-evaluator's get_nodes/get_relationships
  // read it: inside `if execute`, with `set name, type = column` unpacking and `enabled | trim`.
  it('graph lists the nodes and sources with depends_on and config, at execute time', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: g\n',
      'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    schema: main\n    tables:\n      - name: t\n        description: the raw table\n',
      'models/a.sql': "{{ config(materialized='view') }}select 1 as x\n",
      'models/b.sql': "select * from {{ ref('a') }} union all select 1 from {{ source('raw', 't') }}\n",
      'models/nodes.sql': `{%- set rows = [] -%}
{%- if execute -%}{%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
{%- for parent in node.depends_on.nodes | default([]) -%}
{%- for column in [(node.unique_id, 'child'), (parent, 'parent')] -%}{%- set value, role = column -%}{%- do rows.append("select '" ~ value ~ "' as id, '" ~ role ~ "' as role, '" ~ node.config.materialized ~ "' as m, cast(" ~ node.config.enabled | trim ~ " as boolean) as enabled") -%}{%- endfor -%}
{%- endfor -%}{%- endfor -%}
{%- for s in graph.sources.values() -%}{%- do rows.append("select '" ~ s.unique_id ~ "' as id, '" ~ s.description ~ "' as role, null as m, true as enabled") -%}{%- endfor -%}{%- endif -%}
{{ rows | join(' union all ') if rows else 'select 1 as id, 2 as role, 3 as m, true as enabled where false' }}
`,
    });
    writeProject({ 'seeds/t.csv': 'x\n1\n' }, dir);
    expect((await runModel(['seed', '--project-dir', dir], { cwd: dir })).code).toBe(0);
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    expect(r.code, out(r)).toBe(0);
    const rows = await queryDuckDb(path.join(dir, 'target', 'g.duckdb'), 'select id, role, m, enabled from nodes order by all');
    expect(rows).toEqual([
      { id: 'model.g.a', role: 'parent', m: 'view', enabled: true },
      { id: 'model.g.b', role: 'child', m: 'view', enabled: true },
      { id: 'model.g.b', role: 'child', m: 'view', enabled: true },
      { id: 'source.g.raw.t', role: 'parent', m: 'view', enabled: true },
      { id: 'source.g.raw.t', role: 'the raw table', m: null, enabled: true },
    ]);
  });

  it('generate_schema_name sees the node as dbt passes it (resource_type, unique_id)', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: naming\nseeds:\n  naming:\n    +schema: raw\nmodels:\n  naming:\n    +schema: marts\n',
      // As the current jaffle-shop writes it: seeds in a global `raw` schema, models in the target schema.
      'macros/generate_schema_name.sql': `{% macro generate_schema_name(custom_schema_name, node) %}
    {% if node.resource_type == 'seed' %}{{ custom_schema_name | trim }}
    {% elif custom_schema_name is none %}{{ target.schema }}
    {% elif target.name == "prod" %}{{ target.schema }}_{{ custom_schema_name | trim }}
    {% else %}{{ target.schema }}{% endif %}
{% endmacro %}
`,
      'seeds/raw_customers.csv': 'id\n1\n',
      'models/customers.sql': "select *, '{{ this.schema }}' as s from {{ ref('raw_customers') }}\n",
    });
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    expect(r.code, out(r)).toBe(0);
    const db = path.join(dir, 'target', 'naming.duckdb');
    expect(
      await queryDuckDb(db, "select table_schema, table_name from information_schema.tables where table_name in ('raw_customers', 'customers') order by 2"),
    ).toEqual([
      { table_schema: 'main', table_name: 'customers' },
      { table_schema: 'raw', table_name: 'raw_customers' },
    ]);
  });

  it("reads dbt 0.x's source-paths and data-paths as model-paths and seed-paths", async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: old\nsource-paths: ["src"]\ndata-paths: ["data"]\n',
      'data/s.csv': 'a\n1\n',
      'src/m.sql': "select a * 2 as b from {{ ref('s') }}\n",
    });
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    expect(r.code, out(r)).toBe(0);
    expect(out(r)).not.toMatch(/warning/);
    expect(await queryDuckDb(path.join(dir, 'target', 'old.duckdb'), 'select b::int as b from main.m')).toEqual([{ b: 2 }]);
  });

  it('a failing hook names itself and stops the run', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: hooks\non-run-start: "select * from no_such_table"\n',
      'models/m.sql': 'select 1 as x\n',
    });
    const r = await runModel(['run', '--project-dir', dir], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(out(r)).toMatch(/dbt_project\.yml: error \[database\]: on-run-start in dbt_project\.yml failed: .*no_such_table/);
  });
});

// ---- what local copies of dbt_utils-style macros and everyday dbt Jinja lean on

const UTILS: Record<string, string> = {
  'dbt_project.yml': `name: utils
config-version: 2
vars:
  region: global
  utils:
    region: emea
  started: "{{ env_var('UTILS_START', '2020-01-01') }}"
  checked_ids: [1, 2]
  min_checked_id: 1
models:
  utils:
    legacy:
      +enabled: false
    marts:
      +schema: "{{ 'mart' if target.name == 'dev' else 'prod' }}"
      +enabled: "{{ target.name == 'dev' }}"
      +materialized: table
      +post-hook: "create or replace view {{ this.schema }}.after_{{ this.name }} as select 1 as ok"
`,
  'models/marts/mart_a.sql': 'select \'{{ var("started") }}\' as started\n',
  'seeds/people.csv': 'id,first_name,email\n1,Ann,ann@example.com\n2,Bo,\n',
  // As dbt_utils writes them: star() calls a macro of the same file that returns early.
  'macros/utils.sql': `{%- macro generate_surrogate_key(field_list) -%}
{%- set fields = [] -%}
{%- for field in field_list -%}
    {%- do fields.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
    {%- if not loop.last %}{%- do fields.append("'-'") -%}{%- endif -%}
{%- endfor -%}
{{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro -%}

{% macro get_filtered_columns_in_relation(from, except=[]) -%}
    {%- if not execute -%}{{ return('') }}{% endif %}
    {%- set include_cols = [] %}
    {%- set except = except | map("lower") | list %}
    {%- for col in adapter.get_columns_in_relation(from) -%}
        {%- if col.column | lower not in except -%}{% do include_cols.append(col.column) %}{%- endif %}
    {%- endfor %}
    {{ return(include_cols) }}
{%- endmacro %}

{% macro star(from, except=[], prefix='', quote_identifiers=True) -%}
    {%- set cols = get_filtered_columns_in_relation(from, except) -%}
    {%- if cols | length <= 0 -%}*{%- else -%}
        {%- for col in cols %}
            {%- if quote_identifiers -%}{{ adapter.quote(col) }}{%- if prefix != '' %} as {{ adapter.quote(prefix ~ col) }}{%- endif -%}
            {%- else -%}{{ col }}{%- endif -%}
            {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}
    {%- endif %}
{%- endmacro %}
`,
  'models/legacy/old.sql': 'select 1 as x\n',
  'models/checked.sql': "select 1 as id, null as note union all select 2, 'x'\n",
  'models/dim_v1.sql': 'select 1 as version\n',
  'models/dim_v2.sql': 'select 2 as version\n',
  'models/wide.sql': `{{ config(materialized='table') }}
{%- set d = {'b': 2, 'a': 1} -%}
{%- set people = run_query('select first_name from ' ~ ref('people') ~ ' order by 1') -%}
select
    {{ generate_surrogate_key(['id', 'email']) }} as person_key,
    {{ star(ref('people'), except=['EMAIL'], prefix='p_') }},
    '{{ var("region") }}' as region,
    '{{ project_name }}' as project,
    '{{ invocation_id }}' as invocation,
    '{{ run_started_at }}' as started,
    '{{ run_started_at.strftime("%Y-%m-%d") }}' as started_day,
    '{{ modules.datetime.datetime.strptime("2024-03-01", "%Y-%m-%d").strftime("%d/%m/%Y %a") }}' as parsed,
    '{{ modules.datetime.date(2024, 2, 29).isoformat() }}' as leap_day,
    '{{ "%s-%s" % ("x", 7) }}{{ "=" * 3 }}' as formatted,
    '{% for k in d %}{{ k }}{% endfor %}' as dict_keys,
    '{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}' as loop_controls,
    '{% for row in people %}{{ row[0] }}{% if not loop.last %},{% endif %}{% endfor %}' as names,
    {{ fromyaml("n: 4").n }} as from_yaml,
    (select max(version) from {{ ref('dim') }}) as latest_dim,
    (select max(version) from {{ ref('dim', v=1) }}) as first_dim
from {{ ref('people') }}
`,
  'models/schema.yml': `version: 2
models:
  - name: dim
    latest_version: 2
    versions:
      - v: 1
      - v: 2
  - name: old
    columns:
      - name: x
        data_tests: [not_null]
  - name: checked
    columns:
      - name: id
        data_tests:
          - accepted_values:
              values: "{{ var('checked_ids') }}"
              quote: false
          - relationships:
              to: "{{ ref('checked') }}"
              field: id
      - name: note
        data_tests:
          - not_null:
              config:
                where: "id > {{ var('min_checked_id') }}"
semantic_models:
  - name: people
    model: ref('wide')
exposures:
  - name: report
    type: dashboard
    owner: {name: Jo}
`,
};

describe('dbt_utils-style macros and everyday dbt Jinja', () => {
  it('renders local dbt_utils-style macros, introspection, run metadata and Python-isms as dbt does', async () => {
    const dir = writeProject(UTILS);
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir, env: { UTILS_START: '2021-05-05' } });
    const text = out(r);
    expect(r.code, text).toBe(0);
    // Properties that build nothing here are named once; exposures (documentation only) and a disabled model's properties are quiet.
    const props = text.split('\n').filter((l) => l.includes('properties not supported'));
    expect(props).toHaveLength(1);
    expect(props[0]).toMatch(/semantic_models/);
    expect(props[0]).not.toMatch(/exposures/);
    expect(text).not.toMatch(/'old' is described/);
    // Test arguments and configs with Jinja: a lone {{ }} passes its value (a list here), `where` is rendered.
    for (const t of ['accepted_values_checked_id__False___var_checked_ids_', 'relationships_checked_id__id___ref_checked_', 'not_null_checked_note']) {
      expect(text).toMatch(new RegExp(`PASS test ${t} `));
    }

    const db = path.join(dir, 'target', 'utils.duckdb');
    const rows = await queryDuckDb(
      db,
      'select * exclude (latest_dim, first_dim, from_yaml), latest_dim::int as latest_dim, first_dim::int as first_dim, from_yaml::int as from_yaml from main.wide order by p_id',
    );
    const runResults = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')) as { metadata: { invocation_id: string } };
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const started = String(rows[0]!.started);
    // Python's str() of an aware datetime.
    expect(started).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    expect(Math.abs(Date.parse(started.replace(' ', 'T')) - Date.now())).toBeLessThan(120_000);
    const common = {
      region: 'emea',
      project: 'utils',
      invocation: runResults.metadata.invocation_id,
      started,
      started_day: started.slice(0, 10),
      parsed: '01/03/2024 Fri',
      leap_day: '2024-02-29',
      formatted: 'x-7===',
      dict_keys: 'ba',
      loop_controls: '13',
      names: 'Ann,Bo',
      latest_dim: 2,
      first_dim: 1,
      from_yaml: 4,
    };
    expect(rows).toEqual([
      { person_key: md5('1-ann@example.com'), p_id: 1, p_first_name: 'Ann', ...common },
      { person_key: md5('2-_null_'), p_id: 2, p_first_name: 'Bo', ...common },
    ]);
    // Jinja in dbt_project.yml: folder configs rendered with the target (hooks left for run time), vars when read.
    expect(await queryDuckDb(db, 'select started from main_mart.mart_a')).toEqual([{ started: '2021-05-05' }]);
    expect(await queryDuckDb(db, 'select ok::int as ok from main_mart.after_mart_a')).toEqual([{ ok: 1 }]);
    const compiled = readFileSync(path.join(dir, 'target', 'compiled', 'utils', 'models', 'wide.sql'), 'utf8');
    expect(compiled).toContain('"id" as "p_id", "first_name" as "p_first_name"');
  });

  it('a package test names the package that is not installed', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: pkg\n',
      'models/m.sql': 'select 1 as id\n',
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: m\n    data_tests:\n      - dbt_utils.unique_combination_of_columns:\n          combination_of_columns: [id]\n',
    });
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(
      /models\/schema\.yml:5:\d+: error \[project\]: unknown test 'dbt_utils\.unique_combination_of_columns': the dbt package 'dbt_utils' is not installed/,
    );
  });
});

describe('what cannot be honoured is said, once', () => {
  it('lists unsupported project keys and configs in one warning each, and still builds', async () => {
    const dir = writeProject({
      'dbt_project.yml': `name: warned
config-version: 2
profile: warned
analysis-paths: ["analyses"]
snapshot-paths: ["snapshots"]
quoting:
  identifier: false
models:
  warned:
    +persist_docs:
      relation: true
    +query_tag: nightly
    +bind: false
    +my_custom_config: 1
`,
      'snapshots/snap.sql': "{% snapshot snap %}{{ config(unique_key='x', strategy='check', check_cols='all') }}select 1 as x{% endsnapshot %}\n",
      'models/a.sql': "{{ config(grants={'select': ['reporter']}) }}\nselect 1 as x\n",
    });
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    const text = out(r);
    expect(r.code, text).toBe(0);
    const keys = text.split('\n').filter((l) => l.includes('dbt_project.yml: not supported, so ignored'));
    expect(keys).toHaveLength(1);
    for (const k of ['quoting']) expect(keys[0]).toContain(k);
    expect(keys[0]).not.toContain('snapshot-paths'); // snapshots are built
    expect(keys[0]).not.toContain('analysis-paths'); // an absent folder: nothing is lost
    expect(keys[0]).not.toMatch(/profile|config-version/);
    const configs = text.split('\n').filter((l) => l.includes('configs are not supported and have no effect'));
    expect(configs).toHaveLength(1);
    for (const k of ['query_tag (a)', 'bind (a)', 'my_custom_config (a)']) expect(configs[0]).toContain(k);
    expect(configs[0]).not.toContain('persist_docs'); // applied: comments on the warehouse's relations and columns
    // grants: are applied where the warehouse has roles; on DuckDB the no-op is said once, apart.
    expect(configs[0]).not.toContain('grants');
    expect(text.split('\n').filter((l) => l.includes('grants: is a no-op on duckdb'))).toHaveLength(1);
  });

  it.each([
    ['{% materialization my_mat, default %}{% endmaterialization %}', 2, 2, /unknown block tag: materialization/, /custom materializations are not supported/],
    ['{% snapshot s %}select 1{% endsnapshot %}', 2, 2, /unknown block tag: snapshot/, /belong in a \.sql file under the snapshot paths/],
    ["{{ dbt_utils.star(ref('other')) }}", 2, 1, /'dbt_utils\.star\(\)' is not defined/, /dbt packages/],
    ['{{ cents_to_dolars(1) }}', 2, 1, /'cents_to_dolars\(\)' is not a macro or function/, /did you mean 'cents_to_dollars'/],
    ["{{ ref('snapp') }}", 2, 2, /ref\('snapp'\) matches no model or seed/, /did you mean 'snap'/],
    ["{{ adapter.get_partitions_metadata('t') }}", 2, 1, /'adapter\.get_partitions_metadata\(\)' is not supported/, /supported: adapter\.dispatch/],
  ])('names file, line and feature: %s', async (line, lineNo, code, message, hint) => {
    const dir = writeProject({
      'dbt_project.yml': 'name: bad\n',
      'macros/m.sql': '{% macro cents_to_dollars(c) %}{{ c }} / 100{% endmacro %}\n',
      'models/other.sql': 'select 1 as x\n',
      'snapshots/snap.sql': "{% snapshot snap %}{{ config(unique_key='x', strategy='check', check_cols='all') }}select 1 as x{% endsnapshot %}\n",
      'models/bad.sql': `select 1 as x\n${line}\n`,
    });
    const r = await runModel(['compile', '--project-dir', dir], { cwd: dir });
    const text = out(r);
    // 2: the project does not load; 1: one node's render failed and the others compiled (dbt's compile task).
    expect(r.code, text).toBe(code);
    expect(text).toContain(`models/bad.sql:${lineNo}:`);
    expect(text).toMatch(message);
    expect(text).toMatch(hint);
  });

  it('a test on a source table that is not there says the source is missing, not unbuilt', async () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: src\n',
      'models/sources.yml':
        'version: 2\nsources:\n  - name: shop\n    schema: landing\n    tables:\n      - name: orders\n        columns:\n          - name: id\n            data_tests: [unique]\n',
    });
    const r = await runModel(['build', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(
      /models\/sources\.yml:9:\d+: error \[database\]: test source_unique_shop_orders_id: source shop\.orders \("src"\."landing"\."orders"\) does not exist/,
    );
    expect(out(r)).toMatch(/sources are read, not built/);
  });

  it('compile and show answer introspection over a connection opened only when a render asks (dbt core task/compile.py opens one)', async () => {
    // dbt_utils' star() reads adapter.get_columns_in_relation(): compile and show render it as run does.
    const dir = writeProject({
      'dbt_project.yml': 'name: rq\n',
      'seeds/people.csv': 'id,name\n1,ann\n',
      'macros/cols.sql':
        "{% macro cols(rel) %}{% if not execute %}{{ return('*') }}{% endif %}{{ return(adapter.get_columns_in_relation(rel) | map(attribute='name') | join(', ')) }}{% endmacro %}",
      'models/q.sql':
        "select {{ cols(ref('people')) }}, {% if execute %}{{ run_query('select 41 + 1 as n').columns[0].values()[0] }}{% endif %} as answer from {{ ref('people') }}\n",
      'models/plain.sql': 'select 1 as x\n',
    });
    // Nothing asks the warehouse: no database file is made.
    const plain = await runModel(['compile', '--project-dir', dir, '-s', 'plain'], { cwd: dir });
    expect(plain.code, out(plain)).toBe(0);
    expect(existsSync(path.join(dir, 'target', 'rq.duckdb'))).toBe(false);
    expect((await runModel(['seed', '--project-dir', dir], { cwd: dir })).code).toBe(0);
    const r = await runModel(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code, out(r)).toBe(0);
    expect(readFileSync(path.join(dir, 'target', 'compiled', 'rq', 'models', 'q.sql'), 'utf8')).toContain('select id, name, 42 as answer from');
    const shown = await runModel(['show', 'q', '--project-dir', dir], { cwd: dir });
    expect(shown.code, out(shown)).toBe(0);
    expect(out(shown)).toMatch(/\|\s*1 \| ann\s*\|\s*42 \|/);
  });
});
