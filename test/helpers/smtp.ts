// A real SMTP server in the test process that keeps every message it receives, raw.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** When its content had arrived whole (before the server accepted it), ms since the epoch. */
  at: number;
}

export interface SmtpCatcher {
  /** `smtp://127.0.0.1:PORT`, for SMTP_URL. */
  url: string;
  mails: ReceivedMail[];
  /** While set, each message waits for `release()` before it is accepted (it is in `mails` already). */
  hold: boolean;
  release(): void;
  /** Messages held right now. */
  waiting(): number;
  /**
   * When set, the next message accepted blocks this process for this long, ms, right after the server
   * answered 250 (then it is reset to 0): a stalled event loop, which reads the reply only after.
   */
  stallAfterAcceptingMs: number;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1, without authentication or STARTTLS. */
export async function startSmtpCatcher(): Promise<SmtpCatcher> {
  const mails: ReceivedMail[] = [];
  const held: Array<() => void> = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk) => (raw += chunk));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, at: Date.now() });
        if (catcher.hold) held.push(() => callback());
        else callback();
        // smtp-server writes its reply as the callback is called: it is on its way before the stall.
        const stallMs = catcher.stallAfterAcceptingMs;
        catcher.stallAfterAcceptingMs = 0;
        const until = Date.now() + stallMs;
        while (Date.now() < until);
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const catcher: SmtpCatcher = {
    url: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    mails,
    hold: false,
    release() {
      catcher.hold = false;
      held.splice(0).forEach((accept) => accept());
    },
    waiting: () => held.length,
    stallAfterAcceptingMs: 0,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
  return catcher;
}
