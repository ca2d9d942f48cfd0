// Errors that services throw. They carry a stable code, an HTTP status and a message key from the
// catalogs; the web layer turns them into Boom errors or error pages in the user's language.

/** An expected failure with a stable code, safe to show to the user. */
export class AppError extends Error {
  constructor(
    /** Stable identifier, e.g. `orgs.unknownParent`; also the message catalog key. */
    public readonly code: string,
    /** HTTP status the web layer answers with. */
    public readonly status: number,
    /** Parameters for the catalog message. */
    public readonly params: Record<string, unknown> = {},
    /** Structured details (e.g. every problem of an import) sent along in JSON. */
    public readonly details?: unknown,
  ) {
    super(code);
    this.name = 'AppError';
  }
}

/** 400: the request is malformed. */
export const BadRequest = (code: string, params?: Record<string, unknown>, details?: unknown) =>
  new AppError(code, 400, params, details);
/** 401: the caller must log in. */
export const Unauthorized = (code = 'errors.unauthorized') => new AppError(code, 401);
/** 403: the caller may not do this. */
export const Forbidden = (code = 'errors.forbidden', params?: Record<string, unknown>) => new AppError(code, 403, params);
/** 404: the target does not exist (or the caller may not know it does). */
export const NotFound = (code = 'errors.notFound', params?: Record<string, unknown>) => new AppError(code, 404, params);
/** 409: the target changed or is in a state that forbids this. */
export const Conflict = (code: string, params?: Record<string, unknown>, details?: unknown) =>
  new AppError(code, 409, params, details);
/** 422: the input is well-formed but breaks a rule; details list every problem. */
export const Invalid = (code: string, params?: Record<string, unknown>, details?: unknown) =>
  new AppError(code, 422, params, details);
/** 429: too many attempts. */
export const TooMany = (code: string, params?: Record<string, unknown>) => new AppError(code, 429, params);
