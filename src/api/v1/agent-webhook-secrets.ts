// Answers show webhook secrets masked (`••••abcd`), so a client that reads an agent, edits it and
// sends it back sends masked secrets. Those are matched back to the stored secret of the webhook
// with the same URL (and the same last four characters); an unmatched mask is a validation error.
import type { FieldIssue } from '../api-error.js';
import type { AgentConfig } from '../../store/repository.js';
import { isMaskedSecret, maskSecret } from './agent-body.js';
import { validationFailed } from './validation.js';

/** The body with masked secrets replaced by the stored ones from `current` (bodies that are not objects pass through). */
export function restoreMaskedSecrets(body: unknown, current: AgentConfig | undefined): unknown {
  if (typeof body !== 'object' || body === null || !('webhooks' in body) || !Array.isArray(body.webhooks)) return body;
  const issues: FieldIssue[] = [];
  const webhooks = body.webhooks.map((w: unknown, i: number) => {
    if (typeof w !== 'object' || w === null || !('secret' in w) || !isMaskedSecret(w.secret)) return w;
    const url = 'url' in w ? w.url : undefined;
    const stored = current?.webhooks?.find((s) => s.url === url && maskSecret(s.secret) === w.secret);
    if (!stored) {
      issues.push({ field: `webhooks.${i}.secret`, reason: 'is masked but matches no stored webhook with this url: send the full secret' });
      return w;
    }
    return { ...w, secret: stored.secret };
  });
  if (issues.length > 0) throw validationFailed(issues);
  return { ...body, webhooks };
}
