{#- How many rows each cleaning rule removed, applying the rules in order (a funnel), and how
    many rows break each rule on its own. One scan of the checked rows. -#}
with totals as (
    select
        count(*) as rows_in,
        sum(case when not rule_country_ok then 1 else 0 end) as removed_country,
        sum(case when rule_country_ok and not rule_values_present then 1 else 0 end) as removed_values,
        sum(case when rule_country_ok and rule_values_present and not rule_orders_consistent then 1 else 0 end) as removed_orders,
        sum(case when rule_country_ok and rule_values_present and rule_orders_consistent and not rule_order_dates_consistent then 1 else 0 end) as removed_dates,
        sum(case when not rule_values_present then 1 else 0 end) as failing_values,
        sum(case when not rule_orders_consistent then 1 else 0 end) as failing_orders,
        sum(case when not rule_order_dates_consistent then 1 else 0 end) as failing_dates
    from {{ ref('vouchers_checked') }}
)

select 0 as step, 'raw rows' as rule, cast(null as bigint) as rows_removed, cast(null as bigint) as rows_failing_alone, rows_in as rows_remaining from totals
union all
select 1, 'country not selected', removed_country, removed_country, rows_in - removed_country from totals
union all
select 2, 'total_orders or voucher_amount missing', removed_values, failing_values,
       rows_in - removed_country - removed_values from totals
union all
select 3, 'zero orders but order timestamps set', removed_orders, failing_orders,
       rows_in - removed_country - removed_values - removed_orders from totals
union all
select 4, 'last order before first order', removed_dates, failing_dates,
       rows_in - removed_country - removed_values - removed_orders - removed_dates from totals
