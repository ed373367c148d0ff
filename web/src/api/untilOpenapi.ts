// until openapi: the routes of the node's newer contract (retry, schedules, the language
// model's settings, the task list's `q` and `agent_type`, the event log's `actor_id`) that
// openapi/openapi.json does not describe yet. The same client as rest.ts (same
// middleware), typed by the generated paths plus these. When the document has them,
// call sites import `api` from './rest' again and this module goes.
import type { Client } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';
import { api as restApi } from './rest';
import type { LlmSettings, NewScheduleBody, ScheduleRow } from './models';

type Schemas = components['schemas'];

interface Answer<T> {
  headers: { [name: string]: unknown };
  content: { 'application/json': T };
}
interface ProblemAnswer {
  headers: { [name: string]: unknown };
  content: { 'application/problem+json': Schemas['Problem'] };
}
interface NoContent {
  headers: { [name: string]: unknown };
  content?: never;
}
interface NoParameters {
  query?: never;
  header?: never;
  path?: never;
  cookie?: never;
}
interface IdParameter {
  query?: never;
  header?: never;
  path: { id: string };
  cookie?: never;
}
interface Unused {
  get?: never;
  put?: never;
  post?: never;
  delete?: never;
  options?: never;
  head?: never;
  patch?: never;
  trace?: never;
}

type TaskList = paths['/api/agent-tasks'];
type EventList = paths['/api/analytics/events'];

interface Added {
  '/api/agent-tasks/{id}/retry': Omit<Unused, 'post'> & {
    parameters: NoParameters;
    post: { parameters: IdParameter; requestBody?: never; responses: { 200: Answer<Schemas['AgentTask']>; '4XX': ProblemAnswer } };
  };
  '/api/schedules': Omit<Unused, 'get' | 'post'> & {
    parameters: NoParameters;
    get: { parameters: NoParameters; requestBody?: never; responses: { 200: Answer<ScheduleRow[]>; '4XX': ProblemAnswer } };
    post: {
      parameters: NoParameters;
      requestBody: { content: { 'application/json': NewScheduleBody } };
      responses: { 201: Answer<ScheduleRow>; '4XX': ProblemAnswer };
    };
  };
  '/api/schedules/{id}': Omit<Unused, 'patch' | 'delete'> & {
    parameters: NoParameters;
    patch: {
      parameters: IdParameter;
      requestBody: { content: { 'application/json': { enabled: boolean } } };
      responses: { 200: Answer<ScheduleRow>; '4XX': ProblemAnswer };
    };
    delete: { parameters: IdParameter; requestBody?: never; responses: { 204: NoContent; '4XX': ProblemAnswer } };
  };
  '/api/settings/llm': Omit<Unused, 'get'> & {
    parameters: NoParameters;
    get: { parameters: NoParameters; requestBody?: never; responses: { 200: Answer<LlmSettings>; '4XX': ProblemAnswer } };
  };
  '/api/agent-tasks': Omit<TaskList, 'get'> & {
    get: Omit<TaskList['get'], 'parameters'> & {
      parameters: Omit<TaskList['get']['parameters'], 'query'> & {
        query?: NonNullable<TaskList['get']['parameters']['query']> & { q?: string; agent_type?: string };
      };
    };
  };
  '/api/analytics/events': Omit<EventList, 'get'> & {
    get: Omit<EventList['get'], 'parameters'> & {
      parameters: Omit<EventList['get']['parameters'], 'query'> & {
        query?: NonNullable<EventList['get']['parameters']['query']> & { actor_id?: string };
      };
    };
  };
}

export type NextPaths = Omit<paths, keyof Added> & Added;

export const api = restApi as unknown as Client<NextPaths>;
export { call } from './call';
