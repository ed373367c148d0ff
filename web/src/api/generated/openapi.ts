// TEMPORARY stub until the node's OpenAPI document is fetched
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type paths = Record<string, any>;
