/**
 * One error type for every failed API call, whatever shape the server used:
 * `{"error": "message", "field": "…"}` (hub v1) or `{"error": {"code", "message", "field"}}`.
 */

/** One bad line of an uploaded file, as the server names it. */
export interface LineProblem {
  line: number;
  field: string;
  message: string;
}

function lineProblems(v: unknown): LineProblem[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((d) => {
    if (!d || typeof d !== 'object') return [];
    const o = d as { line?: unknown; field?: unknown; message?: unknown };
    return typeof o.line === 'number' && typeof o.message === 'string' ? [{ line: o.line, field: typeof o.field === 'string' ? o.field : '', message: o.message }] : [];
  });
}

export type ApiErrorKind = 'network' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'invalid' | 'server' | 'other';

export class ApiError extends Error {
  readonly status: number;
  readonly kind: ApiErrorKind;
  /** The server's machine-readable code, when it gave one. */
  readonly code: string | undefined;
  /** The offending input field, for validation errors. */
  readonly field: string | undefined;
  /** The bad lines of a refused upload (`error.details`), empty otherwise. */
  readonly details: readonly LineProblem[];

  constructor(status: number, message: string, code?: string, field?: string, details: readonly LineProblem[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.details = details;
    this.kind = kindOf(status);
  }
}

function kindOf(status: number): ApiErrorKind {
  if (status === 0) return 'network';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status >= 500) return 'server';
  return 'other';
}

/** Reads an error body of either shape. */
export function parseErrorBody(status: number, body: unknown, fallback: string): ApiError {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown; field?: unknown }).error;
    if (typeof e === 'string') {
      const field = (body as { field?: unknown }).field;
      return new ApiError(status, e, undefined, typeof field === 'string' ? field : undefined);
    }
    if (e && typeof e === 'object') {
      const o = e as { code?: unknown; message?: unknown; field?: unknown; details?: unknown };
      return new ApiError(
        status,
        typeof o.message === 'string' ? o.message : fallback,
        typeof o.code === 'string' ? o.code : undefined,
        typeof o.field === 'string' ? o.field : undefined,
        lineProblems(o.details),
      );
    }
  }
  return new ApiError(status, fallback);
}
