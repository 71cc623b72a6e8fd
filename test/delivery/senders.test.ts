// The webhook sender over kept-alive connections: a receiver that closed an idle connection (the
// next request on it is reset before any answer) does not fail the delivery; a receiver that resets
// every request still does.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sendWebhook } from '../../src/delivery/senders';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

async function listen(onRequest: (socket: Socket, requestOnSocket: number, res: http.ServerResponse) => void) {
  const perSocket = new WeakMap<Socket, number>();
  const connections: Socket[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      onRequest(req.socket, n, res);
    });
  });
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, connections, server };
}

describe('sendWebhook', () => {
  it('sends again on a new connection when the kept-alive one was closed by the receiver', async () => {
    // Answers the first request of each connection; the second one finds it "closed" (reset).
    const receiver = await listen((socket, n, res) => (n === 1 ? res.end('ok') : socket.destroy()));
    try {
      await sendWebhook(receiver.url, SECRET, 'msg_1', { n: 1 }, 2000);
      await sendWebhook(receiver.url, SECRET, 'msg_2', { n: 2 }, 2000);
      expect(receiver.connections).toHaveLength(2);
    } finally {
      receiver.server.closeAllConnections();
      receiver.server.close();
    }
  });

  it('still fails when the receiver resets a fresh connection', async () => {
    const receiver = await listen((socket) => socket.destroy());
    try {
      await expect(sendWebhook(receiver.url, SECRET, 'msg_3', { n: 3 }, 2000)).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(receiver.connections).toHaveLength(1);
    } finally {
      receiver.server.closeAllConnections();
      receiver.server.close();
    }
  });
});
