// The currency costs are shown in. Every price and budget stays in USD (what vendors bill);
// only display converts, at a configured fixed rate, so a rate change never rewrites history.
import { z } from 'zod';

/*
 * Configuration shape:
 *   { code: 'INR', perUsd: 83.2, locale: 'en-IN' }
 * code   ISO 4217 code known to this Node's Intl (USD, INR, EUR, JPY, …)
 * perUsd units of `code` per 1 USD (must be 1 for USD)
 * locale optional BCP 47 locale for formatting (digit grouping, symbol placement); default en-US
 */
export const displayCurrencySchema = z
  .object({
    code: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an upper-case ISO 4217 code such as USD or INR')
      .refine(isKnownCurrency, 'is not an ISO 4217 currency this runtime knows'),
    perUsd: z.number().positive(),
    locale: z.string().min(1).refine(isKnownLocale, 'is not a locale this runtime supports').optional(),
  })
  .strict()
  .refine((c) => c.code !== 'USD' || c.perUsd === 1, { message: 'perUsd must be 1 when code is USD', path: ['perUsd'] });

export type DisplayCurrencyConfig = z.infer<typeof displayCurrencySchema>;

export type DisplayAmount = {
  /** The amount in the display currency. */
  amount: number;
  /** ISO 4217 code of `amount`. */
  currency: string;
  formatted: string;
};

const DEFAULT_LOCALE = 'en-US';
/** Call costs are often fractions of a cent; show this many decimals below one unit. */
const SMALL_AMOUNT_DECIMALS = 4;

export class DisplayCurrency {
  readonly code: string;
  readonly perUsd: number;
  readonly locale: string;
  private readonly regular: Intl.NumberFormat;
  private readonly small: Intl.NumberFormat;

  constructor(config: DisplayCurrencyConfig = { code: 'USD', perUsd: 1 }) {
    const parsed = displayCurrencySchema.parse(config);
    this.code = parsed.code;
    this.perUsd = parsed.perUsd;
    this.locale = parsed.locale ?? DEFAULT_LOCALE;
    this.regular = new Intl.NumberFormat(this.locale, { style: 'currency', currency: this.code });
    const digits = this.regular.resolvedOptions().maximumFractionDigits ?? 2;
    this.small = new Intl.NumberFormat(this.locale, {
      style: 'currency',
      currency: this.code,
      minimumFractionDigits: digits,
      maximumFractionDigits: Math.max(digits, SMALL_AMOUNT_DECIMALS),
    });
  }

  /** USD to the display currency. */
  convert(usd: number): number {
    return usd * this.perUsd;
  }

  /** USD formatted in the display currency, e.g. '₹1,23,456.79'; sub-unit amounts keep 4 decimals. */
  format(usd: number): string {
    const amount = this.convert(usd);
    return (amount !== 0 && Math.abs(amount) < 1 ? this.small : this.regular).format(amount);
  }

  display(usd: number): DisplayAmount {
    return { amount: this.convert(usd), currency: this.code, formatted: this.format(usd) };
  }

  toJSON(): DisplayCurrencyConfig {
    return { code: this.code, perUsd: this.perUsd, locale: this.locale };
  }
}

export const USD = new DisplayCurrency();

function isKnownCurrency(code: string): boolean {
  return Intl.supportedValuesOf('currency').includes(code);
}

function isKnownLocale(locale: string): boolean {
  try {
    return Intl.NumberFormat.supportedLocalesOf([locale]).length > 0;
  } catch {
    return false;
  }
}
