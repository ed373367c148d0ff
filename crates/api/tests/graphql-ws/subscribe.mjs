// Subscribes to `agentTaskCreated` over graphql-transport-ws with the graphql-ws client,
// prints "ready" once the server acknowledged the connection, then prints each task it
// receives as one JSON line and exits after the first. Errors go to stderr, exit 1.
// With a fourth argument `--expect-none=<ms>` it instead expects nothing for that long:
// it prints "none" and exits 0, or prints what arrived and exits 2.
// Usage: node subscribe.mjs <ws url> <access token> <organization id> [--expect-none=<ms>]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, organizationId, expectation] = process.argv.slice(2);
const quietFor = expectation?.startsWith('--expect-none=') ? Number(expectation.split('=')[1]) : null;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}`, organizationId },
  retryAttempts: 0,
  on: {
    connected: () => setTimeout(() => console.log('ready'), 200),
  },
});

const fail = (error) => {
  console.error(JSON.stringify(error?.message ?? error));
  process.exit(1);
};

client.subscribe(
  { query: 'subscription { agentTaskCreated { id taskType status agent { name } } }' },
  {
    next: (result) => {
      if (result.errors) fail(result.errors);
      console.log(JSON.stringify(result.data.agentTaskCreated));
      client.dispose();
      process.exit(quietFor === null ? 0 : 2);
    },
    error: fail,
    complete: () => {},
  },
);
if (quietFor === null) {
  setTimeout(() => fail('no task within 30 s'), 30000);
} else {
  setTimeout(() => {
    console.log('none');
    client.dispose();
    process.exit(0);
  }, quietFor);
}
