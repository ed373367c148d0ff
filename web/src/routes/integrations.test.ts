import { describe, expect, it } from 'vitest';
import { SERVICES, connectBody } from './Integrations';

describe('connect form', () => {
  it('sends only the filled credentials, lists as arrays, and the webhook secret', () => {
    const figma = SERVICES.find((spec) => spec.service === 'figma')!;
    expect(connectBody(figma, { token: ' figd_x ', team_id: '', file_keys: 'a, b,,c' }, 'pass')).toEqual({
      credentials: { token: 'figd_x', file_keys: ['a', 'b', 'c'] },
      webhook_secret: 'pass',
    });
  });

  it('leaves the webhook secret out when empty', () => {
    const github = SERVICES.find((spec) => spec.service === 'github')!;
    expect(connectBody(github, { token: 't' }, ' ')).toEqual({ credentials: { token: 't' } });
  });
});
