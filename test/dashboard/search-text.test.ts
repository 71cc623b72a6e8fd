// The owners the dashboard offers for a CSM owner no account has: those whose names hold what was
// typed as the server's search reads it (by Unicode's full case mapping, in any Unicode form), so
// none the server found for the text is dropped from the suggestions.
import { ownersLike } from '../../dashboard/src/search-text';

it('offers the owners whose names hold the text typed, as the server compares them', () => {
  const owners = ['Jörg Straße', 'ΣΊΣΥΦΟΣ Papadopoulos', 'Rene\u0301e Martin', 'kate', null, 'Kate', 'kate'];
  expect(ownersLike('strasse', owners)).toEqual(['Jörg Straße']);
  expect(ownersLike('STRASSE', owners)).toEqual(['Jörg Straße']);
  expect(ownersLike('σίσυφος', owners)).toEqual(['ΣΊΣΥΦΟΣ Papadopoulos']);
  expect(ownersLike('renée', owners)).toEqual(['Rene\u0301e Martin']);
  expect(ownersLike('KAT', owners)).toEqual(['Kate', 'kate']);
  expect(ownersLike('nobody', owners)).toEqual([]);
});
