import { describe, expect, it } from 'vitest';
import { type BrokerClient, publishRefusal, subscribeRefusal } from './broker-acl.js';

const pump: BrokerClient = { kind: 'device', username: 'pump-1', assets: ['pump-1', 'pump-2'] };
const gateway: BrokerClient = { kind: 'device', username: 'line-3', assets: ['*'] };
const agent: BrokerClient = { kind: 'agent' };
const anonymous: BrokerClient = { kind: 'anonymous' };

describe('broker ACL', () => {
  it('lets a device publish under its own assets only, and nobody but the agent on the alerts', () => {
    expect(publishRefusal(pump, 'plantwatch', 'plantwatch/pump-2/de/waveform')).toBeUndefined();
    expect(publishRefusal(pump, 'plantwatch', 'plantwatch/fan-1/de/waveform')).toBe('publish_other_asset');
    expect(publishRefusal(pump, 'plantwatch', 'other/pump-1/de/waveform')).toBe('publish_outside_prefix');
    expect(publishRefusal(pump, 'plantwatch', 'plantwatch')).toBe('publish_outside_prefix');
    expect(publishRefusal(gateway, 'plantwatch', 'plantwatch/fan-1/de/waveform')).toBeUndefined();
    for (const client of [pump, gateway, anonymous])
      expect(publishRefusal(client, 'plantwatch', 'plantwatch/alerts/site/pump-1/t1')).toBe('publish_alerts');
    expect(publishRefusal(agent, 'plantwatch', 'plantwatch/alerts/site/pump-1/t1')).toBeUndefined();
    expect(publishRefusal(anonymous, 'plantwatch', 'plantwatch/fan-1/de/waveform')).toBeUndefined();
    expect(publishRefusal(pump, 'plant/7', 'plant/7/pump-1/temp/reading')).toBeUndefined();
    expect(publishRefusal(pump, 'plant/7', 'plant/7/alerts/x')).toBe('publish_alerts');
  });

  it('lets a device follow the alerts and its own assets', () => {
    expect(subscribeRefusal(pump, 'plantwatch', 'plantwatch/alerts/#')).toBeUndefined();
    expect(subscribeRefusal(pump, 'plantwatch', 'plantwatch/pump-1/#')).toBeUndefined();
    expect(subscribeRefusal(pump, 'plantwatch', 'plantwatch/+/de/waveform')).toBe('subscribe_forbidden');
    expect(subscribeRefusal(pump, 'plantwatch', 'plantwatch/#')).toBe('subscribe_forbidden');
    expect(subscribeRefusal(pump, 'plantwatch', '#')).toBe('subscribe_forbidden');
    expect(subscribeRefusal(pump, 'plantwatch', '$SYS/#')).toBe('subscribe_forbidden');
    expect(subscribeRefusal(gateway, 'plantwatch', 'plantwatch/#')).toBeUndefined();
    expect(subscribeRefusal(agent, 'plantwatch', '#')).toBeUndefined();
  });
});
