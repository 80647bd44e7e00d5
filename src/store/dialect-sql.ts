// The few places where SQLite and PostgreSQL need different SQL, kept together.
import { sql } from 'kysely';
import type { Expression, RawBuilder, SqlBool } from 'kysely';

export type StoreDialect = 'sqlite' | 'postgres';

/** `%`, `_` and the escape character itself are literal in a user's search text. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Case-insensitive substring match. PostgreSQL's LIKE is case-sensitive, hence ILIKE; SQLite's LIKE
 * already ignores ASCII case (and has no ILIKE).
 */
export function containsText(dialect: StoreDialect, column: Expression<unknown>, text: string): RawBuilder<SqlBool> {
  const op = dialect === 'postgres' ? sql`ilike` : sql`like`;
  return sql<SqlBool>`${column} ${op} ${likePattern(text)} escape '\\'`;
}
