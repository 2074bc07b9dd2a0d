import { randomUUID } from 'node:crypto';

/** One id per process run, as dbt's `invocation_id`: in the artifacts and in templates. */
export const INVOCATION_ID = randomUUID();

/** The command this process runs and its flags, as dbt's `flags` show them to templates (`flags.WHICH`). */
export interface Invocation {
  which: string;
  fullRefresh: boolean;
  storeFailures: boolean;
  empty: boolean;
  failFast: boolean;
  threads: number | undefined;
}

const invocation: Invocation = { which: 'run', fullRefresh: false, storeFailures: false, empty: false, failFast: false, threads: undefined };

/** Set by the CLI when a command starts. */
export function setInvocation(update: Partial<Invocation>): void {
  Object.assign(invocation, update);
}

export function currentInvocation(): Readonly<Invocation> {
  return invocation;
}
