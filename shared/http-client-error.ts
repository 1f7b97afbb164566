import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What Node's HTTP parser refused, before any route saw the request. */
interface ClientRefusal {
  status: number;
  code: string;
  message: string;
}

function refusalOf(error: NodeJS.ErrnoException): ClientRefusal {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'PW_HEADERS_TOO_LARGE',
      message: 'the request line and headers exceed 16 KiB; send long values in the request body',
    };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'PW_REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  }
  return {
    status: 400,
    code: 'PW_MALFORMED_REQUEST',
    message: `the request is not valid HTTP/1.1 (${error.code ?? error.message})`,
  };
}

/**
 * Fastify's `clientErrorHandler`: answers a request Node's parser refused in the one error format,
 * says `Connection: close`, then closes. Fastify's own handler leaves the header out, so a
 * keep-alive client (undici, a gateway's uplink) sends its next request into the closing socket
 * and gets "other side closed" for a request that did nothing wrong.
 */
export function closingClientErrorHandler(
  onRefusal: (code: string) => void = () => {},
): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const refusal = refusalOf(error);
    onRefusal(refusal.code);
    if (socket.writable) {
      const reason = STATUS_CODES[refusal.status] ?? 'Client Error';
      const body = JSON.stringify({
        statusCode: refusal.status,
        error: reason,
        code: refusal.code,
        message: refusal.message,
      });
      socket.write(
        `HTTP/1.1 ${refusal.status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
