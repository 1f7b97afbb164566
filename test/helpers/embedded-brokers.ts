import { afterEach } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../edge/sources/mqtt/embedded-broker.js';
import { freeLoopbackPort } from '../../simulators/free-port.js';

/**
 * Embedded brokers on loopback for the tests of one file: each is closed after its test, with what
 * the test added to `cleanups` (clients, subscriptions) before it, last added first.
 */
export function embeddedBrokersPerTest() {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const broker = async (): Promise<EmbeddedBroker> => {
    const started = await startEmbeddedBroker({ host: '127.0.0.1', port: await freeLoopbackPort() });
    cleanups.push(() => started.close());
    return started;
  };
  return { broker, cleanups };
}
