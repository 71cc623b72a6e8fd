// Counts in messages people read: "1 line", "2 lines", never "1 lines".

/** `count` and `noun`, plural unless the count is one (`counted(1, 'line')` is `1 line`); `grouped` writes 1,000. */
export function counted(count: number, noun: string, options: { grouped?: boolean } = {}): string {
  const number = options.grouped ? count.toLocaleString('en-US') : String(count);
  return `${number} ${count === 1 ? noun : `${noun}s`}`;
}
