import { randomUUID } from 'node:crypto';

/** One id per process run, as dbt's `invocation_id`: in the artifacts and in templates. */
export const INVOCATION_ID = randomUUID();
