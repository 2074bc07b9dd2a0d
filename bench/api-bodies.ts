/** The `/getVoucher/` bodies of the API benches (bench/api-bench.ts, bench/api-cpu.ts). */
/** Requests the API answers 200, over both segment types (the bare server parses them and echoes customer_id). */
export const BODIES = [
  {
    customer_id: 123,
    country_code: 'Peru',
    last_order_ts: '2018-05-03 00:00:00',
    first_order_ts: '2017-05-03 00:00:00',
    total_orders: 15,
    segment_name: 'recency_segment',
    reference_ts: '2018-07-31 00:00:00',
  },
  {
    customer_id: 'c-77',
    country_code: 'peru',
    last_order_ts: '2018-01-03',
    first_order_ts: '2016-05-03 10:00:00',
    total_orders: '4.0',
    segment_name: 'frequent_segment',
  },
  {
    customer_id: 9,
    country_code: ' Peru ',
    last_order_ts: '2018-04-20T08:00:00Z',
    first_order_ts: null,
    total_orders: 7,
    segment_name: 'recency_segment',
    reference_ts: '2018-07-31',
  },
  {
    customer_id: 10,
    country_code: 'Peru',
    last_order_ts: '2018-06-20 08:00:00',
    first_order_ts: '2018-06-01',
    total_orders: '30',
    segment_name: 'frequent_segment',
  },
];
