// The connection caps by client address: one client is one address block, so the addresses of an
// IPv6 /64 (which one host or site holds whole, and cycles through at no cost) share one cap.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { limitConnections } from '../../src/infra/connection-limits';

/** A connection from `remoteAddress` as the server sees it, and what the server wrote to it. */
function connection(remoteAddress: string): PassThrough & { remoteAddress: string; written: () => string } {
  const chunks: Buffer[] = [];
  const socket = Object.assign(new PassThrough(), { remoteAddress, written: () => Buffer.concat(chunks).toString() });
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return socket;
}

it('counts the addresses of one IPv6 /64 as one address, and other /64s apart', () => {
  const server = net.createServer();
  const refused = limitConnections(server, { maxConnections: 100, maxConnectionsPerAddress: 2, trustedProxies: [] });
  const sockets = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:3::1'].map(connection);
  for (const socket of sockets) server.emit('connection', socket);
  expect(sockets.map((socket) => refused(socket))).toEqual([false, false, true, false]);
  expect(sockets[2].written()).toMatch(/^HTTP\/1\.1 503/);
  // One of the /64's connections closes: another may open.
  sockets[0].emit('close');
  const next = connection('2001:db8:1:2::99');
  server.emit('connection', next);
  expect(refused(next)).toBe(false);
  for (const socket of [...sockets, next]) socket.destroy();
});

it('does not count the connections of a trusted proxy per address', () => {
  const server = net.createServer();
  const refused = limitConnections(server, { maxConnections: 3, maxConnectionsPerAddress: 1, trustedProxies: ['10.0.0.0/8'] });
  const sockets = ['10.0.0.5', '10.0.0.5', '10.0.0.5', '10.0.0.5'].map(connection);
  for (const socket of sockets) server.emit('connection', socket);
  // Only the instance's cap applies to them.
  expect(sockets.map((socket) => refused(socket))).toEqual([false, false, false, true]);
  for (const socket of sockets) socket.destroy();
});
