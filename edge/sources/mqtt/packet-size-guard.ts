import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/**
 * Follows the MQTT packet boundaries in a byte stream by their fixed headers (a type byte, then the
 * remaining length as a base-128 varint) and says when a packet announces more than `maxBytes`,
 * before its body arrives: aedes would otherwise buffer any size a client declares.
 */
export class PacketSizeTracker {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private headerBytes = 0;
  private bodyLeft = 0;

  constructor(private readonly maxBytes: number) {}

  /** The size of the first packet in `chunk` over the limit, or undefined while all fit. */
  feed(chunk: Buffer): number | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const step = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= step;
        i += step;
        if (this.bodyLeft === 0) this.state = 'type';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.headerBytes = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.headerBytes++;
      // A fifth length byte is malformed: no packet is that long, so it cannot fit either.
      if (this.headerBytes > 5) return Number.POSITIVE_INFINITY;
      if (byte & 0x80) continue;
      const size = this.headerBytes + this.length;
      if (size > this.maxBytes) return size;
      this.bodyLeft = this.length;
      this.state = this.length === 0 ? 'type' : 'body';
    }
    return undefined;
  }
}

/**
 * The socket as aedes sees it, with packets over `maxBytes` stopped at their header: the
 * connection is closed and `onTooLarge` told, so one oversize sender costs the broker nothing more.
 */
export function sizeLimited(socket: Socket, maxBytes: number, onTooLarge: (size: number) => void): Duplex {
  const tracker = new PacketSizeTracker(maxBytes);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) callback();
      else socket.write(chunk, callback);
    },
    // aedes (mqtt-packet) corks its writes: a packet's parts leave in one segment, as on a bare socket.
    writev(chunks, callback) {
      if (socket.destroyed) return callback();
      socket.cork();
      chunks.forEach(({ chunk }, i) =>
        socket.write(chunk as Buffer, i === chunks.length - 1 ? callback : undefined),
      );
      socket.uncork();
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const tooLarge = tracker.feed(chunk);
    if (tooLarge !== undefined) {
      onTooLarge(tooLarge);
      socket.pause();
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('error', (error) => guarded.destroy(error));
  socket.on('close', () => guarded.destroy());
  return guarded;
}
