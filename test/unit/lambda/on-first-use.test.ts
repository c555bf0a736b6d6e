import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { onFirstUse } from '../../../lib/lambda/bundle.ts';
import { SFNClient } from '@aws-sdk/client-sfn';

describe('onFirstUse', () => {
  it('makes the object (and its SDK client) only when a method is first called, and only once', async () => {
    // Prepare: a factory that counts the clients it makes.
    const clients = new AwsClients({ allowWrites: true });
    let made = 0;
    const sender = onFirstUse(() => {
      made += 1;
      const sfn = clients.get(SFNClient, 'us-east-1');
      return { region: () => sfn.config.region() as Promise<string> };
    });
    // Act / Assess: nothing made yet.
    expect(made).toBe(0);
    expect(await sender.region()).toBe('us-east-1');
    expect(await sender.region()).toBe('us-east-1');
    expect(made).toBe(1);
  });

  it('binds methods to the made object, so `this` works through the proxy', () => {
    class Counter {
      n = 0;
      add() {
        this.n += 1;
        return this.n;
      }
    }
    const counter = onFirstUse(() => new Counter());
    const add = counter.add;
    expect(add()).toBe(1);
    expect(counter.n).toBe(1);
  });
});
