/** The Sparkplug B topic namespace (spec 3.0, section 4.1). */
export const NAMESPACE = 'spBv1.0';

export const MESSAGE_TYPES = [
  'NBIRTH',
  'NDATA',
  'NDEATH',
  'DBIRTH',
  'DDATA',
  'DDEATH',
  'NCMD',
  'DCMD',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** `spBv1.0/<group>/<type>/<edgeNode>[/<device>]` taken apart. */
export interface SparkplugTopic {
  group: string;
  type: MessageType;
  edgeNode: string;
  device?: string;
}

const isDeviceMessage = (type: MessageType) => type.startsWith('D');

export function sparkplugTopic({ group, type, edgeNode, device }: SparkplugTopic): string {
  return [NAMESPACE, group, type, edgeNode, ...(device === undefined ? [] : [device])].join('/');
}

/** The topic's parts, or the reason it is not a Sparkplug B node or device topic. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | string {
  const [namespace, group, type, edgeNode, device, ...rest] = topic.split('/');
  if (namespace !== NAMESPACE || !group || !edgeNode || rest.length > 0)
    return `topic must be ${NAMESPACE}/<group>/<type>/<edgeNode>[/<device>]`;
  if (!MESSAGE_TYPES.includes(type as MessageType))
    return `unknown Sparkplug message type '${type}' (expected one of ${MESSAGE_TYPES.join(', ')})`;
  const messageType = type as MessageType;
  if (isDeviceMessage(messageType) !== (device !== undefined))
    return isDeviceMessage(messageType)
      ? `${messageType} needs a device id: ${NAMESPACE}/${group}/${messageType}/${edgeNode}/<device>`
      : `${messageType} is a node message: it has no device level`;
  if (device === '') return 'empty device id';
  return { group, type: messageType, edgeNode, ...(device === undefined ? {} : { device }) };
}
