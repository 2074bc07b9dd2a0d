import type { ErrorAnswer } from './schemas.js';

/** An answer other than 2xx, with a stable code; its message never holds a stack or SQL. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; rule?: string; issues?: { field: string; rule: string; message: string }[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): ErrorAnswer {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}
