// How the console names itself to the node: every REST request carries this header, so
// the node records an approval made here as made "in the console"; a request without it
// is recorded as made "through the API".
export const CLIENT_HEADER = { 'X-CompanyOS-Client': 'console' } as const;
