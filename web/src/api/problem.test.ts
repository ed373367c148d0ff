import { describe, expect, it } from 'vitest';
import { ApiProblem, describeError, fieldErrors, isNotAvailable, problemFrom, problemFromResponse } from './problem';

describe('problem+json mapping', () => {
  it('reads the node body as it is (title, detail, status, field)', () => {
    const problem = problemFrom(422, { type: 'about:blank', title: 'Invalid request field', status: 422, detail: 'must be 8 to 1024 characters', field: 'password' });
    expect(problem).toBeInstanceOf(ApiProblem);
    expect(problem.title).toBe('Invalid request field');
    expect(problem.detail).toBe('must be 8 to 1024 characters');
    expect(problem.field).toBe('password');
    expect(problem.status).toBe(422);
  });

  it('puts the message next to the field it names', () => {
    const problem = problemFrom(422, { title: 'Invalid request field', status: 422, detail: 'must be 8 to 1024 characters', field: 'password' });
    expect(fieldErrors(problem, ['email', 'password'])).toEqual({ fields: { password: 'must be 8 to 1024 characters' }, form: null });
  });

  it('maps a nested field to its top-level form field', () => {
    const problem = problemFrom(422, { title: 'Invalid request field', status: 422, detail: 'invalid type', field: 'credentials.token' });
    expect(fieldErrors(problem, ['credentials']).fields).toEqual({ credentials: 'invalid type' });
  });

  it('shows a problem about a field the form does not have above the form', () => {
    const problem = problemFrom(409, { title: 'Conflict', status: 409, detail: 'this organization has no enabled deployment agent to do this' });
    expect(fieldErrors(problem, ['name'])).toEqual({ fields: {}, form: 'Conflict: this organization has no enabled deployment agent to do this' });
  });

  it('builds a problem from a bare status when the body is not problem+json', () => {
    const problem = problemFrom(502, '<html>bad gateway</html>');
    expect(problem.title).toBe('Node unreachable');
    expect(problem.status).toBe(502);
  });

  it('tells an endpoint the node lacks from a row it does not have', () => {
    expect(isNotAvailable(problemFrom(404, ''))).toBe(true);
    expect(isNotAvailable(problemFrom(404, { title: 'Not found', status: 404, detail: 'no route /api/supervision/tree on this node' }))).toBe(true);
    expect(isNotAvailable(problemFrom(404, { title: 'Not found', status: 404, detail: 'no such agent in this organization' }))).toBe(false);
  });

  it('keeps Retry-After of a 429', async () => {
    const response = new Response(JSON.stringify({ title: 'Too many requests', status: 429, detail: 'slow down' }), { status: 429, headers: { 'retry-after': '7', 'content-type': 'application/problem+json' } });
    const problem = await problemFromResponse(response);
    expect(problem.retryAfter).toBe(7);
    expect(describeError(problem).detail).toContain('7 s');
  });

  it('says the node is unreachable when fetch itself fails', () => {
    expect(describeError(new TypeError('Failed to fetch')).title).toBe('Node unreachable');
  });
});
