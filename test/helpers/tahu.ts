import sparkplugPayload from 'sparkplug-payload';

/**
 * Eclipse Tahu's Sparkplug B codec (the `sparkplug-payload` package), for the tests' own nodes and
 * hosts: they do not speak through the agent's codec (edge/sources/sparkplug/sparkplug-payload.ts),
 * so a bug there is not mirrored on their side.
 */
const codec = sparkplugPayload.get('spBv1.0');
if (!codec) throw new Error('sparkplug-payload does not know spBv1.0');
export const tahu = codec;
