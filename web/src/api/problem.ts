// problem+json (RFC 9457) as the node answers every failure (crates/api/src/error.rs):
// {type, title, status, detail, field?}. One error type for the whole console, with the
// field it names so forms can show the message next to that field.

import type { components } from './generated/openapi';

type Problem = components['schemas']['Problem'];

/** The node's problem (the document's `Problem`), or one built from a status alone (no type, detail or field). */
export type ProblemBody = Pick<Problem, 'title' | 'status'> & Partial<Pick<Problem, 'type' | 'detail' | 'field'>>;

export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(body: ProblemBody, retryAfter?: number) {
    super(body.detail ? `${body.title}: ${body.detail}` : body.title);
    this.name = 'ApiProblem';
    this.status = body.status;
    this.title = body.title;
    this.detail = body.detail ?? '';
    this.field = body.field ?? undefined;
    this.retryAfter = retryAfter;
  }

}

function isProblemBody(value: unknown): value is ProblemBody {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.title === 'string' && typeof record.status === 'number';
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not available',
  409: 'Conflict',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Invalid request field',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Node unreachable',
  503: 'Unavailable',
  504: 'Timed out',
};

/**
 * Turns any failed answer into an ApiProblem: the node's problem+json when it sent one,
 * otherwise a problem built from the status (a proxy's HTML page, an empty 404…).
 */
export function problemFrom(status: number, body: unknown, retryAfterHeader?: string | null): ApiProblem {
  const retryAfter = retryAfterHeader ? Number.parseInt(retryAfterHeader, 10) : undefined;
  const seconds = retryAfter !== undefined && Number.isFinite(retryAfter) ? retryAfter : undefined;
  if (isProblemBody(body)) return new ApiProblem(body, seconds);
  const title = STATUS_TITLES[status] ?? `HTTP ${status}`;
  const detail =
    status === 404
      ? 'this node does not offer this yet'
      : typeof body === 'string' && body.trim() && body.length < 300
        ? body.trim()
        : '';
  return new ApiProblem({ title, status, detail }, seconds);
}

/** Reads a fetch Response that failed. */
export async function problemFromResponse(response: Response): Promise<ApiProblem> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // keep the text
  }
  return problemFrom(response.status, body, response.headers.get('retry-after'));
}

/**
 * An endpoint this node does not serve (yet): a 404 that is not about a row — an empty
 * 404, or the node's "no route …" problem for unknown paths under /api.
 */
export function isNotAvailable(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 404 && (error.title !== 'Not found' || /^no route\b/.test(error.detail));
}

/** A message for people, from anything thrown. */
export function describeError(error: unknown): { title: string; detail: string } {
  if (error instanceof ApiProblem) {
    if (error.status === 429 && error.retryAfter !== undefined) {
      return { title: error.title, detail: `${error.detail || 'slow down'} (try again in ${error.retryAfter} s)` };
    }
    return { title: error.title, detail: error.detail };
  }
  if (error instanceof TypeError) return { title: 'Node unreachable', detail: 'the console could not reach the node; is it running?' };
  if (error instanceof Error) return { title: 'Something went wrong', detail: error.message };
  return { title: 'Something went wrong', detail: String(error) };
}

/**
 * Splits a problem between form fields and the form as a whole: the message goes next
 * to the field the problem names when the form has that field, else above the form.
 * Nested paths (`credentials.token`, `input[0]`) fall back to their first segment.
 */
export function fieldErrors(
  error: unknown,
  fields: readonly string[],
): { fields: Record<string, string>; form: string | null } {
  if (!error) return { fields: {}, form: null };
  const { title, detail } = describeError(error);
  const message = detail || title;
  if (error instanceof ApiProblem && error.field) {
    const candidates = [error.field, error.field.split(/[.[]/)[0] ?? ''];
    const hit = candidates.find((candidate) => fields.includes(candidate));
    if (hit) return { fields: { [hit]: message }, form: null };
  }
  return { fields: {}, form: detail ? `${title}: ${detail}` : title };
}
