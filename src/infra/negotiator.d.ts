// negotiator ships no type declarations. This declares the part response-media-type.ts uses.
declare module 'negotiator' {
  class Negotiator {
    constructor(request: { headers: { accept?: string } });
    /** The most preferred of `available` by the Accept header, or undefined when none is acceptable. */
    mediaType(available: string[]): string | undefined;
  }
  export = Negotiator;
}
