// Call variables in an agent's prompt and greeting: `{{name}}` takes the call's value (from the
// outbound request, the phone line: `caller`, `called`), and a name the call does not have is left
// as it is, so a prompt's literal braces survive and a missing value is visible in the transcript.

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function fillVariables(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(VARIABLE, (whole, name: string) => (Object.hasOwn(variables, name) ? variables[name] : whole));
}
