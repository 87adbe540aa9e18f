/**
 * Secret values kept out of anything printed: the values of secret-looking
 * settings (KAFKA_SASL_PASSWORD, tokens) are replaced by *** in error text
 * and the dashboard.
 */

/** Names that hold a secret, as environment variables are named. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN/i;

/** Shorter values would mask ordinary words ("no", "1") all over the text. */
const SHORTEST_SECRET = 4;

/** The values of the secret-looking entries (`KAFKA_SASL_PASSWORD=…`) of a name → value list. */
export function secretValues(settings: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(settings)
    .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined && value.length >= SHORTEST_SECRET)
    .map(([, value]) => value!);
}

/** `text` with every occurrence of every secret replaced by ***. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
