import { describe, expect, it } from 'vitest';
import { DisplayCurrency, USD, displayCurrencySchema } from '../../src/usage/index.js';

describe('DisplayCurrency', () => {
  it('defaults to USD and keeps sub-cent call costs visible', () => {
    const usd = new DisplayCurrency();
    expect(usd.code).toBe('USD');
    expect(usd.convert(1.25)).toBe(1.25);
    expect(usd.format(12.5)).toBe('$12.50');
    expect(usd.format(0.0034)).toBe('$0.0034');
    expect(usd.format(0.000049)).toBe('$0.00');
    expect(usd.format(0)).toBe('$0.00');
    expect(USD.format(1234.567)).toBe('$1,234.57');
  });

  it('converts to INR and formats with Indian digit grouping', () => {
    const inr = new DisplayCurrency({ code: 'INR', perUsd: 80, locale: 'en-IN' });
    expect(inr.convert(1543.2105)).toBeCloseTo(123456.84, 6);
    expect(inr.format(1543.2105)).toBe('₹1,23,456.84');
    expect(inr.format(0.0123)).toBe('₹0.984');
    expect(inr.display(2)).toEqual({ amount: 160, currency: 'INR', formatted: '₹160.00' });
  });

  it('formats INR in the default en-US locale with Western grouping', () => {
    const inr = new DisplayCurrency({ code: 'INR', perUsd: 80 });
    expect(inr.format(1543.2105)).toBe('₹123,456.84');
    expect(inr.toJSON()).toEqual({ code: 'INR', perUsd: 80, locale: 'en-US' });
  });

  it('uses the currency’s own decimals (JPY has none)', () => {
    const jpy = new DisplayCurrency({ code: 'JPY', perUsd: 150 });
    expect(jpy.format(10)).toBe('¥1,500');
  });

  it('rejects unknown codes, bad rates and a USD rate other than 1', () => {
    expect(displayCurrencySchema.safeParse({ code: 'inr', perUsd: 80 }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'XYZ', perUsd: 1 }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'INR', perUsd: 0 }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'INR', perUsd: -80 }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'INR', perUsd: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'USD', perUsd: 2 }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'INR', perUsd: 80, locale: 'not a locale!' }).success).toBe(false);
    expect(displayCurrencySchema.safeParse({ code: 'INR', perUsd: 80, extra: 1 }).success).toBe(false);
    expect(() => new DisplayCurrency({ code: 'EUR', perUsd: -1 })).toThrow();
  });
});
