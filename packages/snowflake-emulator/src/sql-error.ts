/** A statement rejected before it reaches DuckDB, with the Snowflake error code and SQLSTATE to answer. */
export class TranslationError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly sqlState: string,
  ) {
    super(message);
  }
}

/** Snowflake's "syntax error line L at position P unexpected 'X'." (code 001003). */
export const syntaxError = (detail: string): TranslationError => new TranslationError(`SQL compilation error:\nsyntax error: ${detail}`, '001003', '42000');

/**
 * A Snowflake error raised while DuckDB runs a statement (from `error()` in emulation macros): the
 * code, SQLSTATE and message travel inside DuckDB's error text between these markers.
 */
export const RAISED_ERROR = /SF_ERROR\[(\d{6})\|(\w{5})\] ([\s\S]*?) \[\/SF_ERROR\]/g;

/** DuckDB SQL text for raising a Snowflake error with the message that `messageSql` computes. */
export const raiseSql = (code: string, sqlState: string, messageSql: string): string =>
  `error('SF_ERROR[${code}|${sqlState}] ' || ${messageSql} || ' [/SF_ERROR]')`;
