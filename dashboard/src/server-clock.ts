// The server's clock as the page can tell it: the HTTP `Date` header of its answers, against the
// browser's clock when the answer came. Times the page sends back to the server (a catch-up's
// `tierChanges(since:)`) are the server's: a browser clock minutes fast would otherwise ask for the
// changes from minutes after they happened, and find none.

/** The server's clock minus the browser's (ms); 0 until an answer with a Date header came. */
let offsetMs = 0;

/** Takes the server's time from `response`'s Date header (whole seconds: its middle is taken). */
function noteServerDate(response: Response): void {
  const serverDate = Date.parse(response.headers.get('date') ?? '');
  if (Number.isFinite(serverDate)) offsetMs = serverDate + 500 - Date.now();
}

/** Now by the server's clock, as well as the page knows it (within a second or two). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}

/** fetch, noting the server's time of every answer. */
export const fetchNotingServerDate: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  noteServerDate(response);
  return response;
};
