import { describe, expect, it } from 'vitest';
import { PacketSizeTracker } from './packet-size-guard.js';

/** An MQTT packet as on the wire: type byte, remaining length (base-128 varint), body. */
function packet(type: number, body: Buffer): Buffer {
  const length: number[] = [];
  let left = body.length;
  do {
    const digit = left % 128;
    left = Math.floor(left / 128);
    length.push(left > 0 ? digit | 0x80 : digit);
  } while (left > 0);
  return Buffer.concat([Buffer.from([type, ...length]), body]);
}
const topic = Buffer.from('\u0000\u001dplantwatch/pump-1/de/waveform');
const publish = (bytes: number) => packet(0x30, Buffer.concat([topic, Buffer.alloc(bytes)]));
const pingreq = () => packet(0xc0, Buffer.alloc(0));

describe('PacketSizeTracker', () => {
  it('lets packets up to the limit through, however the stream is cut', () => {
    const stream = Buffer.concat([publish(10), publish(200_000), publish(0), pingreq()]);
    const tracker = new PacketSizeTracker(200_100);
    for (let i = 0; i < stream.length; i += 997)
      expect(tracker.feed(stream.subarray(i, i + 997))).toBeUndefined();
    // One byte at a time through a header too.
    const bytewise = new PacketSizeTracker(200_100);
    for (const byte of publish(300)) expect(bytewise.feed(Buffer.from([byte]))).toBeUndefined();
  });

  it('names the size of a packet over the limit from its header, before the body arrives', () => {
    const big = publish(1_200_000);
    const tracker = new PacketSizeTracker(1024 * 1024);
    expect(tracker.feed(publish(100))).toBeUndefined();
    expect(tracker.feed(big.subarray(0, 5))).toBe(big.length);
  });

  it('takes a length of more than four bytes as too large', () => {
    expect(new PacketSizeTracker(1024).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
