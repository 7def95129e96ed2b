import assert from "node:assert/strict";
import { createLibphonenumberParser } from "../../src/phone_numbers/libphonenumber.ts";

const phones = createLibphonenumberParser();

Deno.test("[phone numbers] E.164 with or without punctuation, and bare international digits, are read", async (t) => {
  const cases: [string, string, string, string | undefined][] = [
    ["+14155552671", "+14155552671", "1", "US"],
    ["+1 (415) 555-2671", "+14155552671", "1", "US"],
    ["+1-415-555-2671", "+14155552671", "1", "US"],
    ["  +65 9123 4567 ", "+6591234567", "65", "SG"],
    ["6591234567", "+6591234567", "65", "SG"],
    ["9876543210", "+9876543210", "98", "IR"], // Okta's preview placeholder: readable, though not valid
  ];
  for (const [raw, e164, countryCallingCode, regionCode] of cases) {
    await t.step(raw, () => {
      const number = phones.parse(raw);
      assert.deepEqual([number?.e164, number?.countryCallingCode, number?.regionCode], [
        e164,
        countryCallingCode,
        regionCode,
      ]);
    });
  }
});

Deno.test("[phone numbers] validity and type come from the full numbering plans", () => {
  assert.deepEqual(pick("+447400123456"), { valid: true, type: "MOBILE" });
  assert.deepEqual(pick("+19005551234"), { valid: true, type: "PREMIUM_RATE" });
  assert.deepEqual(pick("+448712345678"), { valid: true, type: "PREMIUM_RATE" });
  assert.deepEqual(pick("+15551234567"), { valid: false, type: undefined });
  assert.deepEqual(pick("+9876543210"), { valid: false, type: undefined });
});

Deno.test("[phone numbers] what cannot be a dialable international number is not read at all", () => {
  for (
    const raw of [
      "",
      "12",
      "+12",
      "call me maybe",
      "0044 20 7946 0958",
      "+0123456789",
      "+1 415 555 2671 ext 9 and more text",
    ]
  ) {
    assert.equal(phones.parse(raw), undefined, JSON.stringify(raw));
  }
});

function pick(raw: string) {
  const number = phones.parse(raw);
  return { valid: number?.valid, type: number?.type };
}

Deno.test("[phone numbers] digits without + are a guess unless NATIONAL_NUMBER_REGION says whose format they are", () => {
  // A New York number as a person writes it; read as international, +64 is New Zealand.
  const guessed = phones.parse("6469742749");
  assert.deepEqual([guessed?.e164, guessed?.regionCode, guessed?.guessedCountry], [
    "+6469742749",
    "NZ",
    true,
  ]);
  const us = createLibphonenumberParser({ nationalRegion: "US" }).parse("6469742749");
  assert.deepEqual([us?.e164, us?.regionCode, us?.valid, us?.guessedCountry], [
    "+16469742749",
    "US",
    true,
    undefined,
  ]);
  // Numbers with + are never a guess.
  assert.equal(phones.parse("+6591234567")?.guessedCountry, undefined);
});
