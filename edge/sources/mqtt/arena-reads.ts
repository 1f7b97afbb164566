import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { PacketSizeTracker } from './packet-size-guard.js';

/** The most a connection reads into one arena; a connection starts with the least. */
const ARENA_MAX_BYTES = 256 * 1024;
const ARENA_MIN_BYTES = 16 * 1024;
/** A read gets at least a quarter of its arena: fewer, larger reads, as Node's own 64 KB ones. */
const READ_SHARE = 4;

export interface ArenaReceiver {
  /** Whole packets, a view into an arena; false asks to pause reading. */
  packets(packets: Buffer): boolean;
  /** A packet announced more than the tracker's limit (its size): the connection is to close. */
  tooLarge(size: number): void;
}

interface OnReadFields {
  buffer: symbol;
  callback: symbol;
  nextBuffer: symbol;
}

/** The arenas' memory, to tell a view into one from a buffer of its own (see ownedCopy). */
const arenas = new WeakSet<ArrayBufferLike>();

/**
 * Reads a plain TCP connection of the broker into arenas: large buffers the kernel fills read after
 * read, handed on as views that end on packet boundaries, so that a packet's bytes are never copied
 * in the agent and a 64 KB waveform costs no allocation of its own. Node's own reads hand over a new
 * 64 KB ArrayBuffer each; a 64 KB waveform always spans two, and mqtt-packet concatenated its
 * payload into a third. Measured with the broker alone, one publisher at its own pace and an
 * in-process subscriber that copies each payload out (64 KB, QoS 0): the broker's thread 153 → 122 µs
 * per message (medians of 5 runs each); in the agent under a flood, where every read is full, the
 * event loop's time per waveform fell less (0.90 → 0.84 of the analysis worker's, within noise). A packet that spans the end of
 * an arena is moved, with the bytes of it already read, to the start of the next one.
 *
 * What outlives the delivery of a packet keeps its arena alive (all of it): so whatever the broker
 * keeps is copied out first (see keepOwnCopies).
 *
 * Node has this way of reading (its `onread` option: the caller's buffer for each read) for sockets
 * a program connects, not for those a server accepts; it is set here through the socket's own
 * fields for it, found by name. Where they are not found (another Node) or do not apply (TLS, whose
 * reads go through the TLS layer), this returns false and the caller reads as usual; a test fails if
 * the Node the agent runs on stops offering them.
 */
export function readIntoArenas(socket: Socket, tracker: PacketSizeTracker, receiver: ArenaReceiver): boolean {
  const fields = onReadFields(socket);
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } })
    ._handle;
  if (socket instanceof TLSSocket || !fields || typeof handle?.useUserBuffer !== 'function') return false;

  /** The largest packet seen incomplete: a connection of small messages keeps small arenas. */
  let largestPacket = 0;
  let arena = newArena(ARENA_MIN_BYTES);
  /** The first byte not handed on yet, and the first not read yet. */
  let start = 0;
  let end = 0;

  const nextBuffer = (): Buffer => {
    const room = arena.length - end;
    const rest = tracker.incompleteSize - tracker.incompleteBytes;
    const goodRead = arena.length / READ_SHARE;
    // Too little room for a good read or for the rest of the packet being read: a new arena, with
    // what has come of that packet moved to its start.
    if (room < Math.max(goodRead, rest)) {
      const size = Math.min(ARENA_MAX_BYTES, Math.max(ARENA_MIN_BYTES, READ_SHARE * largestPacket));
      const next = newArena(Math.max(size, tracker.incompleteSize + size / READ_SHARE));
      end = arena.copy(next, 0, start, end);
      start = 0;
      arena = next;
      return arena.subarray(end);
    }
    // The packet fits, but the room after it would not make a good read: this read ends with it, so
    // that the next arena starts with nothing to move.
    if (rest > 0 && room - rest < goodRead) return arena.subarray(end, end + rest);
    return arena.subarray(end);
  };
  const onRead = (bytesRead: number, buffer: Buffer): boolean => {
    const tooLarge = tracker.feed(buffer.subarray(0, bytesRead));
    if (tooLarge !== undefined) {
      receiver.tooLarge(tooLarge);
      return false;
    }
    end += bytesRead;
    largestPacket = Math.max(largestPacket, tracker.incompleteSize);
    const complete = end - tracker.incompleteBytes;
    if (complete <= start) return true;
    const packets = arena.subarray(start, complete);
    start = complete;
    return receiver.packets(packets);
  };

  const own = socket as unknown as Record<symbol, unknown>;
  const first = nextBuffer();
  own[fields.buffer] = first;
  own[fields.callback] = onRead;
  own[fields.nextBuffer] = nextBuffer;
  handle.useUserBuffer(first);
  return true;
}

function newArena(bytes: number): Buffer {
  const arena = Buffer.allocUnsafeSlow(bytes);
  arenas.add(arena.buffer);
  return arena;
}

/** True if `bytes` is a view into an arena: keeping it keeps the whole arena. */
export function inArena(bytes: Uint8Array): boolean {
  return arenas.has(bytes.buffer);
}

/** `bytes` itself, or a copy of its own if it is a view into an arena. */
export function ownedCopy(bytes: Buffer): Buffer {
  return inArena(bytes) ? Buffer.from(bytes) : bytes;
}

let found: OnReadFields | null | undefined;

/** The fields Node's net.Socket keeps its `onread` option in (Node 12 to 24 at least). */
function onReadFields(socket: Socket): OnReadFields | undefined {
  if (found === undefined) {
    const symbols = Object.getOwnPropertySymbols(socket);
    const named = (name: string) => symbols.find((symbol) => symbol.description === name);
    const [buffer, callback, nextBuffer] = [named('kBuffer'), named('kBufferCb'), named('kBufferGen')];
    found = buffer && callback && nextBuffer ? { buffer, callback, nextBuffer } : null;
  }
  return found ?? undefined;
}
