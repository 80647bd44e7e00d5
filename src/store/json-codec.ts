// JSON documents are stored as text in both backends; these are the only places that convert.
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}
