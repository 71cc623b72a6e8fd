// The webhook sender over kept-alive connections: a request that could not be written to a
// connection the receiver reset while it sat idle is sent again at once; one the receiver read and
// then cut off is a failed attempt, not sent again at once. An email is bounded by the delivery
// timeout as a whole, as a webhook is.
// And the guard against server-side request forgery: unless allowed, no send reaches a loopback,
// private or reserved address, however the URL names it.
import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { BlockedAddressError, checkUrlHost, guardedLookup, isNonPublicAddress } from '../../src/delivery/address-guard';
import { PermanentDeliveryError, RetryLaterError } from '../../src/delivery/delivery-errors';
import { createMailer, retryAfterMs, sendEmail, sendSlack, sendWebhook } from '../../src/delivery/senders';
import { startSmtpCatcher } from '../helpers/smtp';

/** The receivers here listen on loopback. */
const LOCAL = { timeoutMs: 2000, allowPrivateNetworks: true };
const GUARDED = { timeoutMs: 2000, allowPrivateNetworks: false };

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

async function listen(onRequest: (socket: Socket, requestOnSocket: number, res: http.ServerResponse, req: http.IncomingMessage) => void) {
  const perSocket = new WeakMap<Socket, number>();
  const connections: Socket[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      onRequest(req.socket, n, res, req);
    });
  });
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hooks`, port, connections, server };
}

type Receiver = Awaited<ReturnType<typeof listen>>;

/** Runs `use` against a receiver answering with `onRequest`, then closes it and its connections. */
async function withReceiver(onRequest: Parameters<typeof listen>[0], use: (receiver: Receiver) => Promise<void>): Promise<void> {
  const receiver = await listen(onRequest);
  try {
    await use(receiver);
  } finally {
    receiver.server.closeAllConnections();
    receiver.server.close();
  }
}

describe('sendWebhook', () => {
  it('sends again at once, on a new connection, a request the kept-alive one could not take: the receiver reset it while idle', async () => {
    const received: string[] = [];
    await withReceiver(
      (_socket, _n, res, req) => {
        received.push(String(req.headers['webhook-id']));
        res.writeHead(204).end();
      },
      async (receiver) => {
        await sendWebhook(receiver.url, SECRET, 'msg_1', { n: 1 }, LOCAL);
        // Closed while idle, with a reset: the next request's write on it fails.
        receiver.connections[0].resetAndDestroy();
        await sendWebhook(receiver.url, SECRET, 'msg_2', { n: 2 }, LOCAL);
        expect(receiver.connections).toHaveLength(2);
        expect(received).toEqual(['msg_1', 'msg_2']);
      },
    );
  });

  it('does not send again at once a request the receiver read before cutting the kept-alive connection: each attempt reaches it once', async () => {
    let cutAfterReading = false;
    const received: string[] = [];
    await withReceiver(
      (socket, _n, res, req) => {
        received.push(String(req.headers['webhook-id']));
        if (cutAfterReading) socket.destroy();
        else res.writeHead(204).end();
      },
      async (receiver) => {
        for (let attempt = 1; attempt <= 2; attempt++) {
          // A connection kept alive by an accepted message, then a receiver that crashes on the next.
          cutAfterReading = false;
          await sendWebhook(receiver.url, SECRET, `msg_ok_${attempt}`, { n: attempt }, LOCAL);
          cutAfterReading = true;
          await expect(sendWebhook(receiver.url, SECRET, 'msg_crash', { n: 0 }, LOCAL)).rejects.toThrow(/socket hang up|ECONNRESET/);
        }
        expect(received).toEqual(['msg_ok_1', 'msg_crash', 'msg_ok_2', 'msg_crash']);
      },
    );
  });

  it('still fails when the receiver resets a fresh connection', async () => {
    await withReceiver(
      (socket) => socket.destroy(),
      async (receiver) => {
        await expect(sendWebhook(receiver.url, SECRET, 'msg_3', { n: 3 }, LOCAL)).rejects.toThrow(/socket hang up|ECONNRESET/);
        expect(receiver.connections).toHaveLength(1);
      },
    );
  });
});

describe('what a receiver answers', () => {
  it('takes a 2xx as accepted however long its body takes, cutting it off at the time limit', async () => {
    let receiverSocket: Socket | undefined;
    // Accepts at once, then streams a body that would outlast the time limit.
    await withReceiver(
      (socket, _n, res) => {
        receiverSocket = socket;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('accepted');
      },
      async (receiver) => {
        await sendWebhook(receiver.url, SECRET, 'msg_slow_body', { n: 1 }, LOCAL);
        const socket = receiverSocket as Socket;
        if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
      },
    );
  });

  it('takes an answer that arrived in time as accepted though the process was too busy to read it before the time limit', async () => {
    // The receiver answers 204 at once; then this process (client and receiver alike) is busy past
    // the time limit, so the client's timer and its answer are both due when the event loop comes back.
    const timeoutMs = 1000;
    await withReceiver(
      (_socket, _n, res) => {
        res.writeHead(204).end();
        // After the answer has been written (Node writes it on the next tick).
        setImmediate(() => {
          const until = Date.now() + timeoutMs + 500;
          while (Date.now() < until);
        });
      },
      async (receiver) => {
        await sendWebhook(receiver.url, SECRET, 'msg_stalled', { n: 1 }, { ...LOCAL, timeoutMs });
      },
    );
  });

  it("fails a non-2xx with its status and its answer's start, however long the rest of its body takes", async () => {
    await withReceiver(
      (_socket, _n, res) => {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.write('x'.repeat(300));
      },
      async (receiver) => {
        await expect(sendWebhook(receiver.url, SECRET, 'msg_slow_error', { n: 1 }, LOCAL)).rejects.toThrow(`HTTP 503: ${'x'.repeat(200)}`);
      },
    );
  });
});

describe('sendEmail', () => {
  it('gives up on a message the SMTP server takes longer than the delivery timeout to accept, each step however quick', async () => {
    const timeoutMs = 500;
    // Every step answers within the timeout (nodemailer's step timeouts never fire); the four of them
    // together take far longer than it.
    const slowly = (callback: () => void) => setTimeout(callback, 300);
    const accepted: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onConnect: (_session, callback) => slowly(callback),
      onMailFrom: (_address, _session, callback) => slowly(callback),
      onRcptTo: (_address, _session, callback) => slowly(callback),
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () =>
          slowly(() => {
            accepted.push(session.envelope.rcptTo[0].address);
            callback();
          }),
        );
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const mailer = createMailer(`smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, timeoutMs);
    try {
      const started = Date.now();
      const content = { subject: 'Account at risk', text: 'Account at risk', html: '<p>Account at risk</p>' };
      await expect(sendEmail(mailer, 'alerts@healthgraph.example', 'kate@team.example', 'msg_4', content)).rejects.toThrow(
        `not accepted within ${timeoutMs} ms`,
      );
      expect(Date.now() - started).toBeLessThan(timeoutMs + 200);
      // The connection was closed before the message was complete: the server never took it.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(accepted).toEqual([]);
    } finally {
      mailer?.transport.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});

describe("a message's id", () => {
  it("is the same on every attempt and ends in the sender's domain", async () => {
    const smtp = await startSmtpCatcher();
    const mailer = createMailer(smtp.url, 2000);
    const content = { subject: 'Checking in', text: 'Checking in', html: '<p>Checking in</p>' };
    try {
      for (let attempt = 0; attempt < 2; attempt++)
        await sendEmail(mailer, 'alerts@Mail.Example.com', 'kate@team.example', 'delivery-7f3a', content);
      const ids = smtp.mails.map(({ raw }) => /^Message-ID: (.*)$/im.exec(raw)?.[1].trim());
      expect(ids).toEqual(['<delivery-7f3a@mail.example.com>', '<delivery-7f3a@mail.example.com>']);
    } finally {
      mailer?.transport.close();
      await smtp.close();
    }
  });
});

describe("a sender's name", () => {
  it('shows in From, quoted or encoded as the header needs, and the Message-ID takes the domain of its address', async () => {
    const smtp = await startSmtpCatcher();
    const mailer = createMailer(smtp.url, 2000);
    const content = { subject: 'Checking in', text: 'Checking in', html: '<p>Checking in</p>' };
    try {
      for (const from of ['healthgraph alerts <alerts@Mail.Example.com>', 'Acme, Inc. <care@acme.example>', 'Zoë <zoe@acme.example>'])
        await sendEmail(mailer, from, 'kate@team.example', 'delivery-8c1d', content);
      const header = (raw: string, name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(raw)?.[1].trim();
      expect(smtp.mails.map(({ raw }) => header(raw, 'From'))).toEqual([
        'healthgraph alerts <alerts@mail.example.com>',
        '"Acme, Inc." <care@acme.example>',
        '=?UTF-8?Q?Zo=C3=AB?= <zoe@acme.example>',
      ]);
      expect(smtp.mails.map(({ raw }) => header(raw, 'Message-ID'))).toEqual([
        '<delivery-8c1d@mail.example.com>',
        '<delivery-8c1d@acme.example>',
        '<delivery-8c1d@acme.example>',
      ]);
    } finally {
      mailer?.transport.close();
      await smtp.close();
    }
  });
});

describe('an SMTP refusal', () => {
  it('is permanent when the server refuses the recipient or the message for good (5xx), and retried when only for now (4xx)', async () => {
    // The local part says how the server answers: a refused mailbox, refused content, a full mailbox.
    const refusal = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('gone')) return callback(refusal('no such user', 550));
        if (address.address.startsWith('full')) return callback(refusal('mailbox full, try later', 452));
        callback();
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback(refusal('rejected as spam', 554)));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const mailer = createMailer(`smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, 2000);
    const content = { subject: 'Checking in', text: 'Checking in', html: '<p>Checking in</p>' };
    const send = (to: string) => sendEmail(mailer, 'alerts@healthgraph.example', to, `msg_${to}`, content);
    try {
      await expect(send('gone@customer.example')).rejects.toThrow(PermanentDeliveryError);
      await expect(send('gone@customer.example')).rejects.toThrow(/^SMTP 550: .*550 no such user/);
      await expect(send('spam@customer.example')).rejects.toThrow(PermanentDeliveryError);
      const temporary = await send('full@customer.example').catch((error: unknown) => error);
      expect(temporary).toBeInstanceOf(Error);
      expect(temporary).not.toBeInstanceOf(PermanentDeliveryError);
      expect((temporary as Error).message).toMatch(/^SMTP 452: .*452 mailbox full/);
    } finally {
      mailer?.transport.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});

describe('the address guard', () => {
  it('refuses loopback, private, link-local and reserved addresses, IPv4-mapped ones included, and allows public ones', () => {
    const refused = [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '203.0.113.9',
      '::1',
      '::',
      '::7f00:1',
      'fd00::1',
      'fe80::1',
      'fec0::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '[::1]',
      '64:ff9b::a00:1',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '2001:0:4136:e378::1',
      '2001:db8::1',
      '2001:2::1',
      '2001:2:0:ffff::1',
      '2001:10::1',
      '2001:1f:ffff::1',
      '2001:20::1',
      '3fff::1',
      '3fff:fff::1',
      '5f00::1',
      '100:0:0:1::1',
    ];
    const allowed = [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '192.169.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '2001:2:1::1',
      '2001:4860:4860::8888',
      '3fff:1000::1',
    ];
    expect(refused.filter((a) => !isNonPublicAddress(a))).toEqual([]);
    expect(allowed.filter((a) => isNonPublicAddress(a))).toEqual([]);
  });

  it('sends nothing to an address it refuses, named by IP, mapped IP or localhost, and the failure is permanent', async () => {
    await withReceiver(
      (_socket, _n, res) => res.end('ok'),
      async (receiver) => {
        const { port } = receiver;
        for (const url of [
          receiver.url,
          `http://[::ffff:127.0.0.1]:${port}/hooks`,
          `http://localhost:${port}/hooks`,
          `http://LOCALHOST.:${port}/`,
        ]) {
          const sent = sendWebhook(url, SECRET, 'msg_4', { n: 4 }, GUARDED);
          await expect(sent).rejects.toThrow(BlockedAddressError);
          await expect(sent).rejects.toThrow(/loopback, private or reserved address/);
        }
        await expect(sendSlack(receiver.url, { text: 'x' }, GUARDED)).rejects.toBeInstanceOf(PermanentDeliveryError);
        expect(receiver.connections).toHaveLength(0);
        // Allowed explicitly, the same receiver is reached.
        await sendWebhook(receiver.url, SECRET, 'msg_5', { n: 5 }, LOCAL);
        expect(receiver.connections).toHaveLength(1);
      },
    );
  });

  it('checks the addresses a host name resolves to, in the shape Node asks for', async () => {
    const lookup = (hostname: string, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown; family?: number }>((resolve) =>
        guardedLookup(hostname, { all }, (error, address, family) => resolve({ error, address, family })),
      );
    for (const all of [false, true]) {
      const { error } = await lookup('localhost', all);
      expect(error).toBeInstanceOf(BlockedAddressError);
      expect(error?.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), which is a loopback/);
    }
    // A public name resolves as dns.lookup answers it: one address, or all of them when asked.
    const publicAddress = { address: '93.184.215.14', family: 4 };
    const stub = jest
      .spyOn(dns, 'lookup')
      .mockImplementation(((_host: string, _options: unknown, callback: (...args: unknown[]) => void) =>
        callback(null, [publicAddress])) as unknown as typeof dns.lookup);
    try {
      expect(await lookup('hooks.example', false)).toEqual({ error: null, address: '93.184.215.14', family: 4 });
      expect(await lookup('hooks.example', true)).toEqual({ error: null, address: [publicAddress], family: undefined });
    } finally {
      stub.mockRestore();
    }
  });

  it('refuses a name that resolves to a private address when the request is made (DNS rebinding), connecting nowhere', async () => {
    await withReceiver(
      (_socket, _n, res) => res.end('ok'),
      async (receiver) => {
        // The name passes the check made when a URL is saved; only what it resolves to gives it away.
        // Stubbed once the receiver listens: listening looks up its own address.
        const stub = jest
          .spyOn(dns, 'lookup')
          .mockImplementation(((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
            options.all
              ? callback(null, [{ address: '127.0.0.1', family: 4 }])
              : callback(null, '127.0.0.1', 4)) as unknown as typeof dns.lookup);
        try {
          // Saving the URL looks nothing up: what the name resolves to then says nothing of later.
          checkUrlHost(new URL(`http://rebound.example:${receiver.port}/hooks`));
          expect(stub).not.toHaveBeenCalled();
          const sent = sendWebhook(`http://rebound.example:${receiver.port}/hooks`, SECRET, 'msg_6', { n: 6 }, GUARDED);
          await expect(sent).rejects.toThrow(/^rebound\.example resolves to 127\.0\.0\.1, which is a loopback/);
          await expect(sent).rejects.toBeInstanceOf(PermanentDeliveryError);
          expect(receiver.connections).toHaveLength(0);
        } finally {
          stub.mockRestore();
        }
      },
    );
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads delta-seconds and HTTP dates (a past date asks for no wait), and nothing else', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tuesday, 01-Dec-26 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue Dec  1 10:00:30 2026', now)).not.toBeNull();
    expect(retryAfterMs('Mon, 30 Nov 2026 10:00:00 GMT', now)).toBe(0);
    for (const unreadable of [undefined, '', '-5', '1.5', 'soon', '2026-12-01T10:00:30Z']) expect(retryAfterMs(unreadable, now)).toBeNull();
  });

  it('carries the wait a 429 or 503 asks for, and not that of any other refusal', async () => {
    for (const [status, expected] of [
      [429, 7_000],
      [503, 7_000],
      [500, null],
      [502, null],
    ] as const) {
      await withReceiver(
        (_socket, _n, res) => res.writeHead(status, { 'Retry-After': '7' }).end('busy'),
        async (receiver) => {
          const failure = await sendWebhook(receiver.url, SECRET, 'msg_r', { n: 1 }, LOCAL).catch((error: unknown) => error);
          expect(failure).toBeInstanceOf(Error);
          expect((failure as Error).message).toBe(`HTTP ${status}: busy`);
          expect(failure instanceof RetryLaterError ? failure.retryAfterMs : null).toBe(expected);
        },
      );
    }
  });
});
