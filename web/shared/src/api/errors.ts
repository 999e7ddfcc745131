/**
 * One error type for every failed API call, whatever shape the server used:
 * `{"error": "message", "field": "…"}` (hub v1) or `{"error": {"code", "message", "field"}}`.
 */

/** One problem the server listed (`error.details`): a bad line of an uploaded file, or a field. */
export interface LineProblem {
  field?: string;
  line?: number;
  message: string;
}

export type ApiErrorKind = 'network' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'invalid' | 'server' | 'other';

export class ApiError extends Error {
  readonly status: number;
  readonly kind: ApiErrorKind;
  /** The server's machine-readable code, when it gave one. */
  readonly code: string | undefined;
  /** The offending input field, for validation errors. */
  readonly field: string | undefined;
  /** Every problem, when the server listed them (`details`: fields or lines; `lines`: file lines). */
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
      const o = e as { code?: unknown; message?: unknown; field?: unknown; details?: unknown; lines?: unknown };
      return new ApiError(
        status,
        typeof o.message === 'string' ? o.message : fallback,
        typeof o.code === 'string' ? o.code : undefined,
        typeof o.field === 'string' ? o.field : undefined,
        problems(o.details ?? o.lines),
      );
    }
  }
  return new ApiError(status, fallback);
}

function problems(v: unknown): Array<{ field?: string; line?: number; message: string }> {
  if (!Array.isArray(v)) return [];
  const out: Array<{ field?: string; line?: number; message: string }> = [];
  for (const item of v) {
    if (!item || typeof item !== 'object') continue;
    const p = item as { field?: unknown; line?: unknown; message?: unknown };
    if (typeof p.message !== 'string') continue;
    out.push({
      message: p.message,
      ...(typeof p.field === 'string' ? { field: p.field } : {}),
      ...(typeof p.line === 'number' ? { line: p.line } : {}),
    });
  }
  return out;
}
