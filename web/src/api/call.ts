// The body of a successful answer from an openapi-fetch client, typed by the route's
// schema in the OpenAPI document; a failure throws an ApiProblem.
import { problemFrom } from './problem';

interface FetchResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** `call(api.GET(…))`: the answer's type is the one the document gives the route. */
export async function call<D>(request: Promise<FetchResult<D>>): Promise<D> {
  const { data, error, response } = await request;
  if (!response.ok) throw problemFrom(response.status, error, response.headers.get('retry-after'));
  return data as D;
}
