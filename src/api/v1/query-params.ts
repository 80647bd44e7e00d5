// Query parameters shared by list routes: ISO times (a date alone means its UTC midnight), page
// size, and opaque cursors (checked here so a bad one is a 400 on the `cursor` field).
import { z } from 'zod';
import { decodeCursor } from '../../store/cursor.js';

export const isoTimeParam = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO-8601 date or date-time' })
  .transform((v) => new Date(v).toISOString());

export const limitParam = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const cursorParam = z
  .string()
  .min(1)
  .max(1000)
  .refine((c) => {
    try {
      decodeCursor(c);
      return true;
    } catch {
      return false;
    }
  }, 'is not a cursor this API returned');
