import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { closingClientErrorHandler } from './http-client-error.js';

/** Everything the server sends on one raw connection until it closes it. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('the server neither answered nor closed')));
  });
}

describe('closingClientErrorHandler', () => {
  let app: FastifyInstance | undefined;
  afterEach(() => app?.close());

  async function serve(onRefusal: (code: string) => void) {
    app = Fastify({ logger: false, clientErrorHandler: closingClientErrorHandler(onRefusal) });
    app.post('/api/v1/login', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return (app.server.address() as { port: number }).port;
  }

  it('answers a 20 KiB request line with a 431 that says Connection: close, in the one error format, and counts it', async () => {
    const refusals: string[] = [];
    const port = await serve((code) => refusals.push(code));
    const answer = await rawExchange(port, `GET /x?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head?.split('\r\n')).toEqual(
      expect.arrayContaining(['HTTP/1.1 431 Request Header Fields Too Large', 'Connection: close']),
    );
    expect(JSON.parse(body ?? '')).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      code: 'PW_HEADERS_TOO_LARGE',
      message: 'the request line and headers exceed 16 KiB; send long values in the request body',
    });
    expect(refusals).toEqual(['PW_HEADERS_TOO_LARGE']);
  });

  it('answers a malformed request line with a 400 naming the parser error', async () => {
    const port = await serve(() => {});
    const answer = await rawExchange(port, 'GET /x y z HTTP/9\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toMatchObject({
      code: 'PW_MALFORMED_REQUEST',
      message: expect.stringMatching(/^the request is not valid HTTP\/1\.1 \(HPE_/),
    });
  });

  it('lets a keep-alive client send its next request on a fresh connection after a refusal', async () => {
    const port = await serve(() => {});
    // The fuzz campaign's sequence that met "other side closed" under load: an oversized URL, then a POST.
    for (let round = 0; round < 50; round++) {
      const refused = await fetch(`http://127.0.0.1:${port}/x?q=${'a'.repeat(20_000)}`);
      expect(refused.headers.get('connection')).toBe('close');
      await refused.text();
      const login = await fetch(`http://127.0.0.1:${port}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username":"en","password":"InPro"}',
      });
      expect(login.status).toBe(200);
    }
  });
});
