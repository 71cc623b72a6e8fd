// Text compared as the server's `customers(search:)` compares it (caseAndFormFree in
// src/customers/customer.service.ts): in capitals by Unicode's full case mapping in ICU's root
// locale, in NFC before and after. So what the page offers from the server's answers for a text
// typed is what the server found for it: lowering letter by letter would drop Straße for "strasse".

/** `text` as the search compares it. */
function caseAndFormFree(text: string): string {
  return text.normalize('NFC').toLocaleUpperCase('und').normalize('NFC');
}

/** Owners among `owners` whose names hold `typed`, as the search reads them, each once, by name. */
export function ownersLike(typed: string, owners: ReadonlyArray<string | null | undefined>): string[] {
  const wanted = caseAndFormFree(typed);
  return [...new Set(owners.filter((owner): owner is string => !!owner && caseAndFormFree(owner).includes(wanted)))].sort();
}
