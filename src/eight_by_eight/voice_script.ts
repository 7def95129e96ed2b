// What a voice call says. Okta's msgTemplate is documented as not applying to voice, so the text is built from
// the code itself, digit by digit, in the language of the voice that reads it.

/** The sentences around the code, in one language. */
interface Phrases {
  readonly intro: string;
  readonly again: string;
}

/** Okta locale (full, then language alone) → 8x8 voice profile. Anything else uses the configured default. */
export const VOICE_PROFILES: Readonly<Record<string, string>> = {
  "en-us": "en-US-Jenny",
  "en-gb": "en-GB-Emma",
  "en": "en-US-Jenny",
  "da-dk": "da-DK-Naja",
  "da": "da-DK-Naja",
};

// Keyed by the language of the voice profile; a profile in any other language reads the English sentences.
const PHRASES: Readonly<Record<string, Phrases>> = {
  en: { intro: "Your verification code is", again: "I repeat" },
  da: { intro: "Din bekræftelseskode er", again: "Jeg gentager" },
};

/** The voice profile for Okta's locale (`EN-US`, `en_GB`, `da`), or `fallback` when the table has none. */
export function voiceProfileFor(locale: string | undefined, fallback: string): string {
  const normalised = (locale ?? "").trim().toLowerCase().replaceAll("_", "-");
  return VOICE_PROFILES[normalised] ?? VOICE_PROFILES[normalised.split("-")[0]!] ?? fallback;
}

/**
 * The spoken text: every character of the code on its own, separated so text-to-speech reads "4, 2, 4" and not
 * "four hundred twenty-four", said twice.
 *
 * @example voiceText("424242", "en-US-Jenny") // "Your verification code is: 4, 2, 4, 2, 4, 2. I repeat: 4, 2, ..."
 */
export function voiceText(otpCode: string, voiceProfile: string): string {
  const phrases = PHRASES[voiceProfile.slice(0, 2).toLowerCase()] ?? PHRASES.en!;
  const spoken = [...otpCode.toUpperCase()].join(", ");
  return `${phrases.intro}: ${spoken}. ${phrases.again}: ${spoken}.`;
}
